"""The work desk's side of supervision: the district edits its checklist (with weights and days
to fix), its tally campaigns (measures and the towns' targets), the work order categories' service levels, the 包村 officials and the teams; the menu
links the phone pages (orders, 我的整改, overview, rounds)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from registry.permissions import Action, Kind, may
from registry.scoping import visible_to
from registry.viewsets import ScopedObjectMixin
from supervision.models import (
    Category,
    ChecklistItem,
    Liaison,
    Measure,
    TallyCampaign,
    TallyTarget,
    Team,
)

EDIT = {"kind": Kind.CHECKLIST, "action": Action.WRITE}


def _scoped_viewset(model_, name_, label, icon_, fields_, display):
    class Index(generic.IndexView):
        def get_base_queryset(self):
            return visible_to(self.request.user, model_.objects.all(), **EDIT)

    class Edit(ScopedObjectMixin, generic.EditView):
        scope_kind = Kind.CHECKLIST
        scope_action = Action.WRITE

    class ViewSet(ModelViewSet):
        model = model_
        name = name_
        menu_label = label
        icon = icon_
        form_fields = fields_
        list_display = display
        copy_view_enabled = False
        inspect_view_enabled = False
        index_view_class = Index
        edit_view_class = Edit

    return ViewSet()


class CategoryViewSet(ModelViewSet):
    """Work order categories and their service levels (days): one list for the whole platform."""

    model = Category
    name = "supervision_categories"
    menu_label = _("Work order categories")
    icon = "time"
    form_fields = ["code", "name", "source", "days", "is_active"]
    list_display = ["name", "source", "days", "is_active"]
    copy_view_enabled = False
    inspect_view_enabled = False


class SupervisionViewSetGroup(ViewSetGroup):
    menu_label = _("Supervision settings")
    menu_icon = "list-ul"
    menu_order = 185
    items = (
        _scoped_viewset(
            ChecklistItem,
            "supervision_checklist",
            _("Inspection checklist"),
            "tasks",
            ["district", "name", "guidance", "weight", "days", "category", "position", "is_active"],
            ["name", "weight", "days", "category", "is_active"],
        ),
        CategoryViewSet(),
        _scoped_viewset(
            Liaison,
            "supervision_liaisons",
            _("Village liaisons (包村)"),
            "user",
            ["village", "official", "department", "user"],
            ["village", "official", "department"],
        ),
        _scoped_viewset(
            TallyCampaign,
            "supervision_tally_campaigns",
            _("Tally campaigns"),
            "date",
            ["district", "name", "starts_on", "ends_on", "is_active"],
            ["name", "starts_on", "ends_on", "is_active"],
        ),
        _scoped_viewset(
            Measure,
            "supervision_tally_measures",
            _("Tally measures"),
            "list-ol",
            ["campaign", "name", "unit", "position"],
            ["name", "unit", "campaign"],
        ),
        _scoped_viewset(
            TallyTarget,
            "supervision_tally_targets",
            _("Tally targets"),
            "pick",
            ["measure", "town", "quantity"],
            ["measure", "town", "quantity"],
        ),
        _scoped_viewset(
            Team,
            "supervision_teams",
            _("Teams"),
            "group",
            ["name", "kind", "area", "phone"],
            ["name", "kind", "area"],
        ),
    )


@hooks.register("register_admin_viewset")
def register_supervision_viewsets():
    return SupervisionViewSetGroup()


class _PageItem(MenuItem):
    def __init__(self, *args, kind: Kind, action: Action, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.action = kind, action

    def is_shown(self, request):
        return may(request.user, self.kind, self.action)


class _SupervisionMenu(SubmenuMenuItem):
    def is_shown(self, request):
        return may(request.user, Kind.WORK_ORDER, Action.READ)


@hooks.register("register_admin_menu_item")
def register_supervision_menu():
    """The phone and desk pages of supervision (outside the admin)."""
    read, write = Action.READ, Action.WRITE
    items = [
        _PageItem(_("Work orders"), "/supervision/orders/", icon_name="list-ul",
                  kind=Kind.WORK_ORDER, action=read),
        _PageItem(_("My rectification"), "/supervision/mine/", icon_name="tick",
                  kind=Kind.RECTIFICATION, action=write),
        _PageItem(_("Work orders overview"), "/supervision/overview/", icon_name="table",
                  kind=Kind.INSPECTION, action=read),
        _PageItem(_("Inspection rounds"), "/supervision/rounds/", icon_name="site",
                  kind=Kind.INSPECTION, action=write),
        _PageItem(_("Campaign tallies"), "/supervision/tallies/", icon_name="doc-full",
                  kind=Kind.TALLY, action=read),
    ]  # fmt: skip
    return _SupervisionMenu(_("Supervision"), Menu(items=items), icon_name="warning", order=165)
