from django.urls import path

from outbox import views

app_name = "outbox"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read/", views.inbox_read, name="read"),
    path("settings/", views.preferences, name="preferences"),
]
