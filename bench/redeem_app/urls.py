from django.http import HttpResponse
from django.urls import path

from meijia.urls import urlpatterns as site_urlpatterns


def trivial(request):
    """The floor: a Django view through the whole middleware stack, with no query."""
    return HttpResponse(b'{"ok":true}', content_type="application/json")


urlpatterns = [path("bench/trivial/", trivial), *site_urlpatterns]
