"""Writes to the register: households, members, roles and villager accounts.

Every function is keyword-only, takes the acting user where a person acts, and writes its history
row in the same transaction as the change it records.
"""

import datetime
import secrets

from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.exceptions import RegisterError
from registry.models import Area, Household, HouseholdEvent, Member, RoleAssignment, User
from registry.permissions import MODEL_PERMISSIONS, forget_roles

Role = RoleAssignment.Role


def _today() -> datetime.date:
    return timezone.localdate()


def household_register(
    *, actor: User | None, household: Household, effective_on: datetime.date | None = None
) -> Household:
    """Save a new household built by a form (members included) and record its registration."""
    _check_group(household.village, household.group)
    with transaction.atomic():
        household.save()
        HouseholdEvent.objects.create(
            household=household,
            kind=HouseholdEvent.Kind.CREATED,
            to_status=household.status,
            to_village=household.village,
            effective_on=effective_on or _today(),
            actor=actor,
        )
    return household


def household_update(*, actor: User | None, household: Household, note: str = "") -> Household:
    """Save edits made by a form; a status change is recorded with its date."""
    _check_group(household.village, household.group)
    with transaction.atomic():
        previous = Household.objects.select_for_update().get(pk=household.pk)
        if previous.village_id != household.village_id:
            raise RegisterError("use_move", _("Use “move” to change a household's village."))
        if previous.status != household.status and household.status == Household.Status.MERGED:
            raise RegisterError("use_merge", _("Use “merge” to merge households."))
        household.save()
        if previous.status != household.status:
            HouseholdEvent.objects.create(
                household=household,
                kind=HouseholdEvent.Kind.STATUS,
                from_status=previous.status,
                to_status=household.status,
                effective_on=_today(),
                note=note,
                actor=actor,
            )
    return household


def household_move(
    *,
    actor: User | None,
    household: Household,
    to_village: Area,
    to_group: Area | None,
    number: str,
    effective_on: datetime.date,
    note: str = "",
) -> Household:
    """Move a household to another village. It keeps its id, members and (later) its points."""
    if to_village.level != Area.Level.VILLAGE:
        raise RegisterError("not_a_village", _("Choose an administrative village."))
    _check_group(to_village, to_group)
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if household.status != Household.Status.ACTIVE:
            raise RegisterError("not_active", _("Only an active household can move."))
        if to_village.pk == household.village_id:
            raise RegisterError("same_village", _("The household already lives in this village."))
        if Household.objects.filter(village=to_village, number=number).exists():
            raise RegisterError(
                "duplicate_number",
                _("Household number %(number)s is already used in %(village)s.")
                % {"number": number, "village": to_village.name},
            )
        from_village = household.village
        household.village = to_village
        household.group = to_group
        household.number = number
        try:
            # A concurrent move may take the number between the check above and this write.
            with transaction.atomic():
                household.save(update_fields=["village", "group", "number", "updated_at"])
        except IntegrityError as error:
            raise RegisterError(
                "duplicate_number",
                _("Household number %(number)s is already used in %(village)s.")
                % {"number": number, "village": to_village.name},
            ) from error
        HouseholdEvent.objects.create(
            household=household,
            kind=HouseholdEvent.Kind.MOVED,
            from_village=from_village,
            to_village=to_village,
            effective_on=effective_on,
            note=note,
            actor=actor,
        )
    return household


def household_merge(
    *,
    actor: User | None,
    source: Household,
    target: Household,
    effective_on: datetime.date,
    note: str = "",
) -> Household:
    """Merge ``source`` into ``target``: its members join the target; the source is closed.

    The source's head becomes an ordinary member of the target. Locks both rows in id order.
    """
    if source.pk == target.pk:
        raise RegisterError("same_household", _("A household cannot merge with itself."))
    with transaction.atomic():
        locked = {
            h.pk: h
            for h in Household.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if source.status != Household.Status.ACTIVE or target.status != Household.Status.ACTIVE:
            raise RegisterError("not_active", _("Both households must be active to merge."))
        Member.objects.filter(household=source, relation=Member.Relation.HEAD).update(
            relation=Member.Relation.OTHER
        )
        Member.objects.filter(household=source).update(household=target)
        source.status = Household.Status.MERGED
        source.merged_into = target
        source.save(update_fields=["status", "merged_into", "updated_at"])
        HouseholdEvent.objects.create(
            household=source,
            kind=HouseholdEvent.Kind.MERGED,
            from_status=Household.Status.ACTIVE,
            to_status=Household.Status.MERGED,
            other_household=target,
            effective_on=effective_on,
            note=note,
            actor=actor,
        )
        HouseholdEvent.objects.create(
            household=target,
            kind=HouseholdEvent.Kind.MERGED,
            other_household=source,
            effective_on=effective_on,
            note=note,
            actor=actor,
        )
        RoleAssignment.objects.filter(household=source).delete()
    return target


def _check_group(village: Area, group: Area | None) -> None:
    if group is not None and (group.level != Area.Level.GROUP or not group.is_child_of(village)):
        raise RegisterError(
            "unknown_group", _("The village group does not belong to this village.")
        )


# --- Accounts ---------------------------------------------------------------------------------


def villager_account_for_phone(*, phone: str) -> User | None:
    """The account of a registered villager, created on first sign-in.

    Returns None when no active household has a member with this phone number: the register,
    not self-service sign-up, decides who is a villager.
    """
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user
    member = (
        Member.objects.filter(phone=phone, household__status=Household.Status.ACTIVE)
        .order_by("id")
        .first()
    )
    if member is None:
        return None
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            phone=phone,
            defaults={"username": f"v-{secrets.token_hex(6)}", "name": member.name},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    return user


def villager_link(*, user: User) -> list[int]:
    """Bind a villager with a verified phone to the active households listing that phone.

    Stale bindings (the member moved out or changed number) are removed. Returns household ids.
    """
    if not user.phone or not user.phone_verified:
        return []
    household_ids = sorted(
        set(
            Member.objects.filter(
                phone=user.phone, household__status=Household.Status.ACTIVE
            ).values_list("household_id", flat=True)
        )
    )
    with transaction.atomic():
        RoleAssignment.objects.filter(user=user, role=Role.VILLAGER).exclude(
            household_id__in=household_ids
        ).delete()
        existing = set(
            RoleAssignment.objects.filter(user=user, role=Role.VILLAGER).values_list(
                "household_id", flat=True
            )
        )
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(user=user, role=Role.VILLAGER, household_id=household_id)
                for household_id in household_ids
                if household_id not in existing
            ]
        )
    forget_roles(user)
    return household_ids


def role_groups_sync() -> None:
    """Create one auth group per role holding that role's model permissions (idempotent)."""
    for role, perms in MODEL_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=f"meijia:{role}")
        wanted: list[Permission] = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)


def role_assign(*, user: User, role: str, area: Area) -> RoleAssignment:
    """Give ``user`` a staff role over ``area`` and the admin permissions the role needs."""
    if role == Role.VILLAGER:
        raise RegisterError("villager_role", _("Villagers are linked through their phone number."))
    with transaction.atomic():
        assignment, _created = RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
        group, _created_group = Group.objects.get_or_create(name=f"meijia:{role}")
        user.groups.add(group)
    forget_roles(user)
    return assignment
