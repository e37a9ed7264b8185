from django.urls import path

from upkeep import views

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
]
