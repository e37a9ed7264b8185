from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.permissions import register_permission_policy

from points.models import EarningRule
from points.viewsets.expiry import ExpiryPolicyViewSet
from points.viewsets.rules import EarningRuleViewSet, permission_policy
from registry.permissions import Action, Kind, may

register_permission_policy(EarningRule, permission_policy, exact_class=True)


@hooks.register("register_admin_viewset")
def register_earning_rule_viewset():
    return EarningRuleViewSet()


@hooks.register("register_admin_urls")
def register_claim_urls():
    return [path("points/claims/", include("points.admin_urls", namespace="points_claims"))]


class _RecorderMenuItem(MenuItem):
    def is_shown(self, request):
        return may(request.user, Kind.SCORING, Action.APPROVE)


@hooks.register("register_admin_menu_item")
def register_claim_menu_item():
    return _RecorderMenuItem(
        _("Points to approve"), reverse("points_claims:queue"), icon_name="tasks", order=170
    )


@hooks.register("register_admin_viewset")
def register_expiry_viewset():
    return ExpiryPolicyViewSet()


class _ScoringMenu(SubmenuMenuItem):
    def is_shown(self, request):
        return may(request.user, Kind.SCORING, Action.WRITE)


@hooks.register("register_admin_menu_item")
def register_scoring_menu():
    """The committee's and the town's phone pages for scoring (outside the admin)."""
    items = [
        _RecorderMenuItem(_("Garbage sorting checks"), "/scoring/sorting/", icon_name="tick"),
        _RecorderMenuItem(_("Courtyard appraisals"), "/scoring/appraisals/", icon_name="home"),
        _RecorderMenuItem(_("Commendations"), "/scoring/commendations/", icon_name="pick"),
        _RecorderMenuItem(_("Publicity"), "/scoring/publicity/", icon_name="doc-full"),
    ]
    return _ScoringMenu(
        _("Scoring households"), Menu(items=items), icon_name="tick-inverse", order=160
    )
