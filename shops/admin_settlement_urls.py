from django.urls import path

from shops.views import settlement as views_settlement

app_name = "shops_settlement"

urlpatterns = [
    path("", views_settlement.settlement_home, name="home"),
    path(
        "<int:store_id>/<int:year>/<int:month>/",
        views_settlement.settlement_detail,
        name="detail",
    ),
    path(
        "<int:store_id>/<int:year>/<int:month>/settle/",
        views_settlement.settlement_settle,
        name="settle",
    ),
]
