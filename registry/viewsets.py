"""The register in Wagtail's admin: areas and households, every screen scoped by area.

An object outside the user's areas answers 404 on every URL (edit, history, usage, move, merge),
as if it did not exist. Inspectors read the list of their area's households with the head's name
masked (``Kind.HOUSEHOLD_LIST``); a household's own screens need ``Kind.HOUSEHOLD``.
"""

import django_filters
from django.contrib import messages
from django.db import transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    OuterRef,
    ProtectedError,
    Q,
    RestrictedError,
    Subquery,
)
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.views.generic.base import BaseObjectMixin, WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets import HeaderButton

from registry.exceptions import RegisterError
from registry.fields import MaskedInput
from registry.forms import (
    AreaAdminForm,
    HouseholdAdminForm,
    HouseholdMergeForm,
    HouseholdMoveForm,
    child_level,
)
from registry.identity import mask_id_number, mask_name, mask_phone
from registry.models import Area, Household, Member
from registry.permissions import Action, Kind
from registry.scoping import areas_visible_to, visible_to
from registry.services import register as services


class DeleteView(generic.DeleteView):
    """Wagtail's delete view for every work-desk screen: a row that other rows still point to
    (stock moves of an item, households of an area, postings) is refused with a message
    instead of the database's ProtectedError answering 500."""

    def form_valid(self, form):
        try:
            with transaction.atomic():
                return super().form_valid(form)
        except (ProtectedError, RestrictedError):
            messages.error(
                self.request,
                _("%(object)s is still used by other records and cannot be deleted.")
                % {"object": self.object},
            )
            return redirect(self.get_success_url())


class ScopedObjectMixin:
    """Answer 404 for an object the user may not ``scope_action`` as a ``scope_kind``."""

    scope_kind: Kind | None = None  # default: the model's scope_kind
    scope_action = Action.READ

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        visible = visible_to(
            self.request.user,
            type(obj)._default_manager.filter(pk=obj.pk),
            kind=self.scope_kind,
            action=self.scope_action,
        )
        if not visible.exists():
            raise Http404
        return obj


# --- Households ---------------------------------------------------------------------------------


def _villages_for(request):
    if request is None:
        return Area.objects.none()
    return areas_visible_to(request.user, level=Area.Level.VILLAGE, kind=Kind.HOUSEHOLD_LIST)


class HouseholdFilterSet(WagtailFilterSet):
    village = django_filters.ModelChoiceFilter(queryset=_villages_for, label=_("Village"))
    status = django_filters.ChoiceFilter(choices=Household.Status.choices, label=_("Status"))

    class Meta:
        model = Household
        fields = ["village", "status"]


class HouseholdIndexView(generic.IndexView):
    filterset_class = HouseholdFilterSet
    search_fields = ["number"]

    def get_base_queryset(self):
        head_name = Member.objects.filter(
            household=OuterRef("pk"), relation=Member.Relation.HEAD
        ).values("name")[:1]
        user = self.request.user
        readable = visible_to(user, Household.objects.all(), kind=Kind.HOUSEHOLD).values("pk")
        return (
            visible_to(user, Household.objects.all(), kind=Kind.HOUSEHOLD_LIST)
            .select_related("village", "group")
            .annotate(
                head_name=Subquery(head_name),
                is_readable=ExpressionWrapper(Q(pk__in=readable), output_field=BooleanField()),
            )
        )

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        by_member = Member.objects.filter(name__icontains=query).values("household_id")
        # Names and addresses are searched only where the user may read them.
        private = Q(address__icontains=query) | Q(pk__in=by_member)
        return queryset.filter(Q(number__icontains=query) | (private & Q(is_readable=True)))


class HouseholdCreateView(generic.CreateView):
    def save_instance(self):
        household = self.form.save(commit=False)
        services.household_register(actor=self.request.user, household=household)
        return household

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except RegisterError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)


def _head_name(household: Household) -> str:
    """The head's name, masked for those who list households without reading them."""
    name = household.head_name
    return name if household.is_readable else mask_name(name)


class HouseholdEditView(ScopedObjectMixin, generic.EditView):
    scope_action = Action.WRITE

    def save_instance(self):
        household = self.form.save(commit=False)
        services.household_update(actor=self.request.user, household=household)
        return household

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except RegisterError as error:
            form.add_error(None, error.message)
            return self.form_invalid(form)

    def get_header_more_buttons(self):
        buttons = super().get_header_more_buttons()
        if self.object.status == Household.Status.ACTIVE:
            buttons += [
                HeaderButton(
                    _("Move to another village"),
                    url=reverse("registry_household:move", args=[self.object.pk]),
                    icon_name="arrow-right-full",
                ),
                HeaderButton(
                    _("Merge into another household"),
                    url=reverse("registry_household:merge", args=[self.object.pk]),
                    icon_name="resubmit",
                ),
            ]
        return buttons


# Wagtail shows a row's history and usage beside its editor, to those who may change it.
class HouseholdHistoryView(ScopedObjectMixin, history.HistoryView):
    scope_action = Action.WRITE


class HouseholdUsageView(ScopedObjectMixin, usage.UsageView):
    scope_action = Action.WRITE


class HouseholdDeleteView(ScopedObjectMixin, DeleteView):
    scope_action = Action.DELETE


class _HouseholdActionView(ScopedObjectMixin, BaseObjectMixin, WagtailAdminTemplateMixin, View):
    """A form over one household that calls one service."""

    model = Household
    scope_action = Action.WRITE
    template_name = "registry/admin/household_action.html"
    form_class = None
    page_title = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("registry.change_household"):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_form(self):
        data = self.request.POST if self.request.method == "POST" else None
        return self.form_class(data, user=self.request.user, household=self.object)

    def get(self, request, *args, **kwargs):
        return self.render(self.get_form())

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        if form.is_valid():
            try:
                self.perform(form.cleaned_data)
            except RegisterError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, self.success_message)
                return redirect("registry_household:edit", self.object.pk)
        return self.render(form)

    def render(self, form):
        context = self.get_context_data(form=form, household=self.object)
        return TemplateResponse(self.request, self.template_name, context)

    def get_page_subtitle(self):
        return str(self.object)


class HouseholdMoveView(_HouseholdActionView):
    form_class = HouseholdMoveForm
    page_title = _("Move to another village")
    success_message = _("The household has moved. Its history and points go with it.")

    def perform(self, data):
        services.household_move(
            actor=self.request.user,
            household=self.object,
            to_village=data["to_village"],
            to_group=data["to_group"],
            number=data["number"],
            effective_on=data["effective_on"],
            note=data["note"],
        )


class HouseholdMergeView(_HouseholdActionView):
    form_class = HouseholdMergeForm
    page_title = _("Merge into another household")
    success_message = _("The households were merged.")

    def perform(self, data):
        services.household_merge(
            actor=self.request.user,
            source=self.object,
            target=data["target"],
            effective_on=data["effective_on"],
            note=data["note"],
        )


class HouseholdViewSet(ModelViewSet):
    model = Household
    icon = "home"
    menu_label = _("Households")
    name = "registry_household"
    url_prefix = "register/households"
    index_view_class = HouseholdIndexView
    add_view_class = HouseholdCreateView
    edit_view_class = HouseholdEditView
    history_view_class = HouseholdHistoryView
    usage_view_class = HouseholdUsageView
    delete_view_class = HouseholdDeleteView
    copy_view_enabled = False
    list_display = [
        "number",
        Column("head_name", accessor=_head_name, label=_("Head of household")),
        "village",
        "group",
        "status",
    ]
    list_per_page = 50
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("village"), FieldPanel("group")]),
            FieldRowPanel([FieldPanel("number"), FieldPanel("status")]),
            FieldPanel("address"),
            InlinePanel(
                "members",
                label=_("Members"),
                min_num=1,
                panels=[
                    FieldRowPanel([FieldPanel("name"), FieldPanel("relation")]),
                    FieldRowPanel(
                        [
                            FieldPanel("phone", widget=MaskedInput(mask_phone)),
                            FieldPanel("id_number", widget=MaskedInput(mask_id_number)),
                            FieldPanel("birth_date"),
                        ]
                    ),
                ],
            ),
        ],
        base_form_class=HouseholdAdminForm,
    )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path("move/<int:pk>/", HouseholdMoveView.as_view(), name="move"),
            path("merge/<int:pk>/", HouseholdMergeView.as_view(), name="merge"),
        ]


# --- Areas --------------------------------------------------------------------------------------


class AreaIndexView(generic.IndexView):
    search_fields = ["name", "code"]

    def get_base_queryset(self):
        return areas_visible_to(self.request.user, kind=Kind.AREA).exclude(level=Area.Level.GROUP)


class AreaCreateView(generic.CreateView):
    def save_instance(self):
        area = self.form.save(commit=False)
        parent = self.form.cleaned_data["parent"]
        area.level = child_level(parent)
        return parent.add_child(instance=area)


class AreaEditView(ScopedObjectMixin, generic.EditView):
    scope_action = Action.WRITE


class AreaViewSet(ModelViewSet):
    model = Area
    icon = "site"
    menu_label = _("Areas")
    name = "registry_area"
    url_prefix = "register/areas"
    index_view_class = AreaIndexView
    add_view_class = AreaCreateView
    edit_view_class = AreaEditView
    history_view_class = type(
        "AreaHistoryView", (ScopedObjectMixin, history.HistoryView), {"scope_action": Action.WRITE}
    )
    usage_view_class = type(
        "AreaUsageView", (ScopedObjectMixin, usage.UsageView), {"scope_action": Action.WRITE}
    )
    delete_view_class = type(
        "AreaDeleteView", (ScopedObjectMixin, DeleteView), {"scope_action": Action.DELETE}
    )
    copy_view_enabled = False
    list_display = ["name", "code", "level", "kind"]
    list_per_page = 100
    edit_handler = ObjectList(
        [FieldPanel("parent"), FieldPanel("name"), FieldPanel("code"), FieldPanel("kind")],
        base_form_class=AreaAdminForm,
    )


class RegisterViewSetGroup(ModelViewSetGroup):
    menu_label = _("Household register")
    menu_icon = "group"
    menu_order = 150
    items = (HouseholdViewSet, AreaViewSet)
