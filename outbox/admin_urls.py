from django.urls import path

from outbox import admin_views

app_name = "outbox_notices"

urlpatterns = [path("", admin_views.notice_new, name="new")]
