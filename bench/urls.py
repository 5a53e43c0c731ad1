"""The project's routes and a hello-world view: the same Django, middleware and gunicorn, no work."""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse("Hello, world", content_type="text/plain")


urlpatterns = [
    path("bench/hello/", hello),
    path("", include("config.urls")),
]
