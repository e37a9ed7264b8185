from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def order_url(pk: int) -> str:
    """The work order's page in supervision's work desk, once supervision has pages."""
    try:
        return reverse("supervision:order", args=[pk])
    except NoReverseMatch:
        return ""
