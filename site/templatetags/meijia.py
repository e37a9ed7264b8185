from django import template
from django.utils.translation import gettext_noop

from registry.formatting import yuan
from registry.identity import mask_id_number, mask_name, mask_phone

register = template.Library()

# Django's Chinese catalogue ends form labels with an ASCII colon; ours (site/locale, which
# comes first) translates the label suffix to the full-width "：".
LABEL_SUFFIX = gettext_noop(":")

register.filter("mask_phone", mask_phone)
register.filter("mask_id_number", mask_id_number)
register.filter("mask_name", mask_name)
register.filter("yuan", yuan)


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    """This page's URL with its query kept (the list's filters) and ``page`` set to ``number``."""
    params = context["request"].GET.copy()
    params["page"] = number
    return "?" + params.urlencode()
