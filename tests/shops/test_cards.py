import os
import shutil
import subprocess

import pytest
from django.urls import reverse

from registry.models import ExportRecord, RoleAssignment
from registry.services import codes
from registry.services.register import role_groups_sync
from shops.exceptions import ShopError
from shops.models import CardPrintJob
from shops.services.cards import card_print_request, cards_pdf
from tests.factories import make_household, make_staff, make_tree

pytestmark = pytest.mark.django_db
Role = RoleAssignment.Role


@pytest.fixture
def village_of_ten():
    tree = make_tree()
    village = tree["villages"][0]
    households = [
        make_household(village, head_name=name)
        for name in [
            "张建明",
            "李秀英",
            "王小红",
            "赵大勇",
            "孙丽",
            "周强",
            "吴芳",
            "郑伟",
            "冯敏",
            "陈静",
        ]
    ]
    committee = make_staff(Role.COMMITTEE, village)
    return {"tree": tree, "village": village, "households": households, "committee": committee}


def test_cards_pdf_has_eight_cards_per_a4_page_in_chinese(village_of_ten):
    households = village_of_ten["households"]
    done = []
    content = cards_pdf(households=households, progress=done.append, compress=False)
    assert content.startswith(b"%PDF")
    assert content.count(b"/Type /Page\n") == 2  # 10 cards: 8 + 2
    assert b"STSong-Light" in content and b"UniGB-UCS2-H" in content
    assert done == [8, 10]


def test_printed_card_codes_decode_with_zbarimg(village_of_ten, tmp_path):
    gs, zbarimg = shutil.which("gs"), shutil.which("zbarimg")
    if gs is None or zbarimg is None:
        if os.environ.get("MEIJIA_STRICT_SKIPS") == "1":
            pytest.fail("Ghostscript and zbarimg are needed in CI (apt-get install ghostscript)")
        pytest.skip("needs Ghostscript and zbarimg")
    households = village_of_ten["households"][:8]
    pdf = tmp_path / "cards.pdf"
    pdf.write_bytes(cards_pdf(households=households))
    png = tmp_path / "page.png"
    render = [gs, "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pnggray", "-r200"]
    subprocess.run(  # noqa: S603 - fixed programs and our own files
        [*render, f"-sOutputFile={png}", str(pdf)], check=True
    )
    found = subprocess.run(  # noqa: S603
        [zbarimg, "--raw", "-q", str(png)], capture_output=True, text=True, check=True
    ).stdout.split()
    assert sorted(found) == sorted(codes.card_token(household) for household in households)


def test_print_job_runs_as_a_task_with_progress_and_is_downloaded_once_recorded(
    client, village_of_ten, django_capture_on_commit_callbacks, settings, tmp_path
):
    role_groups_sync()
    committee = village_of_ten["committee"]
    client.force_login(committee)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("shops_cards:home"), {"village": village_of_ten["village"].pk, "numbers": ""}
        )
    job = CardPrintJob.objects.get()
    assert response.url == reverse("shops_cards:job", args=[job.pk])
    assert client.get(response.url).status_code == 200
    progress = client.get(reverse("shops_cards:progress", args=[job.pk])).json()
    assert progress["status"] == "done" and progress["done"] == progress["total"] == 10
    download = client.get(reverse("shops_cards:download", args=[job.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert ExportRecord.objects.filter(kind="household_cards", row_count=10).exists()


def test_selected_households_and_scoping(village_of_ten):
    other_village = village_of_ten["tree"]["villages"][1]
    committee = village_of_ten["committee"]
    number = village_of_ten["households"][0].number
    job = card_print_request(actor=committee, village=village_of_ten["village"], numbers=[number])
    assert job.total == 1
    with pytest.raises(ShopError) as refused:
        card_print_request(actor=committee, village=other_village)
    assert refused.value.code == "not_allowed"
    with pytest.raises(ShopError) as refused:
        card_print_request(actor=committee, village=village_of_ten["village"], numbers=["9999"])
    assert refused.value.code == "unknown_household"


def test_reporting_a_card_lost_refuses_the_old_card_and_prints_the_new_one(
    client, village_of_ten, django_capture_on_commit_callbacks
):
    role_groups_sync()
    household = village_of_ten["households"][0]
    old = codes.card_token(household)
    client.force_login(village_of_ten["committee"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("shops_cards:lost"),
            {"lost-village": village_of_ten["village"].pk, "lost-number": household.number},
        )
    household.refresh_from_db()
    assert household.card_version == 2
    with pytest.raises(codes.CodeRefused) as refused:
        codes.code_read(old)
    assert refused.value.code == "revoked"
    job = CardPrintJob.objects.get()
    assert job.household_ids == [household.pk] and job.status == "done"
