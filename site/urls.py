from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from meijia import views
from meijia.api import api
from shops.urls import household_urlpatterns as shop_household_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("household/<int:pk>/", views.household, name="household"),
    path("household/<int:pk>/points/", views.household_history, name="household_history"),
    path("household/<int:pk>/rules/", views.household_rules, name="household_rules"),
    path("", include(shop_household_urls)),
    path("shops/", include("shops.urls")),
    path("scoring/", include("points.urls")),
    path("supervision/", include("supervision.urls")),
    path("prefs/text-size/", views.text_size, name="text_size"),
    path("inbox/", include("outbox.urls")),
    path("api/v1/", api.urls),
    path("site/", include("campaigns.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    # Wagtail's and Django's own login forms lead to the one sign-in (meijia/accounts.py).
    path("admin/login/", views.sign_in_elsewhere),
    path("_util/login/", views.sign_in_elsewhere),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]
