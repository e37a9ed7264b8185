from django.urls import path

from campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("sessions/", views.sessions_to_organise, name="sessions"),
    path("sessions/<int:pk>/sign-up/", views.session_sign_up, name="session_sign_up"),
    path("sessions/<int:pk>/check-in/", views.session_check_in, name="session_check_in"),
    path("sign-ups/<int:pk>/cancel/", views.signup_cancel, name="signup_cancel"),
    path("lessons/<int:pk>/done/", views.lesson_complete, name="lesson_complete"),
    path("search/", views.search, name="search"),
    path("village/orders/", views.village_orders, name="village_orders"),
]
