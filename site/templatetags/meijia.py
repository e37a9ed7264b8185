from django import template

from registry.identity import mask_id_number, mask_name, mask_phone

register = template.Library()

register.filter("mask_phone", mask_phone)
register.filter("mask_id_number", mask_id_number)
register.filter("mask_name", mask_name)
