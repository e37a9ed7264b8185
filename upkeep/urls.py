from django.urls import path

from upkeep.views import orders as views_orders
from upkeep.views import toilets as views

app_name = "upkeep"

urlpatterns = [
    path("toilets/", views.toilets, name="toilets"),
    path("toilets/<int:pk>/", views.toilet, name="toilet"),
    path("toilets/import/", views.import_start, name="import"),
    path("toilets/import/<int:pk>/", views.import_detail, name="import_detail"),
    path("toilets/import/<int:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("toilets/template/", views.import_template, name="template"),
    path("toilets/export/", views.export, name="export"),
    path("toilets/stickers/", views.stickers, name="stickers"),
    path("t/<str:token>/", views.sticker, name="sticker"),
    path("due/", views.due, name="due"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/<int:pk>/", views.check_round, name="round"),
    path("checks/<int:pk>/", views.check_record, name="check_record"),
    path("toilets/<int:pk>/ask/", views_orders.ask, name="ask"),
    path("orders/", views_orders.orders, name="orders"),
    path("orders/<int:pk>/", views_orders.order, name="order"),
    path("orders/<int:pk>/rate/", views_orders.rate, name="rate"),
    path("orders/<int:pk>/dispatch/", views_orders.dispatch, name="dispatch"),
    path("orders/desk/", views_orders.desk, name="desk"),
    path("orders/several/", views_orders.file_for, name="file_for"),
    path("work/", views_orders.work, name="work"),
    path("work/<int:pk>/", views_orders.work_step, name="work_step"),
    path("figures/", views_orders.figures, name="figures"),
    path("statement/", views_orders.statement, name="statement"),
]
