from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.views import healthz, search

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("search/", search, name="search"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("auth/", include("users.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # for signed-in users only; the split view serves its script as a file (no inline script: CSP)
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/", include("config.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("tiers/", include("tiering.urls")),
    path("requests/", include("service_requests.urls")),
    path("contracts/", include("contracts.urls")),
    path("visits/", include("visits.urls")),
    path("opportunities/", include("opportunities.urls")),
    path("reminders/", include("reminders.urls")),
    path("imports/", include("core.urls")),
    path("", include("reports.urls")),
]
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
