from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("orders/", views.order_list, name="orders"),
    path("mine/", views.my_orders, name="my_orders"),
    path("overview/", views.overview, name="overview"),
    path("orders/<int:pk>/", views.order_detail, name="order"),
    path("orders/<int:pk>/move/", views.order_move, name="order_move"),
    path("orders/<int:pk>/deduct/", views.order_deduct, name="order_deduct"),
    path("rounds/", views.round_list, name="rounds"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/village/<int:village>/", views.round_village, name="round_village"),
    path("rounds/<int:pk>/village/<int:village>/record/", views.round_record, name="round_record"),
    path("tallies/", views.tally_list, name="tallies"),
    path("tallies/<int:pk>/report/", views.tally_report, name="tally_report"),
    path("tallies/<int:pk>/review/", views.tally_review, name="tally_review"),
    path("tallies/<int:pk>/totals/", views.tally_totals, name="tally_totals"),
    path("tallies/reports/<int:pk>/review/", views.tally_review_post, name="tally_review_post"),
]
