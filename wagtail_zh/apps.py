from django.apps import AppConfig


class WagtailZhConfig(AppConfig):
    name = "wagtail_zh"
    verbose_name = "Wagtail 简体中文补充"
