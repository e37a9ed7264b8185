"""Factories for the register. Areas are built with treebeard's add_root/add_child."""

import itertools

import factory
from factory.django import DjangoModelFactory

from registry.identity import id_number_check_digit
from registry.models import Area, Household, Member, RoleAssignment, User
from registry.services.register import role_assign

_codes = itertools.count(1)


def _next_code(prefix: str = "3799") -> str:
    return f"{prefix}{next(_codes):08d}"


def make_district(name: str = "测试区") -> Area:
    return Area.add_root(
        name=name, code=_next_code(), level=Area.Level.DISTRICT, kind=Area.Kind.DISTRICT
    )


def make_town(district: Area, name: str = "测试镇") -> Area:
    return district.add_child(
        name=name, code=_next_code(), level=Area.Level.TOWN, kind=Area.Kind.TOWN
    )


def make_village(town: Area, name: str = "测试村", groups: int = 2) -> Area:
    village = town.add_child(
        name=name, code=_next_code(), level=Area.Level.VILLAGE, kind=Area.Kind.VILLAGE
    )
    for index in range(1, groups + 1):
        village.add_child(name=f"第{index}组", level=Area.Level.GROUP, kind=Area.Kind.GROUP)
    return Area.objects.get(pk=village.pk)


def make_tree(villages: int = 2) -> dict:
    """A district with one town and ``villages`` villages, each with two groups."""
    district = make_district()
    town = make_town(Area.objects.get(pk=district.pk))
    made = [
        make_village(Area.objects.get(pk=town.pk), name=f"测试{index}村")
        for index in range(villages)
    ]
    return {
        "district": Area.objects.get(pk=district.pk),
        "town": Area.objects.get(pk=town.pk),
        "villages": made,
    }


_id_serial = itertools.count(1)


def fake_id_number() -> str:
    first17 = f"370303198{next(_id_serial) % 10}0101{next(_id_serial) % 1000:03d}"
    first17 = first17[:17]
    return first17 + id_number_check_digit(first17)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    number = factory.Sequence(lambda n: f"{n + 1:04d}")
    address = factory.Sequence(lambda n: f"幸福路{n + 1}号")


class MemberFactory(DjangoModelFactory):
    class Meta:
        model = Member

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"王{'一二三四五六七八九十'[n % 10]}明")
    relation = Member.Relation.HEAD


def make_household(
    village: Area, *, head_name: str = "王建国", phone: str = "", **kwargs
) -> Household:
    group = (
        kwargs.pop("group", None) or village.get_children().filter(level=Area.Level.GROUP).first()
    )
    household = HouseholdFactory(village=village, group=group, **kwargs)
    MemberFactory(household=household, name=head_name, relation=Member.Relation.HEAD, phone=phone)
    return household


def make_staff(role: str, area: Area, **kwargs) -> User:
    user = UserFactory(**kwargs)
    role_assign(user=user, role=role, area=area)
    return user


Role = RoleAssignment.Role


def force_login_with_totp(client, user: User) -> None:
    """Sign ``user`` in as allauth leaves a session whose sign-in used a TOTP code (roles in
    settings.MEIJIA_TWO_FACTOR_REQUIRED_ROLES reach nothing without one: meijia/middleware.py)."""
    import time

    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator

    authenticator, _created = Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "x"}}
    )
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"}
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
