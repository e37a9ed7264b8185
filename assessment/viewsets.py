"""Indicators, schemes and map places in the work desk: the district keeps them (Django model
permissions of the district administrators' group; schemes scoped to the user's districts)."""

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup

from assessment.models import AreaPlace, Indicator, Scheme
from registry.permissions import Action, Kind
from registry.scoping import visible_to


class IndicatorViewSet(ModelViewSet):
    model = Indicator
    icon = "order"
    menu_label = _("Indicators")
    name = "assessment_indicator"
    url_prefix = "assessment/indicators"
    list_display = ["name", "unit", "source", "target", "warning", "is_active"]
    copy_view_enabled = False
    inspect_view_enabled = False
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("code"), FieldPanel("unit")]),
        FieldRowPanel([FieldPanel("source"), FieldPanel("aggregation"), FieldPanel("direction")]),
        FieldRowPanel([FieldPanel("target"), FieldPanel("warning")]),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("position"), FieldPanel("is_active")]),
    ]


class SchemeIndexView(generic.IndexView):
    def get_base_queryset(self):
        return visible_to(
            self.request.user,
            super().get_base_queryset(),
            kind=Kind.ASSESSMENT,
            action=Action.WRITE,
        )


class SchemeViewSet(ModelViewSet):
    model = Scheme
    icon = "list-ol"
    menu_label = _("Assessment schemes")
    name = "assessment_scheme"
    url_prefix = "assessment/schemes"
    list_display = ["name", "district", "valid_from"]
    index_view_class = SchemeIndexView
    copy_view_enabled = False
    inspect_view_enabled = False
    panels = [
        FieldRowPanel([FieldPanel("name"), FieldPanel("district"), FieldPanel("valid_from")]),
        InlinePanel("items", label=_("Weighted indicators"), min_num=1),
    ]


class AreaPlaceViewSet(ModelViewSet):
    model = AreaPlace
    icon = "site"
    menu_label = _("Places on the map")
    name = "assessment_place"
    url_prefix = "assessment/places"
    list_display = ["area", "latitude", "longitude"]
    copy_view_enabled = False
    inspect_view_enabled = False
    panels = [FieldPanel("area"), FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")])]


class AssessmentViewSetGroup(ModelViewSetGroup):
    menu_label = _("Assessment setup")
    menu_icon = "order"
    menu_order = 260
    items = (IndicatorViewSet, SchemeViewSet, AreaPlaceViewSet)
