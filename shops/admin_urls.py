from django.urls import path

from shops.views import cards as views_cards

app_name = "shops_cards"

urlpatterns = [
    path("", views_cards.cards_home, name="home"),
    path("lost/", views_cards.cards_lost, name="lost"),
    path("<int:pk>/", views_cards.cards_job, name="job"),
    path("<int:pk>/progress/", views_cards.cards_job_progress, name="progress"),
    path("<int:pk>/download/", views_cards.cards_job_download, name="download"),
]
