from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from .health import run_checks
from .search import MIN_TERM, search_everything


@never_cache
@require_GET
def healthz(request):
    """200 when the database and the broker answer; 503 naming what failed otherwise."""
    results = run_checks()
    failed = {name: error for name, error in results.items() if error}
    body = {
        "status": "ok" if not failed else "fail",
        "checks": {name: (err or "ok") for name, err in results.items()},
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
