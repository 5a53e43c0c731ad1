import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .health import run_checks

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
