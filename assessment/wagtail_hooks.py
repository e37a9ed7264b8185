from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component

from assessment.viewsets import AssessmentViewSetGroup
from registry.permissions import Action, Kind, may


@hooks.register("register_admin_viewset")
def register_assessment_viewsets():
    return AssessmentViewSetGroup()


@hooks.register("register_admin_urls")
def register_assessment_urls():
    return [path("assessment/", include("assessment.admin_urls", namespace="assessment"))]


def _menu_item(kind: Kind, label, url_name: str, icon: str, order: int):
    class Item(MenuItem):
        def is_shown(self, request):
            return may(request.user, kind, Action.READ)

    return Item(label, reverse(url_name), icon_name=icon, order=order)


@hooks.register("register_admin_menu_item")
def register_dashboard_menu_item():
    return _menu_item(Kind.DASHBOARD, _("Dashboard"), "assessment:home", "view", 90)


@hooks.register("register_admin_menu_item")
def register_entries_menu_item():
    return _menu_item(Kind.FIGURE, _("Yearly figures"), "assessment:entries", "form", 261)


@hooks.register("register_admin_menu_item")
def register_lists_menu_item():
    return _menu_item(Kind.ASSESSMENT, _("Red and black lists"), "assessment:lists", "pick", 262)


class DashboardPanel(Component):
    """The work desk's first screen for town and district administrators: their area's figures
    against targets and what waits for them, with the way into the full dashboard."""

    name = "meijia_dashboard"
    template_name = "assessment/_home_panel.html"
    order = 5

    def __init__(self, request, area):
        self.request = request
        self.area = area

    def get_context_data(self, parent_context):
        from django.utils import timezone

        from assessment.selectors import dashboard_get

        month = timezone.localdate().replace(day=1)
        return {
            "dashboard": dashboard_get(user=self.request.user, area=self.area, month=month),
            "compact": True,
        }


@hooks.register("construct_homepage_panels")
def add_dashboard_panel(request, panels):
    from assessment.selectors import dashboard_home_area

    if not may(request.user, Kind.DASHBOARD, Action.READ):
        return
    area = dashboard_home_area(user=request.user)
    if area is not None:
        panels.insert(0, DashboardPanel(request, area))
