"""The words of every message: a template key → a short title (the inbox) and a text (the inbox
and one SMS).

Texts are ``%``-formatted with the message's data plus ``sign`` (``settings.SMS_SIGN_NAME``).
A text fits one SMS (70 characters) in Chinese with the sample data below; the names a template
lists in ``clip`` (store, item: free text typed by people) are cut to ``SMS_VALUE_CHARS`` for SMS,
so a long name cannot make it two. Data never
carries a full phone or ID number (``message_send`` refuses it) and never names one household to
another: the recipients' own household is "your household".
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SMS_CHARS = 70
SMS_VALUE_CHARS = 12


@dataclass(frozen=True)
class Template:
    title: Promise
    text: Promise
    # The preference it falls under (TOPICS); "" for messages nobody may turn off.
    topic: str
    sample: dict = field(default_factory=dict)
    # Values wiped from the row once it is sent or failed (a sign-in code is not kept).
    secret: tuple[str, ...] = ()
    # Free-text values cut for SMS.
    clip: tuple[str, ...] = ()
    # The channels a message goes by unless the caller (or, later, the person) says otherwise.
    channels: tuple[str, ...] = ("inbox", "sms")
    # Sent at once, at any hour and past the daily cap (sign-in codes).
    is_urgent: bool = False


# What a person may choose channels for (work desk and villagers alike, in this order).
TOPICS: dict[str, Promise] = {
    "points": _("Points approved, refused or deducted, and results"),
    "shop": _("Redemptions at the Meijia store"),
    "expiry": _("Points about to expire"),
    "classes": _("Classes: reminders and seats"),
    "publicity": _("Publicity in my village"),
    "objections": _("Answers to my objections"),
    "notices": _("Notices from the town and village"),
    "pages": _("Pages to review, approved or sent back"),
    "alerts": _("Stock and ledger alerts"),
    "workorders": _("Work orders: new, due tomorrow, late, sent back"),
    "upkeep": _("Toilet service: done, please rate it"),
}

CATALOGUE: dict[str, Template] = {
    "account.login_code": Template(
        topic="",
        is_urgent=True,
        title=_("Sign-in code"),
        text=_(
            "[%(sign)s] Your sign-in code is %(code)s. It is valid for %(minutes)s minutes. "
            "Never tell it to anyone."
        ),
        sample={"code": "123456", "minutes": 5},
        secret=("code",),
    ),
    "account.unknown_number": Template(
        topic="",
        is_urgent=True,
        title=_("Number not registered"),
        text=_(
            "[%(sign)s] This number is not in any household register. Ask your village "
            "committee to add it."
        ),
    ),
    "shops.redemption": Template(
        topic="shop",
        title=_("Redemption"),
        text=_("%(store)s: %(points)s points spent, receipt %(receipt)s."),
        sample={"store": "杏花村美家超市一号店", "points": 12345, "receipt": "261203-VY35XF"},
        clip=("store",),
    ),
    "shops.redemption_void": Template(
        topic="shop",
        title=_("Redemption voided"),
        text=_("%(store)s voided receipt %(receipt)s: %(points)s points were given back."),
        sample={"store": "杏花村美家超市一号店", "points": 12345, "receipt": "261203-VY35XF"},
        clip=("store",),
    ),
    "shops.low_stock": Template(
        topic="alerts",
        title=_("Low stock"),
        text=_("%(store)s: %(item)s is running low, %(left)s %(unit)s left. Please restock."),
        sample={"store": "杏花村美家超市一号店", "item": "洗衣粉（大袋）", "left": 3, "unit": "袋"},
        clip=("store", "item", "unit"),
    ),
    "points.expiry": Template(
        topic="expiry",
        title=_("Points about to expire"),
        text=_(
            "[%(sign)s] %(points)s points of your household expire on %(date)s. Please use them "
            "at a Meijia store before then."
        ),
        sample={"points": 12345, "date": "2026-12-31"},
    ),
    "points.expiry_range": Template(
        topic="expiry",
        title=_("Points about to expire"),
        text=_(
            "[%(sign)s] %(points)s points of your household expire between %(first)s and "
            "%(last)s. Please use them at a Meijia store before then."
        ),
        sample={"points": 12345, "first": "2026-12-01", "last": "2026-12-31"},
    ),
    "points.ledger_problems": Template(
        topic="alerts",
        title=_("Ledger check found problems"),
        text=_(
            "[%(sign)s] The points ledger check found %(count)s problems. Please look at the "
            "ledger checks in the work desk."
        ),
        sample={"count": 12345},
    ),
    # --- Points (points/services) -------------------------------------------------------------
    "points.approved": Template(
        topic="points",
        title=_("Points received"),
        text=_("[%(sign)s] Your household received %(points)s points: %(reason)s."),
        sample={"points": 30, "reason": "垃圾分类检查：优（第二组）"},
        clip=("reason",),
    ),
    "points.deducted": Template(
        topic="points",
        title=_("Points deducted"),
        text=_("[%(sign)s] %(points)s points were deducted from your household: %(reason)s."),
        sample={"points": 5, "reason": "垃圾分类检查：不合格"},
        clip=("reason",),
    ),
    "points.refused": Template(
        topic="points",
        title=_("Points not approved"),
        text=_("[%(sign)s] %(points)s points for %(reason)s were not approved: %(note)s"),
        sample={
            "points": 30,
            "reason": "垃圾分类检查：优（第二组）",
            "note": "当天没有检查记录照片",
        },
        clip=("reason", "note"),
    ),
    "points.objection_upheld": Template(
        topic="objections",
        title=_("Objection answered"),
        text=_("[%(sign)s] Your objection was upheld and the result will be reviewed: %(answer)s"),
        sample={"answer": "经核实情况属实，下周重新评分"},
        clip=("answer",),
    ),
    "points.objection_rejected": Template(
        topic="objections",
        title=_("Objection answered"),
        text=_("[%(sign)s] Your objection was not upheld: %(answer)s"),
        sample={"answer": "经村委会核实，评分有照片为证"},
        clip=("answer",),
    ),
    "points.published": Template(
        topic="points",
        title=_("Result published"),
        text=_("[%(sign)s] Your household's result in %(title)s is final: %(points)s points."),
        sample={"title": "2026年第四季度美家美院 五星", "points": 30},
        clip=("title",),
    ),
    "points.publicity_started": Template(
        topic="publicity",
        title=_("Publicity started"),
        text=_(
            "[%(sign)s] %(title)s: the results are on public display until %(ends_on)s. "
            "Objections may be raised until then."
        ),
        sample={"title": "2026年第四季度美家美院", "ends_on": "2026-12-10"},
        clip=("title",),
        channels=("inbox",),
    ),
    # --- Classes (campaigns/services) -----------------------------------------------------------
    "classes.tomorrow": Template(
        topic="classes",
        title=_("Class tomorrow"),
        text=_("[%(sign)s] Reminder: %(class)s tomorrow at %(time)s, %(place)s."),
        sample={"class": "垃圾分类小课堂", "time": "19:30", "place": "杏花村村委会二楼会议室"},
        clip=("class", "place"),
    ),
    "classes.seat_freed": Template(
        topic="classes",
        title=_("You have a seat"),
        text=_("[%(sign)s] A seat came free and is yours: %(class)s, %(time)s."),
        sample={"class": "垃圾分类小课堂", "time": "12-04 19:30"},
        clip=("class",),
    ),
    # --- Pages (moderation, campaigns) ---------------------------------------------------------
    "pages.submitted": Template(
        topic="pages",
        title=_("Page waiting for review"),
        text=_("“%(page)s” was submitted for review by %(editor)s."),
        sample={"page": "杏花村开展垃圾分类评比活动", "editor": "王编辑"},
        clip=("page", "editor"),
        channels=("inbox",),
    ),
    "pages.approved": Template(
        topic="pages",
        title=_("Page approved"),
        text=_("“%(page)s” was approved."),
        sample={"page": "杏花村开展垃圾分类评比活动"},
        clip=("page",),
        channels=("inbox",),
    ),
    "pages.rejected": Template(
        topic="pages",
        title=_("Page sent back"),
        text=_("“%(page)s” was sent back for changes: %(comment)s"),
        sample={"page": "杏花村开展垃圾分类评比活动", "comment": "请补充活动照片的图片说明"},
        clip=("page", "comment"),
        channels=("inbox",),
    ),
    # --- Work orders (supervision) --------------------------------------------------------------
    "workorders.assigned": Template(
        topic="workorders",
        title=_("New work order"),
        text=_("[%(sign)s] New order #%(order)s for %(area)s: %(title)s. Due %(due)s."),
        sample={"order": 12345, "area": "杏花村", "title": "村口三大堆未清理", "due": "12-10"},
        clip=("area", "title"),
    ),
    "workorders.due_soon": Template(
        topic="workorders",
        title=_("Work order due tomorrow"),
        text=_("[%(sign)s] Order #%(order)s (%(title)s) is due %(due)s. Please finish it."),
        sample={"order": 12345, "title": "村口三大堆未清理", "due": "12-10 18:00"},
        clip=("title",),
    ),
    "workorders.late": Template(
        topic="workorders",
        title=_("Work order late"),
        text=_("[%(sign)s] Order #%(order)s in %(area)s is late (due %(due)s): %(title)s."),
        sample={"order": 12345, "area": "杏花村", "title": "村口三大堆未清理", "due": "12-10"},
        clip=("area", "title"),
    ),
    "workorders.sent_back": Template(
        topic="workorders",
        title=_("Work order sent back"),
        text=_("[%(sign)s] Order #%(order)s was sent back: %(reason)s"),
        sample={"order": 12345, "reason": "照片看不清，请重新拍摄整改后的照片"},
        clip=("reason",),
    ),
    # --- Toilet after-care (upkeep) -----------------------------------------------------------
    "upkeep.rate": Template(
        topic="upkeep",
        title=_("Toilet service done: please rate it"),
        text=_(
            "[%(sign)s] Your %(service)s (order #%(order)s) is done. Please rate it on your "
            "household page."
        ),
        sample={"service": "户厕抽渣", "order": 12345},
        clip=("service",),
    ),
    "tallies.sent_back": Template(
        topic="workorders",
        title=_("Tally report sent back"),
        text=_(
            "[%(sign)s] Your %(campaign)s report for the week of %(week)s was sent back: %(reason)s"
        ),
        sample={
            "campaign": "冬季清洁行动",
            "week": "12-07",
            "reason": "清理吨数与照片不符，请核实",
        },
        clip=("reason",),
    ),
    # --- Notices to every household of an area (outbox/views) --------------------------------
    "notice.area": Template(
        topic="notices",
        title=_("Notice"),
        text=_("[%(sign)s] %(sender)s: %(text)s"),
        sample={
            "sender": "青禾镇",
            "text": "本周六上午九点在村委会广场集中清理三大堆，请每户派一人参加。",
        },
        clip=("sender",),
    ),
}


def topic_channels(topic: str) -> set[str]:
    """The channels a topic uses by default (any of its templates)."""
    return {
        channel
        for template in CATALOGUE.values()
        if template.topic == topic
        for channel in template.channels
    }
