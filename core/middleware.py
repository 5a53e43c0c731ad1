"""Requests the database could not even be asked about are refused at the door."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RejectNulMiddleware:
    """A NUL character in the path or a query parameter is a 400: PostgreSQL cannot store or
    compare text with NUL, so a search for one would otherwise fail with a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in _items(request.GET)):
            message = _("The request contains a NUL character.")
            if request.path.startswith("/api/"):
                return JsonResponse({"code": "invalid", "detail": message, "fields": {}}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


def _items(querydict):
    for key, values in querydict.lists():
        for value in values:
            yield key, value
