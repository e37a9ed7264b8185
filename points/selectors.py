"""Reads of the points ledger."""

from collections.abc import Iterator

from django.db.models import Count, Sum

from points.models import Account, LedgerTransaction, Posting
from points.services.ledger import posting_hash

CHUNK = 2000


def _household_problems(account: Account, postings: Iterator[Posting]) -> list[dict]:
    problems = []
    prev_hash, running, expected_sequence = "", 0, 1
    for posting in postings:
        running += posting.amount
        if posting.sequence != expected_sequence:
            problems.append({"code": "sequence_gap", "account": account.pk, "posting": posting.pk})
        if posting.prev_hash != prev_hash or posting.balance_after != running:
            problems.append({"code": "chain_broken", "account": account.pk, "posting": posting.pk})
        digest = posting_hash(
            prev_hash=posting.prev_hash,
            account_id=account.pk,
            sequence=posting.sequence,
            transaction_id=posting.transaction_id,
            idempotency_key=posting.transaction.idempotency_key,
            amount=posting.amount,
            balance_after=posting.balance_after,
        )
        if digest != posting.hash:
            problems.append({"code": "hash_mismatch", "account": account.pk, "posting": posting.pk})
        prev_hash, expected_sequence = posting.hash, expected_sequence + 1
    if running != account.balance:
        problems.append(
            {
                "code": "balance_mismatch",
                "account": account.pk,
                "cached": account.balance,
                "sum": running,
            }
        )
    if prev_hash != account.last_hash:
        problems.append({"code": "chain_head_mismatch", "account": account.pk})
    return problems


def ledger_problems_list() -> tuple[list[dict], int, int]:
    """Every break in the ledger: chains, cached balances, unbalanced transactions.

    Returns (problems, accounts checked, transactions checked). Streams postings account by
    account, so memory stays flat whatever the size of the ledger.
    """
    problems: list[dict] = []
    accounts = 0
    for account in (
        Account.objects.filter(kind=Account.Kind.HOUSEHOLD)
        .order_by("pk")
        .iterator(chunk_size=CHUNK)
    ):
        accounts += 1
        postings = (
            Posting.objects.filter(account=account)
            .select_related("transaction")
            .only(
                "amount",
                "sequence",
                "balance_after",
                "prev_hash",
                "hash",
                "transaction_id",
                "transaction__idempotency_key",
            )
            .order_by("sequence")
            .iterator(chunk_size=CHUNK)
        )
        problems.extend(_household_problems(account, postings))
    unbalanced = (
        Posting.objects.values("transaction_id")
        .annotate(total=Sum("amount"), legs=Count("id"))
        .exclude(total=0, legs__gte=2)
    )
    problems.extend(
        {
            "code": "unbalanced_transaction",
            "transaction": row["transaction_id"],
            "sum": row["total"],
        }
        for row in unbalanced
    )
    empty = LedgerTransaction.objects.filter(postings__isnull=True).values_list("pk", flat=True)
    problems.extend({"code": "transaction_without_postings", "transaction": pk} for pk in empty)
    return problems, accounts, LedgerTransaction.objects.count()
