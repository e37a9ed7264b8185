from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from registry.fields import IdNumberField, PhoneNumberField, is_masked
from registry.identity import (
    InvalidNumber,
    mask_id_number,
    mask_name,
    mask_phone,
    normalize_id_number,
    normalize_phone,
    normalize_text,
)


class Household(ClusterableModel):
    """A household (户). It keeps its identity, and later its points, when it moves village."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        MOVED_OUT = "moved_out", _("Moved out")
        MERGED = "merged", _("Merged")
        CANCELLED = "cancelled", _("Cancelled")

    village = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": "village"},
        verbose_name=_("village"),
    )
    group = models.ForeignKey(
        "registry.Area",
        on_delete=models.PROTECT,
        related_name="group_households",
        limit_choices_to={"level": "group"},
        null=True,
        blank=True,
        verbose_name=_("village group"),
    )
    number = models.CharField(_("household number"), max_length=20)
    address = models.CharField(_("address"), max_length=200, blank=True)
    card_version = models.PositiveSmallIntegerField(
        _("card version"),
        default=1,
        help_text=_("Printed household cards carry this number; reporting a card lost raises it."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    scope_area_field = "village__path"
    scope_kind = "household"
    scope_household_field = "pk"

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["village_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["village", "number"], name="household_number_per_village"
            ),
            models.CheckConstraint(
                condition=models.Q(status="merged", merged_into__isnull=False)
                | (~models.Q(status="merged") & models.Q(merged_into__isnull=True)),
                name="merged_household_names_target",
            ),
        ]

    def __str__(self) -> str:
        head = self.head
        return f"{head.name}家（{self.number}）" if head else str(self.number)

    @property
    def head(self) -> "Member | None":
        # A reader that fetched the head with the household (registry.services.codes) leaves it here;
        # otherwise uses the prefetch cache when the caller prefetched members.
        if "head_cached" in self.__dict__:
            return self.head_cached
        for member in self.members.all():
            if member.relation == Member.Relation.HEAD:
                return member
        return None

    @property
    def masked_name(self) -> str:
        """张*明家: what a shopkeeper or a neighbour may see."""
        head = self.head
        return f"{mask_name(head.name)}家" if head else str(self.number)


class Member(models.Model):
    """A person in a household. The phone links a villager's account to the household."""

    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        SON = "son", _("Son")
        DAUGHTER = "daughter", _("Daughter")
        DAUGHTER_IN_LAW = "daughter_in_law", _("Daughter-in-law")
        SON_IN_LAW = "son_in_law", _("Son-in-law")
        GRANDCHILD = "grandchild", _("Grandchild")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Brother or sister")
        OTHER = "other", _("Other")

    household = ParentalKey(
        Household, on_delete=models.CASCADE, related_name="members", verbose_name=_("household")
    )
    name = models.CharField(_("name"), max_length=40)
    relation = models.CharField(_("relation to the head"), max_length=20, choices=Relation.choices)
    phone = PhoneNumberField(_("mobile phone"), blank=True, db_index=True)
    id_number = IdNumberField(_("ID card number"), blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)

    scope_area_field = "household__village__path"
    scope_kind = "household"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(relation="head"),
                name="one_head_per_household",
            ),
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~models.Q(id_number=""),
                name="member_id_number_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Normalise what people type (full-width digits, spaces, +86) and refuse bad numbers."""
        errors = {}
        self.name = normalize_text(self.name)
        for field, mask in (("phone", mask_phone), ("id_number", mask_id_number)):
            value = getattr(self, field)
            if not is_masked(value):
                continue
            # A masked number sent back unchanged from a form keeps the stored number.
            stored = (
                Member.objects.filter(pk=self.pk).values_list(field, flat=True).first()
                if self.pk
                else None
            )
            if stored and mask(stored) == value:
                setattr(self, field, stored)
            else:
                errors[field] = _("Type the whole number.")
        if errors:
            raise ValidationError(errors)
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except InvalidNumber:
                errors["phone"] = _("Enter an 11-digit mobile number.")
        if self.id_number:
            try:
                self.id_number = normalize_id_number(self.id_number)
            except InvalidNumber:
                errors["id_number"] = _("This is not a valid 18-character ID card number.")
        if errors:
            raise ValidationError(errors)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)


class HouseholdEvent(models.Model):
    """The dated history of a household: creation, status changes, moves, merges, imports."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Registered")
        STATUS = "status", _("Status changed")
        MOVED = "moved", _("Moved to another village")
        MERGED = "merged", _("Merged")
        IMPORTED = "imported", _("Updated by import")
        CARD_REISSUED = "card", _("Card reported lost and reissued")

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="events", verbose_name=_("household")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    from_status = models.CharField(_("from status"), max_length=12, blank=True)
    to_status = models.CharField(_("to status"), max_length=12, blank=True)
    from_village = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_village = models.ForeignKey(
        "registry.Area", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    other_household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_on = models.DateField(_("effective on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    scope_area_field = "household__village__path"
    scope_kind = "household"
    scope_household_field = "household_id"

    class Meta:
        verbose_name = _("household event")
        verbose_name_plural = _("household events")
        ordering = ["-effective_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.effective_on}"
