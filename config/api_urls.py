"""One router for the whole REST API; each app contributes its viewsets in `api.py`."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from accounts.api import register_routes as register_accounts
from contracts.api import register_routes as register_contracts
from opportunities.api import register_routes as register_opportunities
from reminders.api import register_routes as register_reminders
from reports.api import urlpatterns as reports_urls
from service_requests.api import register_routes as register_service_requests
from tiering.api import register_routes as register_tiering
from tiering.api import urlpatterns as tiering_urls
from visits.api import register_routes as register_visits

router = DefaultRouter()
register_accounts(router)
register_tiering(router)
register_contracts(router)
register_service_requests(router)
register_visits(router)
register_opportunities(router)
register_reminders(router)

urlpatterns = [*tiering_urls, *reports_urls, path("", include(router.urls))]
