from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control

from users.permissions import has_crm_perm
from users.visibility import roles_of

from .selectors import dashboard_data


@login_required
def dashboard(request):
    context = dashboard_data(user=request.user, with_heartbeat=has_crm_perm(request.user, "core.view_heartbeat"))
    context["roles"] = sorted(roles_of(request.user))
    return render(request, "reports/dashboard.html", context)


@cache_control(max_age=86400, public=True)
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the SVG icon."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
