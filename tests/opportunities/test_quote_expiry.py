"""Expired quotes: the daily sweep marks quotes still in play past their validity date as expired
(one set-based pass, a history row and a timeline event each; a rerun changes nothing); an
expired quote is neither finished, approved, sent nor accepted, only revised."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AccountEvent
from accounts.timeline import render_event
from contracts.models import Contract
from opportunities import services
from opportunities.models import Quote
from opportunities.tasks import expire_quotes
from tests.accounts.factories import AccountFactory

from .factories import OpportunityFactory, QuoteFactory, QuoteLineFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _today_at_each_test():
    """Today as each test starts: a run that crosses midnight in Shanghai must not keep the day
    the module was imported on."""
    global TODAY
    global YESTERDAY
    TODAY = timezone.localdate()
    YESTERDAY = TODAY - datetime.timedelta(days=1)


def _quote(manager, *, status=Quote.Status.DRAFT, valid_until=None):
    valid_until = YESTERDAY if valid_until is None else valid_until
    opportunity = OpportunityFactory(account=AccountFactory(owner=manager))
    quote = QuoteFactory(opportunity=opportunity, status=status, valid_until=valid_until, created_by=manager)
    QuoteLineFactory(quote=quote)
    return quote


class TestSweep:
    def test_quotes_in_play_past_their_date_expire_and_others_stay(self, manager):
        in_play = {s: _quote(manager, status=s) for s in services.EXPIRABLE}
        valid_today = _quote(manager, status=Quote.Status.SENT, valid_until=TODAY)
        decided = [_quote(manager, status=s) for s in (Quote.Status.ACCEPTED, Quote.Status.DECLINED)]
        superseded = _quote(manager, status=Quote.Status.SUPERSEDED)

        assert services.quotes_expire() == len(services.EXPIRABLE)

        for quote in in_play.values():
            quote.refresh_from_db()
            assert quote.status == Quote.Status.EXPIRED and quote.version == 2
        for quote in [valid_today, *decided, superseded]:
            old_status = quote.status
            quote.refresh_from_db()
            assert quote.status == old_status and quote.version == 1

    def test_each_expiry_is_on_the_timeline_and_in_history(self, manager):
        quote = _quote(manager, status=Quote.Status.SENT)
        services.quotes_expire()
        event = AccountEvent.objects.get(kind="quote.expired")
        assert event.account_id == quote.opportunity.account_id and event.subject_id == quote.pk
        assert event.actor is None
        shown = render_event(event)
        assert quote.number in str(shown["text"]) and YESTERDAY.isoformat() in str(shown["text"])
        assert shown["link"].endswith(f"/quotes/{quote.pk}/")
        statuses = list(quote.history.order_by("history_date").values_list("status", flat=True))
        assert statuses[-1] == Quote.Status.EXPIRED

    def test_a_rerun_changes_nothing(self, manager):
        _quote(manager, status=Quote.Status.APPROVED)
        assert services.quotes_expire() == 1
        assert services.quotes_expire() == 0
        assert AccountEvent.objects.filter(kind="quote.expired").count() == 1

    def test_works_in_bounded_batches_with_constant_queries(self, manager, django_assert_max_num_queries):
        for _ in range(5):
            _quote(manager, status=Quote.Status.SENT)
        # 2 batches of 3 and 2; each: savepoint, lock ids, update, read, history, events
        with django_assert_max_num_queries(20):
            assert services.quotes_expire(batch_size=3) == 5
        assert not Quote.objects.exclude(status=Quote.Status.EXPIRED).exists()

    def test_the_task_runs_the_sweep_and_is_scheduled_daily(self, manager, settings):
        _quote(manager, status=Quote.Status.PENDING)
        assert expire_quotes.apply().get() == 1
        assert expire_quotes.apply().get() == 0
        entry = settings.CELERY_BEAT_SCHEDULE["opportunities-quote-expiry"]
        assert entry["task"] == expire_quotes.name == "opportunities.tasks.expire_quotes"


class TestExpiredQuoteRules:
    def test_an_expired_quote_is_not_sent_accepted_or_finished(self, manager):
        sent = _quote(manager, status=Quote.Status.APPROVED)
        draft = _quote(manager, status=Quote.Status.DRAFT)
        services.quotes_expire()
        with pytest.raises(ValidationError, match="expired on .*make a new revision"):
            services.quote_mark_sent(quote=sent, actor=manager)
        with pytest.raises(ValidationError, match="expired on .*make a new revision"):
            services.quote_accept(quote=sent, actor=manager, start_on=TODAY, end_on=TODAY)
        with pytest.raises(ValidationError, match="expired on .*make a new revision"):
            services.quote_submit(quote=draft, actor=manager)
        assert not Contract.objects.exists()

    def test_past_its_date_before_the_sweep_ran_it_is_refused_too(self, manager):
        quote = _quote(manager, status=Quote.Status.APPROVED)
        assert quote.is_expired
        with pytest.raises(ValidationError, match="expired on"):
            services.quote_mark_sent(quote=quote, actor=manager)
        quote.refresh_from_db()
        assert quote.status == Quote.Status.APPROVED

    def test_a_director_does_not_approve_an_expired_discount(self, manager, director):
        quote = _quote(manager, status=Quote.Status.PENDING)
        services.quotes_expire()
        with pytest.raises(ValidationError, match="expired on"):
            services.quote_decide(quote=quote, actor=director, approve=True)

    def test_an_expired_quote_is_revised_into_a_draft_with_a_fresh_validity(self, manager):
        quote = _quote(manager, status=Quote.Status.SENT)
        services.quotes_expire()
        new = services.quote_revise(quote=Quote.objects.get(pk=quote.pk), actor=manager)
        quote.refresh_from_db()
        assert quote.status == Quote.Status.SUPERSEDED
        assert new.status == Quote.Status.DRAFT and new.revision == 2
        assert new.valid_until == TODAY + datetime.timedelta(days=services.REVISION_VALID_DAYS)
        assert new.lines.get().unit_price == Decimal("1000.00")
        assert not new.is_expired


class TestPages:
    def test_the_quote_page_says_expired_and_offers_only_a_revision(self, client_for, manager):
        quote = _quote(manager, status=Quote.Status.APPROVED)
        services.quotes_expire()
        page = client_for(manager).get(quote.get_absolute_url()).content.decode()
        assert 'data-testid="quote-expired"' in page
        assert "Mark as sent" not in page and 'data-testid="quote-accept"' not in page
        assert f"/quotes/{quote.pk}/revise/" in page

    def test_the_api_refuses_sending_an_expired_quote(self, api_for, manager):
        quote = _quote(manager, status=Quote.Status.APPROVED)
        services.quotes_expire()
        response = api_for(manager).post(f"/api/quotes/{quote.pk}/send/", {}, format="json")
        assert response.status_code == 400
        assert "expired" in str(response.json())
        listed = api_for(manager).get("/api/quotes/", {"status": "expired"}).json()
        assert [row["id"] for row in listed["results"]] == [quote.pk]
