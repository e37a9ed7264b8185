from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from registry.permissions import Action, Kind, may


class _OrganiserMenuItem(MenuItem):
    def is_shown(self, request):
        return may(request.user, Kind.CLASS_SESSION, Action.WRITE)


@hooks.register("register_admin_menu_item")
def register_check_in_menu_item():
    return _OrganiserMenuItem(
        _("Class check-in"), reverse("campaigns:sessions"), icon_name="tick", order=170
    )
