"""The ledger's nightly self-check (also ``manage.py verify_ledger``)."""

from django.db import transaction

from outbox.services import message_send
from points.models import LedgerCheck
from points.selectors.ledger import ledger_problems_list
from registry.models import RoleAssignment, User


def ledger_check_run() -> LedgerCheck:
    """Verify every chain, cached balance and transaction; record the result; on any break,
    write a message to the district administrators (inbox and SMS, through the outbox)."""
    problems, accounts, transactions = ledger_problems_list()
    with transaction.atomic(durable=True):
        check = LedgerCheck.objects.create(
            accounts_checked=accounts,
            transactions_checked=transactions,
            problems=problems[:1000],
            is_clean=not problems,
        )
        if problems:
            message_send(
                template="points.ledger_problems",
                data={"count": len(problems)},
                users=User.objects.filter(
                    roles__role=RoleAssignment.Role.DISTRICT_ADMIN, is_active=True
                ).distinct(),
            )
    return check
