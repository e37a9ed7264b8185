from django.urls import path

from points import views_sorting

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
]
