from django.urls import path

from points.views import claims as views_claims

app_name = "points_claims"

urlpatterns = [
    path("", views_claims.claim_queue, name="queue"),
    path("<int:pk>/decide/", views_claims.claim_decide, name="decide"),
    path("approve-all/", views_claims.claim_approve_all, name="approve_all"),
]
