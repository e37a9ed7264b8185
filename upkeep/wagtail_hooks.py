"""The work desk's way to upkeep's phone pages (they live outside the admin, at /upkeep/)."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from registry.permissions import Action, Kind, may


class _ShownFor(MenuItem):
    def __init__(self, *args, kind: Kind, action: Action, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.action = kind, action

    def is_shown(self, request):
        return may(request.user, self.kind, self.action)


class _UpkeepMenu(SubmenuMenuItem):
    def is_shown(self, request):
        return any(item.is_shown(request) for item in self.menu.registered_menu_items)


@hooks.register("register_admin_menu_item")
def register_upkeep_menu():
    items = [
        _ShownFor(_("Toilet register"), reverse("upkeep:toilets"), icon_name="list-ul",
                  kind=Kind.TOILET_FILE, action=Action.READ),
        _ShownFor(_("Service orders"), reverse("upkeep:orders"), icon_name="tasks",
                  kind=Kind.TOILET, action=Action.WRITE),
        _ShownFor(_("Due for emptying"), reverse("upkeep:due"), icon_name="date",
                  kind=Kind.CONTRACTOR_TEAM, action=Action.READ),
        _ShownFor(_("Toilet check rounds"), reverse("upkeep:rounds"), icon_name="search",
                  kind=Kind.CHECK_ROUND, action=Action.READ),
        _ShownFor(_("After-care figures"), reverse("upkeep:figures"), icon_name="table",
                  kind=Kind.UPKEEP_FIGURES, action=Action.READ),
    ]  # fmt: skip
    return _UpkeepMenu(_("Toilet after-care"), Menu(items=items), icon_name="home", order=175)
