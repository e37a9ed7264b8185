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
    sample: dict = field(default_factory=dict)
    # Values wiped from the row once it is sent or failed (a sign-in code is not kept).
    secret: tuple[str, ...] = ()
    # Free-text values cut for SMS.
    clip: tuple[str, ...] = ()


CATALOGUE: dict[str, Template] = {
    "account.login_code": Template(
        title=_("Sign-in code"),
        text=_(
            "[%(sign)s] Your sign-in code is %(code)s. It is valid for %(minutes)s minutes. "
            "Never tell it to anyone."
        ),
        sample={"code": "123456", "minutes": 5},
        secret=("code",),
    ),
    "account.unknown_number": Template(
        title=_("Number not registered"),
        text=_(
            "[%(sign)s] This number is not in any household register. Ask your village "
            "committee to add it."
        ),
    ),
    "shops.redemption": Template(
        title=_("Redemption"),
        text=_("%(store)s: %(points)s points spent, receipt %(receipt)s."),
        sample={"store": "杏花村美家超市一号店", "points": 12345, "receipt": "261203-VY35XF"},
        clip=("store",),
    ),
    "shops.redemption_void": Template(
        title=_("Redemption voided"),
        text=_("%(store)s voided receipt %(receipt)s: %(points)s points were given back."),
        sample={"store": "杏花村美家超市一号店", "points": 12345, "receipt": "261203-VY35XF"},
        clip=("store",),
    ),
    "shops.low_stock": Template(
        title=_("Low stock"),
        text=_("%(store)s: %(item)s is running low, %(left)s %(unit)s left. Please restock."),
        sample={"store": "杏花村美家超市一号店", "item": "洗衣粉（大袋）", "left": 3, "unit": "袋"},
        clip=("store", "item", "unit"),
    ),
    "points.expiry": Template(
        title=_("Points about to expire"),
        text=_(
            "[%(sign)s] %(points)s points of your household expire on %(date)s. Please use them "
            "at a Meijia store before then."
        ),
        sample={"points": 12345, "date": "2026-12-31"},
    ),
    "points.expiry_range": Template(
        title=_("Points about to expire"),
        text=_(
            "[%(sign)s] %(points)s points of your household expire between %(first)s and "
            "%(last)s. Please use them at a Meijia store before then."
        ),
        sample={"points": 12345, "first": "2026-12-01", "last": "2026-12-31"},
    ),
    "points.ledger_problems": Template(
        title=_("Ledger check found problems"),
        text=_(
            "[%(sign)s] The points ledger check found %(count)s problems. Please look at the "
            "ledger checks in the work desk."
        ),
        sample={"count": 12345},
    ),
}
