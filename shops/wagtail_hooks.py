from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from shops.viewsets import ShopsViewSetGroup


@hooks.register("register_admin_viewset")
def register_shop_viewsets():
    return ShopsViewSetGroup()


class _CounterMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.stores.exists()


@hooks.register("register_admin_menu_item")
def register_counter_menu_item():
    return _CounterMenuItem(
        _("Shop counter"), reverse("shops:counter_home"), icon_name="pick", order=221
    )
