"""Work orders (工单): one mechanism for every problem someone must fix by a deadline.

Inspections file their failed items here; upkeep (toilet after-care) files its service orders
here with categories of its own (``Category.source``). Status changes only through
``supervision.services.workorders`` along ``supervision.transitions.TRANSITIONS``; every change
writes a ``WorkOrderEvent`` (the timeline).
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A kind of problem with its service level: how many days whoever must act has.

    Data the district edits (work desk → 工单类别). ``source`` names the app whose orders these
    are (``inspection``, ``upkeep``, ``manual``), so an app picks its own categories and orders.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    source = models.CharField(_("source"), max_length=20, default="manual", db_index=True)
    days = models.PositiveSmallIntegerField(
        _("days to fix"), default=7, help_text=_("The service level: days from filing to deadline.")
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("work order category")
        verbose_name_plural = _("work order categories")
        ordering = ["source", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def service_level(self) -> dt.timedelta:
        return dt.timedelta(days=self.days)


class Team(models.Model):
    """An organisation that acts on orders: a contractor's crew (保洁, 抽渣, 维修), a department.

    ``area`` is where it works (the scope of its administrators' lists); ``members`` are the
    people who see and finish the orders assigned to the team.
    """

    class Kind(models.TextChoices):
        CONTRACTOR = "contractor", _("Contractor")
        DEPARTMENT = "department", _("Department")

    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.CONTRACTOR)
    area = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="work_teams", verbose_name=_("members")
    )
    phone = models.CharField(_("duty phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    scope_area_field = "area__path"

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class WorkOrder(models.Model):
    """A problem → who must act → deadline → evidence → check → closed (or reopened)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ASSIGNED = "assigned", _("Assigned")
        DONE = "done", _("Done, waiting for check")
        CHECKED = "checked", _("Accepted")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    # Someone must still act (these can be late).
    ACTIVE = (Status.OPEN, Status.ASSIGNED, Status.REOPENED)

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="orders", verbose_name=_("category")
    )
    source = models.CharField(_("source"), max_length=20, default="manual", db_index=True)
    # The creator's idempotency key (an inspection item, an upkeep request): one order per key.
    key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    title = models.CharField(_("problem"), max_length=120)
    description = models.TextField(_("details"), blank=True)
    area = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, related_name="+", verbose_name=_("area")
    )
    household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    # Who must act: a village (its committee), a team, a person; a team and one of its people
    # may be named together.
    assignee_area = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village that must act"),
    )
    assignee_team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("team that must act"),
    )
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person who must act"),
    )
    deadline_at = models.DateTimeField(_("deadline"), db_index=True)
    is_overdue = models.BooleanField(_("overdue"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    checked_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    times_reopened = models.PositiveSmallIntegerField(default=0)

    scope_area_field = "area__path"
    scope_kind = "work_order"

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["deadline_at", "pk"]
        indexes = [
            models.Index(fields=["status", "deadline_at"], name="workorder_status_deadline"),
            models.Index(fields=["area", "status"], name="workorder_area_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open")
                | models.Q(assignee_area__isnull=False)
                | models.Q(assignee_team__isnull=False)
                | models.Q(assignee_user__isnull=False),
                name="workorder_assigned_has_assignee",
            ),
            models.CheckConstraint(
                condition=(models.Q(latitude__isnull=True) & models.Q(longitude__isnull=True))
                | (models.Q(latitude__isnull=False) & models.Q(longitude__isnull=False)),
                name="workorder_point_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def is_late(self, now: dt.datetime | None = None) -> bool:
        """Someone must still act and the deadline has passed."""
        return self.is_active and self.deadline_at <= (now or timezone.now())

    @property
    def was_late(self) -> bool:
        """Finished after the deadline (or not finished and past it)."""
        return (self.done_at or timezone.now()) > self.deadline_at


class WorkOrderEvent(models.Model):
    """One dated line of an order's timeline: who did what, why, from which status to which."""

    order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="events", verbose_name=_("work order")
    )
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["order", "at"], name="workorderevent_order_at")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class WorkOrderPhoto(models.Model):
    """A photo of an order: before (when filed) or after (the fix). The photo itself is a
    ``points.Photo``: cleaned of EXIF (location) by the one image path, ``points.images``."""

    class Stage(models.TextChoices):
        BEFORE = "before", _("Before")
        AFTER = "after", _("After")

    order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, related_name="photos", verbose_name=_("work order")
    )
    photo = models.ForeignKey(
        "points.Photo", on_delete=models.PROTECT, related_name="+", verbose_name=_("photo")
    )
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)
    event = models.ForeignKey(
        WorkOrderEvent, on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )

    class Meta:
        verbose_name = _("work order photo")
        verbose_name_plural = _("work order photos")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.stage}"


class AreaOrderCount(models.Model):
    """Kept by a PostgreSQL trigger (``supervision/sql/workorder_counts_v1.sql``), never by
    Python: the number of orders of an area (a village, a town; not the district) in a status,
    late or not. The overviews read these instead of counting orders."""

    area = models.ForeignKey("registry.Area", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12)
    is_overdue = models.BooleanField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["area", "status", "is_overdue"], name="areaordercount_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.status} {self.is_overdue}: {self.count}"
