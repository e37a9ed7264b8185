from django.urls import path

from shops.views import counter as views
from shops.views import settlement as views_settlement

app_name = "shops"

urlpatterns = [
    path("counter/", views.counter_home, name="counter_home"),
    path("counter/<int:store_id>/", views.counter, name="counter"),
    path("counter/<int:store_id>/preview/", views.counter_preview, name="counter_preview"),
    path("counter/<int:store_id>/confirm/", views.counter_confirm, name="counter_confirm"),
    path("counter/<int:store_id>/stock/", views.counter_stock, name="counter_stock"),
    path("counter/<int:store_id>/day/", views.counter_day, name="counter_day"),
    path(
        "counter/<int:store_id>/settlement/",
        views_settlement.counter_settlement,
        name="counter_settlement",
    ),
    path("receipt/<str:receipt_number>/", views.receipt, name="receipt"),
    path("receipt/<str:receipt_number>/void/", views.receipt_void, name="receipt_void"),
]

# The villager's code lives beside the household page (site/urls.py includes these at the root).
household_urlpatterns = [
    path("household/<int:pk>/code/", views.household_code, name="household_code"),
    path("household/<int:pk>/code/new/", views.household_code_new, name="household_code_new"),
    path(
        "household/<int:pk>/code/status/",
        views.household_code_status,
        name="household_code_status",
    ),
]
