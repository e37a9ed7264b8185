"""The ledger's nightly self-check (also ``manage.py verify_ledger``)."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from meijia.tasks import send_sms
from points.models import LedgerCheck
from points.selectors import ledger_problems_list
from registry.models import RoleAssignment, User


def ledger_check_run() -> LedgerCheck:
    """Verify every chain, cached balance and transaction; record the result; on any break,
    text the district administrators (on commit)."""
    problems, accounts, transactions = ledger_problems_list()
    check = LedgerCheck.objects.create(
        accounts_checked=accounts,
        transactions_checked=transactions,
        problems=problems[:1000],
        is_clean=not problems,
    )
    if problems:
        text = _(
            "[%(sign)s] The points ledger check found %(count)s problems. Please look at the "
            "ledger checks in the work desk."
        ) % {"sign": settings.SMS_SIGN_NAME, "count": len(problems)}
        phones = (
            User.objects.filter(
                roles__role=RoleAssignment.Role.DISTRICT_ADMIN, phone__isnull=False, is_active=True
            )
            .values_list("phone", flat=True)
            .distinct()
        )
        for phone in phones:
            transaction.on_commit(lambda phone=phone: send_sms.delay(phone, text))
    return check
