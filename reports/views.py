from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from users.visibility import roles_of

from .selectors import dashboard_data


@login_required
def dashboard(request):
    context = dashboard_data(user=request.user)
    context["roles"] = sorted(roles_of(request.user))
    return render(request, "reports/dashboard.html", context)
