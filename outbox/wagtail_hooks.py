from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from registry.permissions import Action, Kind, may


@hooks.register("register_admin_urls")
def register_notice_urls():
    return [path("notices/", include("outbox.admin_urls", namespace="outbox_notices"))]


class _NoticeMenuItem(MenuItem):
    def is_shown(self, request):
        return may(request.user, Kind.NOTICE, Action.WRITE)


@hooks.register("register_admin_menu_item")
def register_notice_menu_item():
    return _NoticeMenuItem(
        _("Notice to households"), reverse("outbox_notices:new"), icon_name="mail", order=230
    )
