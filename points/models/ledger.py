"""The points ledger: accounts, transactions and their append-only postings.

A household's balance is the sum of its postings; ``Account.balance`` caches it and is written in
the same database transaction as the postings. See docs/ledger.md for the rules.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Account(models.Model):
    """Where points are: a household, an area's issuing pool, a store, a district's expiry."""

    class Kind(models.TextChoices):
        HOUSEHOLD = "household", _("Household")
        POOL = "pool", _("Issuing pool")
        STORE = "store", _("Store")
        EXPIRY = "expiry", _("Expired points")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    household = models.OneToOneField(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_account",
        verbose_name=_("household"),
    )
    area = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="points_accounts",
        verbose_name=_("area"),
    )
    store_id = models.PositiveBigIntegerField(_("store"), null=True, blank=True)
    # Cached for household accounts only: pools, stores and expiry accounts are never locked or
    # cached (they would serialise every award of a village); their balance is the sum of postings.
    balance = models.BigIntegerField(_("balance"), default=0)
    posting_count = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    scope_area_field = "household__village__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="household") | Q(balance__gte=0),
                name="household_balance_never_negative",
            ),
            models.CheckConstraint(
                condition=(
                    (Q(kind="household") & Q(household__isnull=False))
                    | (Q(kind__in=["pool", "expiry"]) & Q(area__isnull=False))
                    | (Q(kind="store") & Q(store_id__isnull=False))
                ),
                name="account_has_its_owner",
            ),
            models.UniqueConstraint(
                fields=["kind", "area"],
                condition=Q(area__isnull=False),
                name="one_account_per_area",
            ),
            models.UniqueConstraint(
                fields=["store_id"],
                condition=Q(store_id__isnull=False),
                name="one_account_per_store",
            ),
        ]

    def __str__(self) -> str:
        owner = self.household or self.area or self.store_id
        return f"{self.get_kind_display()} · {owner}"


class LedgerTransaction(models.Model):
    """One business event (an award, a redemption, …) whose postings sum to zero."""

    class Kind(models.TextChoices):
        AWARD = "award", _("Award")
        REDEMPTION = "redemption", _("Redemption")
        VOID = "void", _("Void")
        REVERSAL = "reversal", _("Reversal")
        EXPIRY = "expiry", _("Expiry")
        ADJUSTMENT = "adjustment", _("Adjustment")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=200)
    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    # The record that caused it (a sorting check, an appraisal, a redemption, …).
    source_type = models.CharField(_("source"), max_length=40, blank=True)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    rule_code = models.CharField(_("rule"), max_length=40, blank=True)
    rule_version = models.PositiveIntegerField(_("rule version"), null=True, blank=True)
    reverses = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    # The day of the event the points are for (a sorting round's date, a claim's occurred_on), in
    # the campaign's time zone: the caps count by it, so a claim approved in a later month than
    # its event counts against its event's day, month and year. The recording day where there is
    # no earlier event (a redemption, a void, an expiry).
    occurred_on = models.DateField(_("occurred on"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("points transaction")
        verbose_name_plural = _("points transactions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reason}"


class Posting(models.Model):
    """One leg of a transaction on one account. Never updated or deleted (a trigger refuses it)."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="postings"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount = models.BigIntegerField(_("points"))
    # Household accounts only: the balance after this posting and the hash chain.
    sequence = models.PositiveBigIntegerField(null=True, blank=True)
    balance_after = models.BigIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_not_zero"),
            models.UniqueConstraint(
                fields=["account", "sequence"],
                condition=Q(sequence__isnull=False),
                name="posting_sequence_per_account",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__isnull=True) | Q(balance_after__gte=0),
                name="posting_balance_after_never_negative",
            ),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="posting_account_recent")]

    def __str__(self) -> str:
        return f"{self.amount:+d} → {self.account_id}"


class HouseholdMonth(models.Model):
    """A household's points of one month, by kind of transaction: kept for the pages.

    Written only by the ledger's one write path (``meijia_ledger_record``, version 2), in the
    same statement as the postings, under the household account's lock; the month is the
    transaction's ``occurred_on`` (the day of the event, as the caps count). Each column is the
    signed sum of the household's postings of that kind in that month, so a villager's rank and
    this month's earnings read one small row per household instead of summing postings, and
    ``verify_ledger`` compares every row with the postings (``month_mismatch``).
    """

    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        related_name="points_months",
        db_index=False,  # one_row_per_month's index starts with it
    )
    month = models.DateField(_("month"))  # its first day
    awarded = models.BigIntegerField(_("awarded"), default=0)
    redeemed = models.BigIntegerField(_("redeemed"), default=0)
    voided = models.BigIntegerField(_("voided"), default=0)
    reversed = models.BigIntegerField(_("reversed"), default=0)
    expired = models.BigIntegerField(_("expired"), default=0)
    adjusted = models.BigIntegerField(_("adjusted"), default=0)

    # The column of each transaction kind (the SQL function keeps the same table).
    KIND_COLUMNS = {
        LedgerTransaction.Kind.AWARD: "awarded",
        LedgerTransaction.Kind.REDEMPTION: "redeemed",
        LedgerTransaction.Kind.VOID: "voided",
        LedgerTransaction.Kind.REVERSAL: "reversed",
        LedgerTransaction.Kind.EXPIRY: "expired",
        LedgerTransaction.Kind.ADJUSTMENT: "adjusted",
    }

    class Meta:
        verbose_name = _("household month")
        verbose_name_plural = _("household months")
        constraints = [
            models.UniqueConstraint(fields=["household", "month"], name="one_row_per_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="household_month_is_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.month:%Y-%m} +{self.awarded}"


class LedgerCheck(models.Model):
    """The result of one run of the ledger verification (nightly, or ``verify_ledger``)."""

    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    accounts_checked = models.PositiveIntegerField(default=0)
    transactions_checked = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    is_clean = models.BooleanField(_("no problems"), default=True)

    class Meta:
        verbose_name = _("ledger check")
        verbose_name_plural = _("ledger checks")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'OK' if self.is_clean else len(self.problems)}"
