from wagtail import hooks
from wagtail.permissions import register_permission_policy

from points.models import EarningRule
from points.viewsets import EarningRuleViewSet, permission_policy

register_permission_policy(EarningRule, permission_policy, exact_class=True)


@hooks.register("register_admin_viewset")
def register_earning_rule_viewset():
    return EarningRuleViewSet()
