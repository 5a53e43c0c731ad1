from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import run_checks


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
