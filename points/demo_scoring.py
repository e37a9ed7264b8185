"""Demo data for scoring (called by ``manage.py seed_demo``): a sorting round, an appraisal in
publicity and commendations, in village A. Every write has a fixed key, so a rerun adds nothing.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from points.models import AppraisalCampaign, Commendation, SortingCheck
from points.services.appraisals import (
    appraisal_campaign_create,
    appraisal_score_record,
    appraisal_verify,
)
from points.services.commendations import commendation_approve, commendation_nominate
from points.services.publicity import publicity_end_run
from points.services.sorting import sorting_check_record, sorting_round_open
from registry.models import Area, Household, Member, User

SORTING_HOUSEHOLDS = 12
SORTING_GRADES = ["excellent", "good", "pass", "excellent", "good", "fail"]
APPRAISED_HOUSEHOLDS = 8
APPRAISAL_SCORES = [
    [19, 18, 19, 18, 18],
    [17, 17, 16, 16, 15],
    [20, 19, 19, 19, 18],
    [15, 14, 15, 14, 13],
    [18, 17, 18, 17, 16],
    [12, 13, 12, 11, 12],
    [19, 19, 18, 18, 17],
    [16, 16, 17, 15, 16],
]


def _households(village: Area, count: int) -> list[Household]:
    group = village.get_children().filter(level=Area.Level.GROUP).order_by("path").first()
    households = Household.objects.filter(village=village, status=Household.Status.ACTIVE)
    if group is not None:
        households = households.filter(group=group)
    return list(households.prefetch_related("members").order_by("number")[:count])


def seed_scoring(*, village: Area) -> str:
    """Seed village A's scoring demo; returns a one-line summary (in Chinese, like seed_demo)."""
    committee = User.objects.get(username="committee")
    checker = User.objects.get(username="committee2")
    town = User.objects.get(username="town")
    today = timezone.localdate()
    if not _households(village, 1):
        return "没有住户，跳过"
    with transaction.atomic():
        round_ = sorting_round_open(village=village, actor=committee, held_on=today)
        for index, household in enumerate(_households(village, SORTING_HOUSEHOLDS)):
            sorting_check_record(
                round=round_,
                household=household,
                grade=SORTING_GRADES[index % len(SORTING_GRADES)],
                actor=committee,
                idempotency_key=f"demo-sorting:{round_.pk}:{household.pk}",
            )
        graded = SortingCheck.objects.filter(round=round_).count()

        month = today.replace(day=1)
        campaign = AppraisalCampaign.objects.filter(village=village, period_start=month).first()
        if campaign is None:
            campaign = appraisal_campaign_create(
                village=village,
                title=f"{month.year}年{month.month}月 美家美院评比",
                period_start=month,
                period_end=today,
                actor=committee,
            )
        criteria = [criterion.pk for criterion in campaign.criteria.all()]
        if campaign.status == AppraisalCampaign.Status.SCORING:
            for index, household in enumerate(_households(village, APPRAISED_HOUSEHOLDS)):
                appraisal_score_record(
                    campaign=campaign,
                    household=household,
                    scorer=committee,
                    scores=dict(zip(criteria, APPRAISAL_SCORES[index], strict=True)),
                    idempotency_key=f"demo-appraisal:{campaign.pk}:{household.pk}",
                    note="院落整洁，物品摆放有序" if index % 3 == 0 else "",
                )
            appraisal_verify(campaign=campaign, actor=checker, starts_on=today)

        people = _households(village, 3)
        nominations = [
            (
                "good_daughter_in_law",
                "十年如一日照顾卧床的婆婆，邻里称赞。",
                today - datetime.timedelta(days=10),
            ),
            ("virtuous_youth", "放学后帮村里老人打扫院子，主动参加垃圾分类宣传。", today),
        ]
        for index, (title, citation, starts_on) in enumerate(nominations):
            household = people[index + 1] if len(people) > index + 1 else people[0]
            member = (
                household.members.filter(relation=Member.Relation.DAUGHTER_IN_LAW).first()
                or household.members.first()
            )
            item = commendation_nominate(
                household=household,
                member=member,
                title=title,
                citation=citation,
                actor=committee,
                idempotency_key=f"demo-commendation:{village.pk}:{title}",
                period_start=today.replace(month=1, day=1),
            )
            if item.status == Commendation.Status.NOMINATED:
                commendation_approve(commendation=item, actor=town, starts_on=starts_on)
        publicity_end_run(today=today)
    commended = Commendation.objects.filter(village=village).count()
    return f"垃圾分类检查 {graded} 户，{campaign.title}（公示中），评比表彰 {commended} 项"
