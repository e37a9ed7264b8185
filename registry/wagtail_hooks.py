from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from registry.viewsets import RegisterViewSetGroup


@hooks.register("register_admin_viewset")
def register_register_viewsets():
    return RegisterViewSetGroup()


@hooks.register("register_admin_urls")
def register_import_urls():
    return [path("register/", include("registry.admin_urls", namespace="registry_admin"))]


class _ManagerMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("registry.add_householdimport")


@hooks.register("register_admin_menu_item")
def register_import_menu_item():
    return _ManagerMenuItem(
        _("Import register"),
        reverse("registry_admin:register_import_start"),
        icon_name="upload",
        order=160,
    )
