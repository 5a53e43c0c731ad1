import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import AccountEvent
from contracts.models import Contract
from core.locking import StaleVersionError
from opportunities import services
from opportunities.models import CloseReason, OpportunityContact, Quote, StageChange
from opportunities.quote_math import line_total, quote_total, weighted
from tests.accounts.factories import AccountFactory, CompetitorFactory, ContactFactory
from users.roles import Role

from .factories import OpportunityFactory, default_stages, stage

pytestmark = pytest.mark.django_db

CLOSE = datetime.date(2026, 12, 31)


def _open(actor, **kwargs):
    account = kwargs.pop("account", None) or AccountFactory(owner=actor)
    return services.opportunity_create(
        actor=actor,
        account=account,
        title="Network upgrade",
        amount=Decimal("200000.00"),
        expected_close_on=CLOSE,
        **kwargs,
    )


class TestCreate:
    def test_it_starts_in_the_first_stage_with_its_default_probability(self, manager):
        opp = _open(manager)
        assert opp.stage.code == "need"
        assert opp.probability == 10 and not opp.probability_is_custom
        assert opp.owner == manager
        change = StageChange.objects.get(opportunity=opp)
        assert change.from_stage is None and change.to_stage.code == "need" and change.changed_by == manager
        assert AccountEvent.objects.filter(kind="opportunity.created", subject_id=opp.pk).exists()

    def test_a_given_probability_is_kept_as_set_by_hand(self, manager):
        opp = _open(manager, probability=35)
        assert opp.probability == 35 and opp.probability_is_custom

    def test_it_cannot_start_won(self, manager):
        with pytest.raises(ValidationError, match="starts in an active open stage"):
            _open(manager, stage=stage("won"))

    def test_an_archived_account_is_refused(self, manager):
        account = AccountFactory(owner=manager, is_archived=True)
        with pytest.raises(ValidationError, match="archived"):
            _open(manager, account=account)

    def test_a_future_back_date_is_refused(self, manager):
        with pytest.raises(ValidationError, match="future"):
            _open(manager, at=timezone.now() + datetime.timedelta(days=1))


class TestMove:
    def test_the_probability_follows_the_stage_by_default(self, manager):
        opp = _open(manager)
        opp = services.opportunity_move(opportunity=opp, actor=manager, stage=stage("evaluation"))
        assert opp.probability == 60
        assert opp.version == 2
        assert list(opp.stage_changes.values_list("to_stage__code", flat=True)) == ["need", "evaluation"]

    def test_a_probability_set_by_hand_survives_open_moves(self, manager):
        opp = _open(manager, probability=35)
        opp = services.opportunity_move(opportunity=opp, actor=manager, stage=stage("decision"))
        assert opp.probability == 35 and opp.probability_is_custom

    def test_won_needs_a_reason_and_sets_100(self, manager):
        opp = _open(manager, probability=35)
        with pytest.raises(ValidationError, match="Say why the opportunity was won or lost"):
            services.opportunity_move(opportunity=opp, actor=manager, stage=stage("won"))
        opp = services.opportunity_move(
            opportunity=opp, actor=manager, stage=stage("won"), reason=CloseReason.RELATIONSHIP
        )
        assert opp.probability == 100 and not opp.probability_is_custom
        assert opp.closed_on == timezone.localdate()

    def test_lost_names_the_competitor(self, manager):
        opp = _open(manager)
        with pytest.raises(ValidationError, match="Name the competitor who won"):
            services.opportunity_move(opportunity=opp, actor=manager, stage=stage("lost"), reason=CloseReason.PRICE)
        rival = CompetitorFactory()
        opp = services.opportunity_move(
            opportunity=opp, actor=manager, stage=stage("lost"), reason=CloseReason.PRICE, lost_to=rival
        )
        assert opp.probability == 0 and opp.lost_to == rival
        assert rival in opp.competitors.all()

    def test_lost_without_a_decision_needs_no_competitor(self, manager):
        opp = _open(manager)
        opp = services.opportunity_move(
            opportunity=opp, actor=manager, stage=stage("lost"), reason=CloseReason.NO_DECISION
        )
        assert opp.stage.code == "lost" and opp.lost_to is None

    def test_won_does_not_name_a_competitor(self, manager):
        opp = _open(manager)
        with pytest.raises(ValidationError, match="Only a lost opportunity names"):
            services.opportunity_move(
                opportunity=opp,
                actor=manager,
                stage=stage("won"),
                reason=CloseReason.PRICE,
                lost_to=CompetitorFactory(),
            )

    def test_reopening_clears_the_outcome_and_takes_the_stage_default(self, manager):
        opp = _open(manager)
        opp = services.opportunity_move(opportunity=opp, actor=manager, stage=stage("lost"), reason="no_decision")
        opp = services.opportunity_move(opportunity=opp, actor=manager, stage=stage("screening"))
        assert opp.close_reason == "" and opp.closed_on is None and opp.probability == 40

    def test_the_same_stage_and_an_inactive_stage_are_refused(self, manager):
        opp = _open(manager)
        with pytest.raises(ValidationError, match="already in this stage"):
            services.opportunity_move(opportunity=opp, actor=manager, stage=stage("need"))
        retired = stage("screening")
        retired.is_active = False
        retired.save()
        with pytest.raises(ValidationError, match="no longer in use"):
            services.opportunity_move(opportunity=opp, actor=manager, stage=retired)

    def test_a_stale_version_is_refused(self, manager):
        opp = _open(manager)
        with pytest.raises(StaleVersionError):
            services.opportunity_move(opportunity=opp, actor=manager, stage=stage("project"), expected_version=7)
        opp.refresh_from_db()
        assert opp.stage.code == "need"


class TestUpdate:
    def test_probability_none_goes_back_to_the_stage_default(self, manager):
        opp = _open(manager, probability=35)
        opp = services.opportunity_update(
            opportunity=opp, actor=manager, expected_version=opp.version, data={"probability": None}
        )
        assert opp.probability == 10 and not opp.probability_is_custom

    def test_the_stage_is_not_edited_here(self, manager):
        opp = _open(manager)
        with pytest.raises(ValidationError, match="cannot be changed here"):
            services.opportunity_update(
                opportunity=opp, actor=manager, expected_version=opp.version, data={"stage": stage("won")}
            )

    def test_stale_update_is_refused(self, manager):
        opp = _open(manager)
        with pytest.raises(StaleVersionError):
            services.opportunity_update(opportunity=opp, actor=manager, expected_version=3, data={"title": "x"})


class TestContacts:
    def test_a_contact_of_another_account_is_refused(self, manager):
        opp = _open(manager)
        with pytest.raises(ValidationError, match="contact of this opportunity's account"):
            services.opportunity_contact_set(
                opportunity=opp, actor=manager, contact=ContactFactory(), role=OpportunityContact.Role.ECONOMIC
            )

    def test_linking_twice_changes_the_role(self, manager):
        opp = _open(manager)
        contact = ContactFactory(account=opp.account)
        services.opportunity_contact_set(opportunity=opp, actor=manager, contact=contact, role="user")
        services.opportunity_contact_set(opportunity=opp, actor=manager, contact=contact, role="economic")
        assert list(opp.contact_roles.values_list("role", flat=True)) == ["economic"]


# --- quotes -------------------------------------------------------------------------------------

LINES = [
    {
        "product": "Core switch",
        "quantity": Decimal("3"),
        "unit_price": Decimal("1999.99"),
        "discount_percent": Decimal("7.5"),
    },
    {
        "product": "Support",
        "quantity": Decimal("1.5"),
        "unit_price": Decimal("333.33"),
        "discount_percent": Decimal("0"),
    },
]


def _quote(manager, lines=LINES):
    opp = _open(manager)
    return services.quote_create(
        actor=manager, opportunity=opp, valid_until=timezone.localdate() + datetime.timedelta(days=10), lines=lines
    )


class TestQuoteArithmetic:
    def test_line_and_total_in_decimal(self):
        # 3 × 1999.99 = 5999.97; less 7.5 % = 5549.97225 → 5549.97 (half-up once per line)
        assert line_total(
            quantity=Decimal("3"), unit_price=Decimal("1999.99"), discount_percent=Decimal("7.5")
        ) == Decimal("5549.97")
        # 1.5 × 333.33 = 499.995 → 500.00 (half-up, where a float gives 499.99)
        assert line_total(
            quantity=Decimal("1.5"), unit_price=Decimal("333.33"), discount_percent=Decimal("0")
        ) == Decimal("500.00")
        assert quote_total([Decimal("5549.97"), Decimal("500.00")]) == Decimal("6049.97")
        assert weighted(Decimal("12345.67"), 35) == Decimal("4320.98")

    def test_the_service_stores_lines_total_and_largest_discount(self, manager):
        quote = _quote(manager)
        assert quote.total == Decimal("6049.97")
        assert isinstance(quote.total, Decimal)
        assert quote.max_discount == Decimal("7.5")
        assert list(quote.lines.values_list("line_total", flat=True)) == [Decimal("5549.97"), Decimal("500.00")]
        assert quote.number.startswith("BJ") and quote.revision == 1

    def test_a_quote_needs_lines_and_a_future_validity(self, manager):
        opp = _open(manager)
        with pytest.raises(ValidationError, match="at least one line"):
            services.quote_create(actor=manager, opportunity=opp, valid_until=CLOSE, lines=[])
        with pytest.raises(ValidationError, match="cannot be in the past"):
            services.quote_create(
                actor=manager,
                opportunity=opp,
                valid_until=timezone.localdate() - datetime.timedelta(days=1),
                lines=LINES,
            )

    def test_a_bad_line_is_named(self, manager):
        opp = _open(manager)
        bad = [
            *LINES,
            {"product": "X", "quantity": Decimal("1"), "unit_price": Decimal("5"), "discount_percent": Decimal("120")},
        ]
        with pytest.raises(ValidationError, match="Line 3"):
            services.quote_create(actor=manager, opportunity=opp, valid_until=CLOSE, lines=bad)

    def test_a_closed_opportunity_takes_no_quote(self, manager):
        opp = _open(manager)
        opp = services.opportunity_move(opportunity=opp, actor=manager, stage=stage("lost"), reason="no_decision")
        with pytest.raises(ValidationError, match="open opportunities only"):
            services.quote_create(actor=manager, opportunity=opp, valid_until=CLOSE, lines=LINES)


class TestQuoteApproval:
    def test_within_the_limit_it_is_ready_to_send(self, manager, settings):
        settings.OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT = "10"
        quote = services.quote_submit(quote=_quote(manager), actor=manager)
        assert quote.status == Quote.Status.APPROVED

    def test_above_the_limit_a_director_approves(self, manager, director, other_manager, settings):
        settings.OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT = "5"
        quote = services.quote_submit(quote=_quote(manager), actor=manager)
        assert quote.status == Quote.Status.PENDING
        with pytest.raises(PermissionDenied, match="Only a sales director"):
            services.quote_decide(quote=quote, actor=other_manager, approve=True)
        with pytest.raises(ValidationError, match="cannot be accepted"):
            services.quote_accept(quote=quote, actor=manager, start_on=CLOSE, end_on=CLOSE)
        quote = services.quote_decide(quote=quote, actor=director, approve=True)
        assert quote.status == Quote.Status.APPROVED and quote.approved_by == director

    def test_nobody_approves_their_own_quote(self, make_user, settings):
        settings.OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT = "5"
        boss = make_user(Role.DIRECTOR, username="boss")
        quote = services.quote_submit(quote=_quote(boss), actor=boss)
        with pytest.raises(PermissionDenied, match="own quote"):
            services.quote_decide(quote=quote, actor=boss, approve=True)

    def test_sending_back_needs_a_comment_and_returns_to_draft(self, manager, director, settings):
        settings.OPPORTUNITIES_DISCOUNT_LIMIT_PERCENT = "5"
        quote = services.quote_submit(quote=_quote(manager), actor=manager)
        with pytest.raises(ValidationError, match="Say why"):
            services.quote_decide(quote=quote, actor=director, approve=False)
        quote = services.quote_decide(quote=quote, actor=director, approve=False, comment="Too deep")
        assert quote.status == Quote.Status.DRAFT


class TestQuoteToContract:
    def test_accepting_drafts_a_contract_with_the_total_and_links_it(self, manager):
        quote = services.quote_submit(quote=_quote(manager), actor=manager)
        quote = services.quote_mark_sent(quote=quote, actor=manager)
        start = timezone.localdate()
        quote = services.quote_accept(
            quote=quote, actor=manager, start_on=start, end_on=start + datetime.timedelta(days=365)
        )
        contract = quote.contract
        assert quote.status == Quote.Status.ACCEPTED and quote.decided_on == timezone.localdate()
        assert contract.status == Contract.Status.DRAFT
        assert contract.value == Decimal("6049.97")
        assert contract.account == quote.opportunity.account
        assert contract.owner == quote.opportunity.owner
        assert quote.number in contract.notes
        assert Contract.objects.get(pk=contract.pk).quote == quote

    def test_an_expired_quote_cannot_be_accepted(self, manager):
        quote = services.quote_submit(quote=_quote(manager), actor=manager)
        Quote.objects.filter(pk=quote.pk).update(valid_until=timezone.localdate() - datetime.timedelta(days=1))
        with pytest.raises(ValidationError, match="expired"):
            services.quote_accept(quote=quote, actor=manager, start_on=CLOSE, end_on=CLOSE)
        assert not Contract.objects.exists()

    def test_a_bad_contract_date_changes_nothing(self, manager):
        quote = services.quote_submit(quote=_quote(manager), actor=manager)
        with pytest.raises(ValidationError, match="end date cannot be before"):
            services.quote_accept(quote=quote, actor=manager, start_on=CLOSE, end_on=CLOSE - datetime.timedelta(days=1))
        quote.refresh_from_db()
        assert quote.status == Quote.Status.APPROVED and quote.contract is None


class TestQuoteRevisions:
    def test_a_revision_copies_the_lines_and_supersedes_the_old(self, manager):
        old = services.quote_submit(quote=_quote(manager), actor=manager)
        new = services.quote_revise(quote=old, actor=manager)
        old.refresh_from_db()
        assert old.status == Quote.Status.SUPERSEDED
        assert new.number == old.number and new.revision == 2 and new.previous == old
        assert new.status == Quote.Status.DRAFT and new.total == old.total
        assert new.lines.count() == 2
        with pytest.raises(ValidationError):
            services.quote_revise(quote=old, actor=manager)

    def test_only_a_draft_is_edited(self, manager):
        quote = services.quote_submit(quote=_quote(manager), actor=manager)
        with pytest.raises(ValidationError, match="Only a draft quote is edited"):
            services.quote_update(quote=quote, actor=manager, expected_version=None, valid_until=CLOSE, lines=LINES)


def test_default_stages_are_the_buying_process():
    stages = default_stages()
    assert [s.code for s in sorted(stages.values(), key=lambda s: s.order)] == [
        "need",
        "project",
        "information",
        "screening",
        "evaluation",
        "decision",
        "won",
        "lost",
    ]
    assert [stages[c].probability for c in ("need", "evaluation", "decision", "won", "lost")] == [10, 60, 80, 100, 0]


def test_factory_opportunity_has_a_first_change():
    opp = OpportunityFactory()
    assert opp.stage_changes.count() == 1


def test_default_stage_names_are_translated_and_renamed_ones_kept():
    from django.utils import translation

    won = stage("won")
    with translation.override("zh-hans"):
        assert str(won.label) == "赢单"
        assert str(stage("need").label) == "需求确认"
        won.name = "Signed"
        assert won.label == "Signed"


def test_a_manager_cannot_hand_an_opportunity_to_a_stranger(manager, other_manager, director):
    with pytest.raises(ValidationError, match="cannot make this person the owner"):
        _open(manager, owner=other_manager)
    opp = _open(director, account=AccountFactory(owner=manager), owner=other_manager)
    assert opp.owner == other_manager
    with pytest.raises(ValidationError, match="cannot make this person the owner"):
        services.opportunity_update(
            opportunity=opp, actor=manager, expected_version=opp.version, data={"owner": director}
        )
