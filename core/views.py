import logging

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from .health import run_checks
from .search import MIN_TERM, search_everything

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer; 503 naming what failed otherwise.

    Anyone may ask (load balancers do), so the answer names the failing check only; what went
    wrong (host, port, error text) goes to the log."""
    results = run_checks()
    failed = {name: error for name, error in results.items() if error}
    for name, error in failed.items():
        logger.error("health check %s failed: %s", name, error)
    body = {
        "status": "ok" if not failed else "fail",
        "checks": {name: ("fail" if err else "ok") for name, err in results.items()},
    }
    return JsonResponse(body, status=503 if failed else 200)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def search(request):
    """The top bar's search: as-you-type results (htmx fragment), or a page of them without JS."""
    term = request.GET.get("q", "").strip()
    fragment = bool(getattr(request, "htmx", False) and not request.htmx.boosted)
    limit = 8 if fragment else 50
    context = {"term": term, "hits": search_everything(user=request.user, term=term, limit=limit), "min": MIN_TERM}
    template = "includes/search_results.html" if fragment else "search.html"
    return render(request, template, context)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """handler404: the API answers in its one error shape, pages with the 404 page."""
    if _is_api(request):
        from django.utils.translation import gettext as _

        return JsonResponse({"code": "not_found", "detail": _("Not found."), "fields": {}}, status=404)
    from django.views.defaults import page_not_found as default

    return default(request, exception)


def server_error(request):
    """handler500: the API answers in its one error shape, pages with the default page."""
    if _is_api(request):
        from django.utils.translation import gettext as _

        body = {"code": "error", "detail": _("A server error occurred."), "fields": {}}
        return JsonResponse(body, status=500)
    from django.views.defaults import server_error as default

    return default(request)
