"""The 美家超市 in Wagtail's work desk: stores, the district list, catalogues and stock, each
screen scoped to the user's areas (an object outside them answers 404)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from registry.formatting import yuan
from registry.models import Area, RoleAssignment, User
from registry.permissions import Action, Kind
from registry.scoping import areas_visible_to, visible_to
from registry.viewsets import DeleteView, ScopedObjectMixin
from shops.exceptions import ShopError
from shops.forms import StockMoveForm
from shops.models import CatalogueItem, DistrictItem, Store
from shops.services.stock import stock_move

Role = RoleAssignment.Role
STORES = {"kind": Kind.STORE, "action": Action.WRITE}
DELETE = {"scope_action": Action.DELETE}


class ScopedMixin(ScopedObjectMixin):
    scope_kind = Kind.STORE
    scope_action = Action.WRITE


class ScopedIndexView(generic.IndexView):
    def get_base_queryset(self):
        return visible_to(self.request.user, super().get_base_queryset(), **STORES)


class ScopedForm(WagtailAdminModelForm):
    """Limit every area, store and user choice to what the editing user may see."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        user = for_user
        if user is None:
            return
        areas = areas_visible_to(user, **STORES)
        for name, field in self.fields.items():
            model = getattr(getattr(field, "queryset", None), "model", None)
            if model is Area:
                queryset = areas
                if name == "villages":
                    queryset = areas.filter(level=Area.Level.VILLAGE)
                if name == "district":
                    queryset = areas.filter(level=Area.Level.DISTRICT)
                field.queryset = queryset
            elif model is Store:
                field.queryset = visible_to(user, Store.objects.all(), **STORES)
            elif model is User:
                field.queryset = User.objects.filter(
                    roles__role=Role.SHOPKEEPER, roles__area__in=areas
                ).distinct()
            elif model is DistrictItem:
                field.queryset = visible_to(user, DistrictItem.objects.all(), **STORES)


class StoreViewSet(ModelViewSet):
    model = Store
    icon = "home"
    menu_label = _("Stores")
    name = "shops_store"
    url_prefix = "shops/stores"
    index_view_class = ScopedIndexView
    edit_view_class = type("StoreEditView", (ScopedMixin, generic.EditView), {})
    delete_view_class = type("StoreDeleteView", (ScopedMixin, DeleteView), DELETE)
    copy_view_enabled = False
    inspect_view_enabled = False
    list_display = ["name", "area", "opening_hours", "is_active"]
    search_fields = ["name", "address"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldRowPanel([FieldPanel("area"), FieldPanel("is_active")]),
            FieldPanel("villages", widget=forms.CheckboxSelectMultiple),
            FieldPanel("shopkeepers", widget=forms.CheckboxSelectMultiple),
            FieldPanel("address"),
            FieldPanel("opening_hours"),
            FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")]),
        ],
        base_form_class=ScopedForm,
    )


class DistrictItemViewSet(ModelViewSet):
    model = DistrictItem
    icon = "list-ul"
    menu_label = _("District item list")
    name = "shops_districtitem"
    url_prefix = "shops/district-items"
    index_view_class = ScopedIndexView
    edit_view_class = type("DistrictItemEditView", (ScopedMixin, generic.EditView), {})
    delete_view_class = type("DistrictItemDeleteView", (ScopedMixin, DeleteView), DELETE)
    copy_view_enabled = False
    list_display = [
        "name",
        "unit",
        "points_price",
        Column(
            "cost_yuan", label=_("cost price (yuan)"), accessor=lambda item: yuan(item.cost_yuan)
        ),
        "is_active",
    ]
    search_fields = ["name"]
    edit_handler = ObjectList(
        [
            FieldPanel("district"),
            FieldRowPanel([FieldPanel("name"), FieldPanel("unit")]),
            FieldRowPanel([FieldPanel("points_price"), FieldPanel("cost_yuan")]),
            FieldPanel("photo"),
            FieldPanel("is_active"),
        ],
        base_form_class=ScopedForm,
    )


class ItemStockView(ScopedMixin, BaseObjectMixin, WagtailAdminTemplateMixin, View):
    """A delivery or an adjustment of one catalogue item."""

    model = CatalogueItem
    template_name = "shops/admin/stock_move.html"
    page_title = _("Delivery or adjustment")

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        form = StockMoveForm(data, store=self.object.store, initial={"item": self.object})
        form.fields["item"].widget = forms.HiddenInput()
        return form

    def get(self, request, *args, **kwargs):
        return self.render(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            data = form.cleaned_data
            try:
                stock_move(
                    item=self.object,
                    quantity=data["quantity"],
                    kind=data["kind"],
                    actor=request.user,
                    reason=data["reason"],
                )
            except ShopError as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(request, _("Stock saved."))
                return redirect("shops_catalogueitem:index")
        return self.render(form)

    def render(self, form):
        context = self.get_context_data(form=form, item=self.object)
        return TemplateResponse(self.request, self.template_name, context)

    def get_page_subtitle(self):
        return f"{self.object.store} · {self.object}"


class CatalogueItemIndexView(ScopedIndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("store")


class CatalogueItemViewSet(ModelViewSet):
    model = CatalogueItem
    icon = "tag"
    menu_label = _("Catalogue and stock")
    name = "shops_catalogueitem"
    url_prefix = "shops/items"
    index_view_class = CatalogueItemIndexView
    edit_view_class = type("ItemEditView", (ScopedMixin, generic.EditView), {})
    delete_view_class = type("ItemDeleteView", (ScopedMixin, DeleteView), DELETE)
    copy_view_enabled = False
    list_display = [
        "name",
        "store",
        "points_price",
        # The stock figure links to the delivery / adjustment form.
        TitleColumn(
            "stock_on_hand",
            label=_("Stock"),
            get_url=lambda item: reverse("shops_catalogueitem:stock", args=[item.pk]),
        ),
        "monthly_limit",
        "is_active",
    ]
    list_filter = ["store", "is_active"]
    search_fields = ["name"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("store"), FieldPanel("source")]),
            FieldRowPanel([FieldPanel("name"), FieldPanel("unit")]),
            FieldRowPanel([FieldPanel("points_price"), FieldPanel("cost_yuan")]),
            FieldRowPanel([FieldPanel("monthly_limit"), FieldPanel("low_stock_level")]),
            FieldPanel("photo"),
            FieldPanel("is_active"),
        ],
        base_form_class=ScopedForm,
    )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("stock/<int:pk>/", ItemStockView.as_view(), name="stock"),
        ]


class ShopsViewSetGroup(ModelViewSetGroup):
    menu_label = _("Points supermarkets")
    menu_icon = "home"
    menu_order = 220
    items = (StoreViewSet, CatalogueItemViewSet, DistrictItemViewSet)
