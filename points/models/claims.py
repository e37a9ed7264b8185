from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PointsClaim(models.Model):
    """Points recorded for a household under a rule, waiting for a second person (maker-checker).

    The person who records a claim cannot approve it; another committee member of the same
    village, or a town or district administrator, can. Small routine amounts may be approved
    automatically when the rule allows. Approval writes the ledger transaction.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        AUTO_APPROVED = "auto", _("Approved automatically")
        REJECTED = "rejected", _("Rejected")
        # Taken back by its own recorder (a mis-tapped grade undone or changed at once).
        WITHDRAWN = "withdrawn", _("Withdrawn by the recorder")

    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="points_claims"
    )
    rule_version = models.ForeignKey(
        "points.EarningRuleVersion", on_delete=models.PROTECT, related_name="claims"
    )
    occurred_on = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200)
    requested_points = models.IntegerField(_("points"))
    source_type = models.CharField(max_length=40, blank=True)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)
    # Something the approver must look at (e.g. the household was graded twice in one round);
    # a flagged claim is never approved automatically.
    flag = models.CharField(_("needs attention"), max_length=200, blank=True)
    transaction = models.OneToOneField(
        "points.LedgerTransaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claim",
    )

    scope_area_field = "household__village__path"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("points claim")
        verbose_name_plural = _("points claims")
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | models.Q(decided_at__isnull=False)
                | models.Q(status="auto"),
                name="decided_claim_has_a_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.requested_points:+d}"
