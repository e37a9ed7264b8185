from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from registry.permissions import Action, Kind, may
from shops.selectors import store_list_for_shopkeeper
from shops.viewsets import ShopsViewSetGroup


@hooks.register("register_admin_viewset")
def register_shop_viewsets():
    return ShopsViewSetGroup()


class _CounterMenuItem(MenuItem):
    def is_shown(self, request):
        return store_list_for_shopkeeper(user=request.user).exists()


@hooks.register("register_admin_menu_item")
def register_counter_menu_item():
    return _CounterMenuItem(
        _("Shop counter"), reverse("shops:counter_home"), icon_name="pick", order=221
    )


@hooks.register("register_admin_urls")
def register_card_urls():
    return [
        path("shops/cards/", include("shops.admin_urls", namespace="shops_cards")),
        path(
            "shops/settlement/",
            include("shops.admin_settlement_urls", namespace="shops_settlement"),
        ),
    ]


class _CardsMenuItem(MenuItem):
    def is_shown(self, request):
        return may(request.user, Kind.CARD, Action.WRITE)


@hooks.register("register_admin_menu_item")
def register_cards_menu_item():
    return _CardsMenuItem(
        _("Household cards"), reverse("shops_cards:home"), icon_name="doc-full", order=222
    )


class _SettlementMenuItem(MenuItem):
    def is_shown(self, request):
        return may(request.user, Kind.SETTLEMENT, Action.READ)


@hooks.register("register_admin_menu_item")
def register_settlement_menu_item():
    return _SettlementMenuItem(
        _("Monthly settlement"), reverse("shops_settlement:home"), icon_name="table", order=223
    )
