from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from campaigns.services import ORGANISER_ROLES
from registry.scoping import may_act_as


class _OrganiserMenuItem(MenuItem):
    def is_shown(self, request):
        return may_act_as(request.user, ORGANISER_ROLES)


@hooks.register("register_admin_menu_item")
def register_check_in_menu_item():
    return _OrganiserMenuItem(
        _("Class check-in"), reverse("campaigns:sessions"), icon_name="tick", order=170
    )
