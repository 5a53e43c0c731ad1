"""The discount limit that needs a director's approval: set by an administrator in admin (no
deploy), falling back to the server's setting; shown on the quote form."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.locking import StaleVersionError
from opportunities import services
from opportunities.models import Quote, QuoteSettings
from tests.accounts.factories import AccountFactory

from .factories import OpportunityFactory

pytestmark = pytest.mark.django_db

LINE = {"product": "Router", "quantity": Decimal("1"), "unit_price": Decimal("1000.00")}


def _submitted(manager, discount: str) -> Quote:
    opportunity = OpportunityFactory(account=AccountFactory(owner=manager))
    quote = services.quote_create(
        actor=manager,
        opportunity=opportunity,
        valid_until=timezone.localdate() + datetime.timedelta(days=10),
        lines=[{**LINE, "discount_percent": Decimal(discount)}],
    )
    return services.quote_submit(quote=quote, actor=manager)


def test_without_a_row_the_setting_applies(settings):
    settings.OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT = "12.5"
    assert services.discount_limit() == Decimal("12.5")


def test_the_limit_set_in_admin_decides_which_quotes_need_approval(manager, admin_user, settings):
    settings.OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT = "10"
    assert _submitted(manager, "8").status == Quote.Status.APPROVED
    services.quote_settings_update(actor=admin_user, discount_limit_percent=Decimal("5"))
    assert services.discount_limit() == Decimal("5")
    assert _submitted(manager, "8").status == Quote.Status.PENDING
    row = QuoteSettings.objects.get()
    services.quote_settings_update(actor=admin_user, discount_limit_percent=Decimal("20"), expected_version=row.version)
    assert _submitted(manager, "15").status == Quote.Status.APPROVED
    # emptied: back to the server's setting
    services.quote_settings_update(actor=admin_user, discount_limit_percent=None)
    assert _submitted(manager, "15").status == Quote.Status.PENDING


def test_a_stale_or_bad_limit_is_refused(admin_user):
    from django.core.exceptions import ValidationError

    services.quote_settings_update(actor=admin_user, discount_limit_percent=Decimal("5"))
    with pytest.raises(StaleVersionError):
        services.quote_settings_update(actor=admin_user, discount_limit_percent=Decimal("6"), expected_version=7)
    with pytest.raises(ValidationError, match="less than or equal to 100"):
        services.quote_settings_update(actor=admin_user, discount_limit_percent=Decimal("101"))
    row = QuoteSettings.objects.get()
    assert row.discount_limit_percent == Decimal("5") and row.version == 1 and row.updated_by == admin_user


class TestAdmin:
    def test_the_admin_makes_then_changes_the_one_row(self, client_for, admin_user, manager):
        client = client_for(admin_user)
        listing = client.get(reverse("admin:opportunities_quotesettings_changelist"))
        assert listing.status_code == 302 and listing["Location"].endswith("/add/")
        response = client.post(reverse("admin:opportunities_quotesettings_add"), {"discount_limit_percent": "7.5"})
        assert response.status_code == 302, response.context["adminform"].form.errors
        row = QuoteSettings.objects.get()
        assert row.discount_limit_percent == Decimal("7.5") and row.updated_by == admin_user
        listing = client.get(reverse("admin:opportunities_quotesettings_changelist"))
        assert listing["Location"].endswith(f"/{row.pk}/change/")
        change_url = reverse("admin:opportunities_quotesettings_change", args=[row.pk])
        page = client.get(change_url)
        assert page.status_code == 200 and "7.5" in page.content.decode()
        response = client.post(change_url, {"discount_limit_percent": "3", "expected_version": row.version})
        assert response.status_code == 302
        assert services.discount_limit() == Decimal("3")
        assert _submitted(manager, "4").status == Quote.Status.PENDING
        stale = client.post(change_url, {"discount_limit_percent": "9", "expected_version": 1}, follow=True)
        assert "Someone else changed this record" in stale.content.decode()
        assert services.discount_limit() == Decimal("3")
        history = client.get(reverse("admin:opportunities_quotesettings_history", args=[row.pk]))
        assert history.status_code == 200

    def test_a_director_only_reads_it(self, client_for, director, admin_user):
        services.quote_settings_update(actor=admin_user, discount_limit_percent=Decimal("5"))
        row = QuoteSettings.objects.get()
        client = client_for(director)
        url = reverse("admin:opportunities_quotesettings_change", args=[row.pk])
        assert client.get(url).status_code == 200
        client.post(url, {"discount_limit_percent": "50", "expected_version": row.version})
        assert services.discount_limit() == Decimal("5")


def test_the_quote_form_shows_the_limit_in_force(client_for, manager, admin_user):
    services.quote_settings_update(actor=admin_user, discount_limit_percent=Decimal("6.5"))
    opportunity = OpportunityFactory(account=AccountFactory(owner=manager))
    page = client_for(manager).get(reverse("opportunities:quote_create", args=[opportunity.pk])).content.decode()
    assert "6.5%" in page or "6.50%" in page
