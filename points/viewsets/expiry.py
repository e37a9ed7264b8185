"""District administrators set their district's points expiry policy in the work desk."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.views.generic import history, usage
from wagtail.admin.viewsets.model import ModelViewSet

from points.models import ExpiryPolicy
from registry.models import Area
from registry.permissions import Action, Kind
from registry.scoping import areas_visible_to, visible_to
from registry.viewsets import DeleteView, ScopedObjectMixin

POLICY = {"kind": Kind.EXPIRY_POLICY, "action": Action.WRITE}
POLICY_VIEW = {"scope_kind": Kind.EXPIRY_POLICY, "scope_action": Action.WRITE}


class ExpiryPolicyForm(WagtailAdminModelForm):
    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        if for_user is not None and "district" in self.fields:
            self.fields["district"].queryset = areas_visible_to(
                for_user, level=Area.Level.DISTRICT, **POLICY
            )
            if self.instance.pk:
                self.fields["district"].disabled = True


class ExpiryPolicyIndexView(generic.IndexView):
    def get_base_queryset(self):
        return visible_to(self.request.user, ExpiryPolicy.objects.all(), **POLICY)


class ExpiryPolicyEditView(ScopedObjectMixin, generic.EditView):
    scope_kind = Kind.EXPIRY_POLICY
    scope_action = Action.WRITE


class ExpiryPolicyViewSet(ModelViewSet):
    model = ExpiryPolicy
    icon = "time"
    menu_label = _("Points expiry")
    name = "points_expiry"
    url_prefix = "points/expiry"
    add_to_admin_menu = True
    menu_order = 175
    copy_view_enabled = False
    index_view_class = ExpiryPolicyIndexView
    edit_view_class = ExpiryPolicyEditView
    history_view_class = type(
        "ExpiryHistoryView", (ScopedObjectMixin, history.HistoryView), POLICY_VIEW
    )
    usage_view_class = type("ExpiryUsageView", (ScopedObjectMixin, usage.UsageView), POLICY_VIEW)
    delete_view_class = type(
        "ExpiryDeleteView",
        (ScopedObjectMixin, DeleteView),
        {**POLICY_VIEW, "scope_action": Action.DELETE},
    )
    list_display = ["district", "mode", "starts_on"]
    edit_handler = ObjectList(
        [
            FieldPanel("district"),
            FieldPanel("mode"),
            FieldRowPanel([FieldPanel("month"), FieldPanel("day")]),
            FieldPanel("months"),
            FieldPanel("starts_on"),
        ],
        base_form_class=ExpiryPolicyForm,
    )
