"""Printed household cards: a PDF of 8 cards per A4 page with the static signed card QR.

Chinese text uses reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1): no font file is
shipped or embedded, the PDF stays small, and every PDF reader that handles Chinese (Acrobat,
WPS, pdf.js, Ghostscript, the phones' viewers) supplies the glyphs. QR images are drawn by
``registry.qr`` (the same images zbarimg checks).
"""

import io
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnreachable
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from registry.models import Area, Household, User
from registry.permissions import Action, Kind, may
from registry.qr import qr_png
from registry.services.codes import card_reissue, card_token
from shops.exceptions import ShopError
from shops.models import CardPrintJob

logger = logging.getLogger(__name__)

FONT = "STSong-Light"
COLUMNS, ROWS = 2, 4
MARGIN = 8 * mm


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _check_village(*, actor: User, village: Area) -> None:
    if village.level != Area.Level.VILLAGE or not may(actor, Kind.CARD, Action.WRITE, village):
        raise ShopError("not_allowed", _("You cannot print cards for this village."))


def card_print_request(
    *, actor: User, village: Area, numbers: list[str] | None = None
) -> CardPrintJob:
    """Queue a PDF for the whole village or for the households with these 户号."""
    _check_village(actor=actor, village=village)
    households = Household.objects.filter(village=village, status=Household.Status.ACTIVE)
    ids: list[int] = []
    if numbers:
        found = dict(households.filter(number__in=numbers).values_list("number", "pk"))
        unknown = sorted(set(numbers) - set(found))
        if unknown:
            raise ShopError(
                "unknown_household",
                _("No active household with number %(numbers)s in this village.")
                % {"numbers": "、".join(unknown)},
            )
        ids = sorted(found.values())
    total = len(ids) if numbers else households.count()
    if not total:
        raise ShopError("no_households", _("This village has no active households."))
    job = CardPrintJob.objects.create(
        requested_by=actor, village=village, household_ids=ids, total=total
    )
    transaction.on_commit(lambda: _queue_printing(job_id=job.pk))
    return job


def _queue_printing(*, job_id: int) -> None:
    """Hand the job to Celery. If the queue cannot be reached the job says so (its page shows the
    reason to the person who asked) instead of waiting for ever."""
    from shops.tasks import print_cards

    try:
        print_cards.delay(job_id)
    except BrokerUnreachable:
        logger.error("Card printing job %s not queued: the Celery broker cannot be reached", job_id)
        CardPrintJob.objects.filter(pk=job_id, status=CardPrintJob.Status.QUEUED).update(
            status=CardPrintJob.Status.FAILED,
            error=_(
                "The printing queue cannot be reached, so nothing will be printed. "
                "Try again in a few minutes."
            ),
            finished_at=timezone.now(),
        )


def _draw_card(pdf: canvas.Canvas, household: Household, x: float, y: float, w: float, h: float):
    font = _font()
    pdf.setDash(3, 3)
    pdf.setStrokeGray(0.6)
    pdf.rect(x, y, w, h)
    pdf.setDash()
    pdf.setFillColorRGB(0.72, 0.11, 0.16)
    pdf.rect(x, y + h - 11 * mm, w, 11 * mm, stroke=0, fill=1)
    pdf.setFillGray(1)
    pdf.setFont(font, 13)
    pdf.drawString(x + 5 * mm, y + h - 7.5 * mm, _("Meijia household card"))
    pdf.setFillGray(0)
    head = household.head
    name = f"{head.name}家" if head else household.number
    pdf.setFont(font, 16)
    pdf.drawString(x + 5 * mm, y + h - 22 * mm, name)
    pdf.setFont(font, 10.5)
    pdf.drawString(
        x + 5 * mm, y + h - 30 * mm, _("Household no. %(number)s") % {"number": household.number}
    )
    pdf.drawString(x + 5 * mm, y + h - 37 * mm, household.village.name)
    town = household.village.get_parent()
    if town is not None:
        pdf.drawString(x + 5 * mm, y + h - 43 * mm, town.name)
    pdf.setFont(font, 8)
    pdf.setFillGray(0.35)
    pdf.drawString(
        x + 5 * mm,
        y + 5 * mm,
        _("Card version %(version)s · show at the points supermarket")
        % {"version": household.card_version},
    )
    pdf.setFillGray(0)
    size = min(h - 20 * mm, 42 * mm)
    image = ImageReader(io.BytesIO(qr_png(card_token(household), box_size=6)))
    pdf.drawImage(image, x + w - size - 3 * mm, y + 9 * mm, size, size)


def cards_pdf(*, households: list[Household], progress=None, compress: bool = True) -> bytes:
    """The PDF itself. ``progress(done)`` is called after each page."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    pdf.setTitle(_("Household cards"))
    page_w, page_h = A4
    cell_w = (page_w - 2 * MARGIN) / COLUMNS
    cell_h = (page_h - 2 * MARGIN) / ROWS
    per_page = COLUMNS * ROWS
    for index, household in enumerate(households):
        slot = index % per_page
        if index and slot == 0:
            pdf.showPage()
            if progress:
                progress(index)
        column, row = slot % COLUMNS, slot // COLUMNS
        x = MARGIN + column * cell_w + 2 * mm
        y = page_h - MARGIN - (row + 1) * cell_h + 2 * mm
        _draw_card(pdf, household, x, y, cell_w - 4 * mm, cell_h - 4 * mm)
    pdf.showPage()
    pdf.save()
    if progress:
        progress(len(households))
    return buffer.getvalue()


def card_print_run(*, job_id: int) -> CardPrintJob:
    """Make the job's PDF (called by the Celery task), updating its progress page by page."""
    job = CardPrintJob.objects.select_related("village").get(pk=job_id)
    if job.status == CardPrintJob.Status.DONE:
        return job
    CardPrintJob.objects.filter(pk=job.pk).update(status=CardPrintJob.Status.RUNNING, done=0)
    households = Household.objects.filter(village=job.village, status=Household.Status.ACTIVE)
    if job.household_ids:
        households = households.filter(pk__in=job.household_ids)
    households = list(
        households.select_related("village").prefetch_related("members").order_by("number")
    )

    def progress(done: int) -> None:
        CardPrintJob.objects.filter(pk=job.pk).update(done=done)

    try:
        content = cards_pdf(households=households, progress=progress)
    except Exception as error:
        CardPrintJob.objects.filter(pk=job.pk).update(
            status=CardPrintJob.Status.FAILED, error=str(error)[:200]
        )
        raise
    job.refresh_from_db()
    job.file.save(
        f"cards-{job.village.code or job.village.pk}-{job.pk}.pdf", ContentFile(content), save=False
    )
    job.status = CardPrintJob.Status.DONE
    job.total = job.done = len(households)
    job.finished_at = timezone.now()
    job.save(update_fields=["file", "status", "total", "done", "finished_at"])
    return job


def card_report_lost(*, actor: User, household: Household, note: str = "") -> int:
    """Reissue a household's card (registry.services.codes.card_reissue) after checking scope."""
    if not may(actor, Kind.CARD, Action.WRITE, household):
        raise ShopError("not_allowed", _("You cannot reissue this household's card."))
    return card_reissue(actor=actor, household=household, note=note)
