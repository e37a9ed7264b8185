"""Demo data for the campaign tallies (called by ``manage.py seed_demo``): a winter 五清一改 push
of the district with five measures and a target per town per measure, and three weeks of village
A's reports by ``committee`` (approved by ``town``, one sent back with a reason, the last one
waiting) and of its neighbour (entered by ``town``, approved by ``district``). Fixed keys: a rerun adds nothing."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from registry.models import Area, User
from supervision.demo import _photo
from supervision.models import Measure, TallyCampaign, TallyReport, TallyTarget
from supervision.services.tallies import tally_report_review, tally_report_submit, week_start

# (name, unit, target per town)
MEASURES = [
    ("三大堆清理", "处", 120),
    ("清运垃圾", "吨", 300),
    ("私搭乱建拆除", "处", 40),
    ("墙体立面整治", "m²", 5000),
    ("残垣断壁修复", "处", 30),
]


def seed_tallies(*, district: Area, town: Area, village: Area) -> str:
    today = timezone.localdate()
    campaign, _created = TallyCampaign.objects.get_or_create(
        district=district,
        name="冬季村庄清洁行动",
        defaults={
            "starts_on": week_start(today) - dt.timedelta(weeks=3),
            "ends_on": today + dt.timedelta(weeks=12),
        },
    )
    measures = []
    for position, (name, unit, target) in enumerate(MEASURES):
        measure, _created = Measure.objects.get_or_create(
            campaign=campaign, name=name, defaults={"unit": unit, "position": position}
        )
        measures.append(measure)
        for each in Area.objects.filter(path__startswith=district.path, depth=district.depth + 1):
            TallyTarget.objects.get_or_create(
                measure=measure, town=each, defaults={"quantity": Decimal(target)}
            )
    committee = User.objects.get(username="committee")
    reviewer = User.objects.get(username="town")
    checker = User.objects.get(username="district")
    neighbour = (
        Area.objects.filter(level=Area.Level.VILLAGE, path__startswith=town.path)
        .exclude(pk=village.pk)
        .order_by("path")
        .first()
    )
    start = campaign.starts_on
    for n, place in enumerate(v for v in (village, neighbour) if v is not None):
        for week in range(3):
            week_on = start + dt.timedelta(weeks=week)
            quantities = {
                m.pk: (n + 1) * (week + 2) * (i + 1) * (10 if m.unit == "m²" else 1)
                for i, m in enumerate(measures)
            }
            report = tally_report_submit(
                campaign=campaign,
                village=place,
                week_on=week_on,
                quantities=quantities,
                actor=reviewer if place != village else committee,
                key=f"demo-tally:{campaign.pk}:{place.pk}:{week}",
                note="组织村民集中清理",
                photos=[_photo("#558b2f", f"tally-{week}")] if week == 0 else [],
            )
            if report.status != TallyReport.Status.SUBMITTED or week == 2:
                continue
            if place != village:
                tally_report_review(report=report, actor=checker, approve=True)
            elif week == 1:
                tally_report_review(
                    report=report,
                    actor=reviewer,
                    approve=False,
                    reason="清运吨数与过磅单不符，请核实后重报",
                )
            else:
                tally_report_review(report=report, actor=reviewer, approve=True)
    count = TallyReport.objects.filter(campaign=campaign).count()
    return f"五清一改台账 {len(measures)} 项指标，上报 {count} 份"
