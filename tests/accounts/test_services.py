import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import services
from accounts.models import Account, AccountEvent, Contact, Feedback, Transaction
from core.locking import StaleVersionError
from tests.accounts.factories import AccountFactory, ContactFactory, FeedbackFactory, TransactionFactory
from users.roles import Role


@pytest.mark.django_db
class TestAccountCreate:
    def test_assigns_a_number_and_records_the_event(self, manager):
        account = services.account_create(actor=manager, name="华信科技有限公司", owner=manager)
        assert account.number == f"KA{account.pk:08d}"
        assert account.status == Account.Status.PROSPECT
        assert account.status_changed_on == timezone.localdate()
        assert AccountEvent.objects.filter(account=account, kind="account.created", actor=manager).exists()
        assert account.history.count() >= 1

    def test_invalid_phone_is_refused_and_nothing_is_saved(self, manager):
        with pytest.raises(ValidationError, match="Enter a valid phone number") as exc:
            services.account_create(actor=manager, name="X", phone="12")
        assert "phone" in exc.value.message_dict
        assert Account.objects.count() == 0


@pytest.mark.django_db
class TestAccountUpdate:
    def test_second_save_with_a_stale_version_is_refused(self, manager):
        """Two people open version 1; the first save wins, the second is refused."""
        account = AccountFactory(owner=manager)
        first = Account.objects.get(pk=account.pk)
        second = Account.objects.get(pk=account.pk)
        services.account_update(account=first, actor=manager, expected_version=1, data={"name": "First"})
        with pytest.raises(StaleVersionError, match="Someone else changed this record"), transaction.atomic():
            services.account_update(account=second, actor=manager, expected_version=1, data={"name": "Second"})
        account.refresh_from_db()
        assert account.name == "First"
        assert account.version == 2

    def test_status_change_is_dated_and_on_the_timeline(self, manager):
        account = AccountFactory(owner=manager, status=Account.Status.ACTIVE)
        services.account_update(
            account=account, actor=manager, expected_version=1, data={"status": Account.Status.DORMANT}
        )
        account.refresh_from_db()
        assert account.status_changed_on == timezone.localdate()
        event = AccountEvent.objects.get(account=account, kind="account.status_changed")
        assert event.data == {"old": "active", "new": "dormant"}

    def test_group_cycles_are_refused(self, manager):
        head = AccountFactory(owner=manager)
        child = AccountFactory(owner=manager, parent=head)
        with pytest.raises(ValidationError, match="cannot belong to itself"):
            services.account_update(account=head, actor=manager, expected_version=1, data={"parent": child})
        head.refresh_from_db()
        assert head.parent_id is None

    def test_fields_outside_the_editable_list_are_refused(self, manager):
        account = AccountFactory(owner=manager)
        with pytest.raises(ValidationError, match="This field cannot be changed here."):
            services.account_update(account=account, actor=manager, expected_version=1, data={"tier": "vip"})


@pytest.mark.django_db
class TestArchive:
    def test_archive_keeps_the_record(self, manager):
        account = AccountFactory(owner=manager)
        services.account_archive(account=account, actor=manager, reason="Merged")
        account.refresh_from_db()
        assert account.is_archived and account.archived_at
        assert Account.objects.filter(pk=account.pk).exists()
        services.account_restore(account=account, actor=manager)
        account.refresh_from_db()
        assert not account.is_archived

    def test_head_with_live_subsidiaries_cannot_be_archived(self, manager):
        head = AccountFactory(owner=manager)
        AccountFactory(owner=manager, parent=head)
        with pytest.raises(ValidationError, match="subsidiaries"):
            services.account_archive(account=head, actor=manager)


@pytest.mark.django_db
class TestContacts:
    def test_only_one_primary_contact(self, manager):
        account = AccountFactory(owner=manager)
        first = services.contact_create(account=account, actor=manager, name="王伟", is_primary=True)
        second = services.contact_create(account=account, actor=manager, name="李娜", is_primary=True)
        first.refresh_from_db()
        assert not first.is_primary and second.is_primary

    def test_invalid_birthday_is_refused(self, manager):
        account = AccountFactory(owner=manager)
        with pytest.raises(ValidationError, match="That day does not exist in that month."):
            services.contact_create(account=account, actor=manager, name="A", birth_month=2, birth_day=30)
        with pytest.raises(ValidationError, match="Give both the month and the day of the birthday."):
            services.contact_create(account=account, actor=manager, name="B", birth_month=2)
        assert Contact.objects.count() == 0

    def test_stale_contact_save_is_refused(self, manager):
        contact = ContactFactory(account__owner=manager)
        services.contact_update(contact=contact, actor=manager, expected_version=1, data={"title": "CIO"})
        with pytest.raises(StaleVersionError, match="Someone else changed this record"), transaction.atomic():
            services.contact_update(
                contact=Contact.objects.get(pk=contact.pk), actor=manager, expected_version=1, data={"title": "CFO"}
            )


@pytest.mark.django_db
class TestTransactionsPush:
    @pytest.fixture
    def erp(self, make_user):
        return make_user(Role.FINANCE, username="erp", is_service_account=True)

    def rows(self, account, refs):
        return [
            {
                "account": account,
                "kind": "purchase",
                "amount": Decimal("100.00"),
                "occurred_at": timezone.now(),
                "source_system": "erp",
                "external_ref": ref,
            }
            for ref in refs
        ]

    def test_pushing_the_same_rows_twice_creates_them_once(self, manager, erp):
        account = AccountFactory(owner=manager)
        first = services.transactions_push(actor=erp, rows=self.rows(account, ["a", "b"]))
        second = services.transactions_push(actor=erp, rows=self.rows(account, ["a", "b", "c"]))
        assert first == {"created": ["a", "b"], "existing": []}
        assert second == {"created": ["c"], "existing": ["a", "b"]}
        assert Transaction.objects.filter(source_system="erp").count() == 3

    def test_duplicates_within_one_push_are_stored_once(self, manager, erp):
        account = AccountFactory(owner=manager)
        result = services.transactions_push(actor=erp, rows=self.rows(account, ["x", "x"]))
        assert result == {"created": ["x"], "existing": ["x"]}

    def test_more_than_the_limit_is_refused(self, manager, erp):
        account = AccountFactory(owner=manager)
        with pytest.raises(ValidationError, match="At most 1000 rows per request."):
            services.transactions_push(actor=erp, rows=self.rows(account, [str(i) for i in range(1001)]))
        assert Transaction.objects.count() == 0

    def test_refund_subtracts(self, manager):
        txn = TransactionFactory(kind=Transaction.Kind.REFUND, amount=Decimal("30.00"))
        assert txn.signed_amount == Decimal("-30.00")

    def test_amount_must_be_positive(self, manager):
        account = AccountFactory(owner=manager)
        with pytest.raises(ValidationError, match="greater than or equal to 0.01"):
            services.transaction_record(
                actor=manager, account=account, kind="purchase", amount=Decimal("0"), occurred_at=timezone.now()
            )


@pytest.mark.django_db
class TestFeedback:
    def test_feedback_goes_on_the_timeline(self, service_agent):
        account = AccountFactory()
        services.feedback_create(
            account=account,
            actor=service_agent,
            received_on=datetime.date(2026, 5, 1),
            satisfaction=2,
            suggestion="Too slow",
        )
        event = AccountEvent.objects.get(account=account, kind="feedback.received")
        assert event.data["satisfaction"] == 2

    def test_status_moves_forward_only(self, service_agent):
        feedback = FeedbackFactory()
        services.feedback_set_status(feedback=feedback, actor=service_agent, status=Feedback.Status.DONE)
        with pytest.raises(ValidationError, match="cannot go from"):
            services.feedback_set_status(feedback=feedback, actor=service_agent, status=Feedback.Status.NEW)

    def test_feedback_dated_in_the_future_is_refused(self, service_agent):
        account = AccountFactory()
        with pytest.raises(ValidationError, match="future"):
            services.feedback_create(
                account=account,
                actor=service_agent,
                received_on=timezone.localdate() + datetime.timedelta(days=1),
                satisfaction=3,
            )
        assert not Feedback.objects.exists()

    def test_feedback_on_a_callback_counts_as_contact_but_a_survey_does_not(self, service_agent):
        account = AccountFactory(last_contact_at=None)
        services.feedback_create(
            account=account,
            actor=service_agent,
            received_on=timezone.localdate() - datetime.timedelta(days=2),
            satisfaction=4,
            channel=Feedback.Channel.SURVEY,
        )
        account.refresh_from_db()
        assert account.last_contact_at is None
        services.feedback_create(
            account=account,
            actor=service_agent,
            received_on=timezone.localdate(),
            satisfaction=4,
            channel=Feedback.Channel.CALLBACK,
        )
        account.refresh_from_db()
        assert account.last_contact_at is not None
        assert timezone.localdate(account.last_contact_at) == timezone.localdate()
        assert account.last_contact_at <= timezone.now()

    def test_satisfaction_outside_1_to_5_is_refused(self, service_agent):
        with pytest.raises(ValidationError, match="less than or equal to 5"):
            services.feedback_create(
                account=AccountFactory(), actor=service_agent, received_on=datetime.date(2026, 5, 1), satisfaction=6
            )


def test_contact_born_in_a_future_year_is_refused(db):
    account = AccountFactory()
    with pytest.raises(ValidationError, match="future"):
        services.contact_create(account=account, actor=None, name="Later", birth_year=timezone.localdate().year + 1)
    assert not Contact.objects.filter(name="Later").exists()


def test_competitor_event_reads_in_the_readers_language(db, manager):
    from django.utils import translation

    from accounts.models import Competitor
    from accounts.timeline import render_event

    account = AccountFactory(owner=manager)
    competitor = Competitor.objects.create(name="China Telecom")
    services.competitor_presence_save(account=account, actor=manager, competitor=competitor, strength="weak")
    event = AccountEvent.objects.get(account=account, kind="competitor.noted")
    assert render_event(event)["text"] == "China Telecom present (Weak)."
    with translation.override("zh-hans"):
        rendered = render_event(event)
        assert "Weak" not in rendered["text"] and "弱" in rendered["text"]
        assert str(rendered["label"]) != "Competitor"


def test_touch_contact_only_moves_forward(db):
    account = AccountFactory()
    later = timezone.now()
    services.account_touch_contact(account_id=account.pk, at=later)
    services.account_touch_contact(account_id=account.pk, at=later - datetime.timedelta(days=3))
    account.refresh_from_db()
    assert account.last_contact_at == later


@pytest.mark.django_db
class TestSearchColumn:
    def test_contacts_names_and_phone_digits_are_searchable_and_archiving_removes_them(self, manager):
        from accounts.selectors import account_search_q

        account = services.account_create(actor=manager, name="Apex Systems", owner=manager)
        contact = services.contact_create(account=account, actor=manager, name="王小明", phone="138 0013 8000")

        def found(term):
            return Account.objects.filter(account_search_q(term)).exists()

        assert found("apex") and found("APEX") and found(account.number.lower()) and found("王小明")
        assert found("138 0013") and found("13800138000")
        services.contact_archive(contact=contact, actor=manager)
        assert not found("王小明")
        services.account_update(account=account, actor=manager, expected_version=1, data={"name": "Vertex"})
        assert found("vertex") and not found("apex")


def test_feedback_recorded_today_keeps_its_time_on_the_timeline(db, manager):
    account = AccountFactory(owner=manager)
    before = timezone.now()
    services.feedback_create(
        account=account, actor=manager, received_on=timezone.localdate(), channel="phone", satisfaction=4
    )
    event = AccountEvent.objects.get(account=account, kind="feedback.received")
    assert before <= event.occurred_at <= timezone.now()  # not 12:00 of the day
    earlier = timezone.localdate() - datetime.timedelta(days=2)
    services.feedback_create(account=account, actor=manager, received_on=earlier, channel="phone", satisfaction=3)
    event = AccountEvent.objects.filter(account=account, kind="feedback.received").order_by("occurred_at").first()
    assert timezone.localtime(event.occurred_at).hour == 12  # an earlier day's time is not known: its noon
