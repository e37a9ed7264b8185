"""Earning rules in Wagtail's admin, scoped by area like the register.

District and town administrators manage the rules of their areas; committee members read the
rules that hold in theirs. A rule outside what the user may see answers 404. Saving an edit never
changes a version: new terms become version N+1 (services.rules.rule_edit). "What if" shows what
last month's events would have given under the terms in the form, without saving anything.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import AdminDateInput
from wagtail.permission_policies.base import BasePermissionPolicy

from points.models import EarningRule, EarningRuleVersion
from points.selectors.rules import (
    last_month,
    local_today,
    rule_preview,
    rules_visible_to,
)
from points.services.rules import TERMS, rule_create, rule_edit
from registry.models import Area, User
from registry.permissions import Action, Kind, may, roles_for
from registry.scoping import areas_visible_to

# --- Who may do what ----------------------------------------------------------------------------


class EarningRulePermissionPolicy(BasePermissionPolicy):
    """Permissions from roles, not from auth groups: managers add and change, readers view.

    Nobody deletes a rule: transactions name it; unpublish it instead.
    """

    ACTIONS = {"view": Action.READ, "add": Action.WRITE, "change": Action.WRITE}

    def user_has_permission(self, user, action):
        if action not in self.ACTIONS or not getattr(user, "is_active", False):
            return False
        return may(user, Kind.RULE, self.ACTIONS[action])

    def users_with_any_permission(self, actions):
        roles = set().union(
            *(
                roles_for(Kind.RULE, self.ACTIONS[action])
                for action in actions
                if action in self.ACTIONS
            )
        )
        if not roles:
            return User.objects.none()
        return User.objects.filter(
            Q(is_superuser=True) | Q(roles__role__in=roles), is_active=True
        ).distinct()

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        visible = rules_visible_to(user, for_change=action != "view")
        return visible.filter(pk=instance.pk).exists()

    def instances_user_has_any_permission_for(self, user, actions):
        if not any(self.user_has_permission(user, action) for action in actions):
            return EarningRule.objects.none()
        return rules_visible_to(user, for_change="view" not in actions)


permission_policy = EarningRulePermissionPolicy(EarningRule)


class ScopedRuleMixin:
    """Answer 404 for a rule the user may not see (``for_change``: may not change)."""

    for_change = False

    def get_object(self, *args, **kwargs):
        obj = super().get_object(*args, **kwargs)
        visible = rules_visible_to(self.request.user, for_change=self.for_change)
        if not visible.filter(pk=obj.pk).exists():
            raise Http404
        return obj


# --- Form ---------------------------------------------------------------------------------------

_terms = forms.fields_for_model(
    EarningRuleVersion,
    fields=TERMS,
    widgets={"valid_from": AdminDateInput, "valid_to": AdminDateInput},
)


class EarningRuleForm(WagtailAdminModelForm):
    """The rule and the terms of its next version in one form."""

    name = _terms["name"]
    description = _terms["description"]
    points = _terms["points"]
    cap_per_day = _terms["cap_per_day"]
    cap_per_month = _terms["cap_per_month"]
    cap_per_year = _terms["cap_per_year"]
    valid_from = _terms["valid_from"]
    valid_to = _terms["valid_to"]
    auto_approve_up_to = _terms["auto_approve_up_to"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "area" in self.fields:
            self.fields["area"].queryset = areas_visible_to(
                self.for_user, kind=Kind.RULE, action=Action.WRITE
            ).exclude(level=Area.Level.GROUP)
        if self.instance.pk:
            for name in ("code", "area", "kind"):
                if name in self.fields:
                    self.fields[name].disabled = True
            latest = self.instance.latest_version
            if latest is not None and not self.is_bound:
                for name in TERMS:
                    self.initial[name] = getattr(latest, name)
        elif not self.is_bound:
            self.initial.setdefault("valid_from", local_today())

    def clean(self):
        data = super().clean()
        valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", _("The end date comes before the start date."))
        return data

    @property
    def terms(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in TERMS}


# --- Views --------------------------------------------------------------------------------------


def _areas_for(request):
    if request is None:
        return Area.objects.none()
    return areas_visible_to(request.user, kind=Kind.RULE).exclude(level=Area.Level.GROUP)


class EarningRuleFilterSet(WagtailFilterSet):
    category = django_filters.ChoiceFilter(
        choices=EarningRule.Category.choices, label=_("Category")
    )
    area = django_filters.ModelChoiceFilter(queryset=_areas_for, label=_("Area"))
    kind = django_filters.ChoiceFilter(choices=EarningRule.Kind.choices, label=_("Kind"))
    is_published = django_filters.BooleanFilter(label=_("Published"))

    class Meta:
        model = EarningRule
        fields = ["category", "area", "kind", "is_published"]


class EarningRuleIndexView(generic.IndexView):
    filterset_class = EarningRuleFilterSet
    search_fields = ["code"]

    def get_base_queryset(self):
        return (
            rules_visible_to(self.request.user)
            .select_related("area")
            .prefetch_related("versions")
            .order_by("area__path", "code")
        )

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        return queryset.filter(
            Q(code__icontains=query) | Q(versions__name__icontains=query)
        ).distinct()

    @cached_property
    def _changeable(self) -> set[int]:
        return set(
            rules_visible_to(self.request.user, for_change=True).values_list("pk", flat=True)
        )

    def get_edit_url(self, instance):
        # Rules of the areas above the user's are read, not changed: link those to the inspect view.
        if instance.pk in self._changeable:
            return super().get_edit_url(instance)
        return None


class _RuleFormViewMixin:
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
            return self.form_invalid(form)


class EarningRuleCreateView(_RuleFormViewMixin, generic.CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return rule_create(
            actor=self.request.user,
            area=data["area"],
            code=data["code"],
            category=data["category"],
            kind=data["kind"],
            is_published=data["is_published"],
            **self.form.terms,
        )


class EarningRuleEditView(_RuleFormViewMixin, ScopedRuleMixin, generic.EditView):
    for_change = True
    preview = None

    def save_instance(self):
        data = self.form.cleaned_data
        rule_edit(
            rule=self.object,
            actor=self.request.user,
            category=data["category"],
            is_published=data["is_published"],
            **self.form.terms,
        )
        return self.object

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["versions"] = self.object.versions.select_related("created_by").order_by("-version")
        context["preview"] = self.preview
        context["preview_url"] = reverse("points_rule:preview", args=[self.object.pk])
        return context


class EarningRulePreviewView(EarningRuleEditView):
    """The edit form posted to "what if": shows last month's events under the new terms and
    saves nothing. The form still posts to the edit view when the user saves."""

    def form_valid(self, form):
        self.form = form
        proposed = EarningRuleVersion(rule=self.object, **form.terms)
        self.preview = rule_preview(version=proposed, month=last_month(local_today()))
        return self.render_to_response(self.get_context_data(form=form))

    def get_action_url(self):
        return reverse("points_rule:edit", args=[self.object.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action_url"] = self.get_action_url()
        return context


class EarningRuleInspectView(ScopedRuleMixin, generic.InspectView):
    def get_fields(self):
        return ["code", "area", "category", "kind", "is_published"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["versions"] = self.object.versions.select_related("created_by").order_by("-version")
        return context


class EarningRuleViewSet(ModelViewSet):
    model = EarningRule
    icon = "tasks"
    menu_label = _("Earning rules")
    menu_order = 210
    add_to_admin_menu = True
    name = "points_rule"
    url_prefix = "points/rules"
    index_view_class = EarningRuleIndexView
    add_view_class = EarningRuleCreateView
    edit_view_class = EarningRuleEditView
    inspect_view_class = EarningRuleInspectView
    history_view_class = type("RuleHistoryView", (ScopedRuleMixin, history.HistoryView), {})
    usage_view_class = type("RuleUsageView", (ScopedRuleMixin, usage.UsageView), {})
    inspect_view_enabled = True
    edit_template_name = "points/admin/rule_edit.html"
    inspect_template_name = "points/admin/rule_inspect.html"
    copy_view_enabled = False
    list_display = [
        "code",
        Column("latest_version", label=_("Name and version")),
        "category",
        "kind",
        "area",
        Column(
            "points",
            label=_("Points"),
            accessor=lambda rule: rule.latest_version.points if rule.latest_version else "",
        ),
        "is_published",
    ]
    list_per_page = 50
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("code"), FieldPanel("area")]),
            FieldRowPanel([FieldPanel("category"), FieldPanel("kind"), FieldPanel("is_published")]),
            MultiFieldPanel(
                [
                    FieldPanel("name"),
                    FieldPanel("description"),
                    FieldRowPanel([FieldPanel("points"), FieldPanel("auto_approve_up_to")]),
                    FieldRowPanel(
                        [
                            FieldPanel("cap_per_day"),
                            FieldPanel("cap_per_month"),
                            FieldPanel("cap_per_year"),
                        ]
                    ),
                    FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_to")]),
                ],
                heading=_("Terms (saving new terms adds a version)"),
            ),
        ],
        base_form_class=EarningRuleForm,
    )

    def get_urlpatterns(self):
        return super().get_urlpatterns() + [
            path(
                "preview/<int:pk>/",
                self.construct_view(EarningRulePreviewView, **self.get_edit_view_kwargs()),
                name="preview",
            ),
        ]
