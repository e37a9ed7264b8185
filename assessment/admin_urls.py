from django.urls import path

from assessment import views

app_name = "assessment"

urlpatterns = [
    path("", views.dashboard_home, name="home"),
    path("area/<int:area_id>/", views.area_dashboard, name="area"),
    path("area/<int:area_id>/report/", views.area_report, name="report"),
    path("entries/", views.entry_list, name="entries"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/decide/", views.entry_decide, name="entry_decide"),
    path("lists/", views.ranking_list_index, name="lists"),
    path("lists/<int:pk>/", views.ranking_list_detail, name="list"),
    path("lists/<int:pk>/approve/", views.ranking_list_approve, name="list_approve"),
]
