from django.urls import path

from points.views import appraisals as views_appraisals
from points.views import sorting as views_sorting

app_name = "points"

urlpatterns = [
    path("sorting/", views_sorting.round_list, name="sorting_rounds"),
    path("sorting/open/", views_sorting.round_open, name="sorting_open"),
    path("sorting/<int:pk>/", views_sorting.round_sheet, name="sorting_round"),
    path("sorting/<int:pk>/find/", views_sorting.round_find, name="sorting_find"),
    path(
        "sorting/<int:pk>/household/<int:household>/",
        views_sorting.round_household,
        name="sorting_household",
    ),
    path("sorting/<int:pk>/grade/", views_sorting.round_grade, name="sorting_grade"),
    path(
        "sorting/<int:pk>/check/<int:check>/undo/",
        views_sorting.check_undo,
        name="sorting_undo",
    ),
    path(
        "sorting/<int:pk>/check/<int:check>/change/",
        views_sorting.check_change,
        name="sorting_change",
    ),
    path("appraisals/", views_appraisals.campaign_list, name="campaigns"),
    path("appraisals/new/", views_appraisals.campaign_create, name="campaign_create"),
    path("appraisals/<int:pk>/", views_appraisals.campaign_detail, name="campaign"),
    path("appraisals/<int:pk>/verify/", views_appraisals.campaign_verify, name="campaign_verify"),
    path(
        "appraisals/<int:pk>/household/<int:household>/",
        views_appraisals.campaign_score,
        name="campaign_score",
    ),
    path("objections/<int:pk>/answer/", views_appraisals.objection_answer, name="objection_answer"),
    path("objections/new/", views_appraisals.objection_create, name="objection_create"),
    path("publicity/", views_appraisals.publicity, name="publicity"),
    path("commendations/", views_appraisals.commendation_list, name="commendations"),
    path("commendations/new/", views_appraisals.commendation_create, name="commendation_create"),
    path(
        "commendations/<int:pk>/decide/",
        views_appraisals.commendation_decide,
        name="commendation_decide",
    ),
]
