"""Issue 8: grants per model (4), the owner-and-team rule (5), what anonymous callers see (12),
the feedback contact oracle (15), rules in services (17), one permission style (19)."""

import datetime

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import Account, Competitor, Transaction
from tests.accounts.factories import AccountFactory, CompetitorFactory, ContactFactory
from tests.users.factories import TeamFactory
from users.roles import Role

pytestmark = pytest.mark.django_db


def txn_row(account, ref="INV-1"):
    return {
        "account": account.pk,
        "kind": "purchase",
        "amount": "100.00",
        "occurred_at": (timezone.now() - datetime.timedelta(days=1)).isoformat(),
        "source_system": "billing",
        "external_ref": ref,
    }


class TestGrantsPerModel:
    def test_a_manager_cannot_record_revenue(self, api_for, manager):
        """Revenue is written by finance and integrations, not by the manager it would promote."""
        account = AccountFactory(owner=manager)
        api = api_for(manager)
        assert api.post("/api/transactions/", txn_row(account), format="json").status_code == 403
        assert api.post("/api/transactions/bulk/", {"rows": [txn_row(account)]}, format="json").status_code == 403
        assert Transaction.objects.count() == 0
        assert api.get("/api/transactions/").status_code == 200  # still reads them

    def test_finance_records_revenue(self, api_for, finance_user):
        account = AccountFactory()
        assert api_for(finance_user).post("/api/transactions/", txn_row(account), format="json").status_code == 201

    def test_only_directors_and_admins_edit_the_competitor_list(self, api_for, manager, director):
        competitor = CompetitorFactory(name="Rival")
        api = api_for(manager)
        assert api.post("/api/competitors/", {"name": "New rival"}, format="json").status_code == 403
        assert api.patch(f"/api/competitors/{competitor.pk}/", {"notes": "x"}, format="json").status_code == 403
        assert api.get("/api/competitors/").status_code == 200
        assert api_for(director).post("/api/competitors/", {"name": "New rival"}, format="json").status_code == 201
        assert Competitor.objects.filter(name="New rival").count() == 1

    def test_a_manager_records_a_competitors_presence_at_their_account(self, api_for, manager):
        account, competitor = AccountFactory(owner=manager), CompetitorFactory()
        response = api_for(manager).post(
            "/api/competitor-presences/",
            {"account": account.pk, "competitor": competitor.pk, "strength": "strong"},
            format="json",
        )
        assert response.status_code == 201, response.json()


class TestOwnerAndTeamRule:
    def test_a_manager_cannot_drop_the_owner_over_the_api(self, api_for, manager):
        account = AccountFactory(owner=manager)
        response = api_for(manager).patch(
            f"/api/accounts/{account.pk}/", {"owner": None, "version": account.version}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["fields"]["owner"][0]["code"] == "owner_required"
        account.refresh_from_db()
        assert account.owner == manager

    def test_a_manager_cannot_move_an_account_to_another_team(self, api_for, manager, make_user):
        leader = make_user(Role.MANAGER, username="leader")
        TeamFactory(leader=leader, members=[manager])
        other_team = TeamFactory()
        account = AccountFactory(owner=manager)
        response = api_for(manager).patch(
            f"/api/accounts/{account.pk}/",
            {"owner": None, "team": other_team.pk, "version": account.version},
            format="json",
        )
        assert response.status_code == 400
        response = api_for(manager).patch(
            f"/api/accounts/{account.pk}/", {"team": other_team.pk, "version": account.version}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["fields"]["team"][0]["code"] == "team_not_allowed"
        # the team leader still sees it
        assert api_for(leader).get(f"/api/accounts/{account.pk}/").status_code == 200

    def test_a_manager_cannot_create_an_account_they_cannot_see(self, api_for, manager):
        response = api_for(manager).post(
            "/api/accounts/", {"name": "Orphan Co", "category": "high_value", "industry": "telecom"}, format="json"
        )
        assert response.status_code == 400
        assert "owner" in response.json()["fields"]
        assert not Account.objects.filter(name="Orphan Co").exists()

    def test_the_service_holds_the_rule_for_every_caller(self, manager, other_manager):
        account = AccountFactory(owner=manager)
        with pytest.raises(services.ValidationError, match="You cannot give this account to that account manager"):
            services.account_update(
                account=account, actor=manager, expected_version=account.version, data={"owner": other_manager}
            )
        with pytest.raises(services.ValidationError, match="Choose the account manager who owns this account"):
            services.account_create(actor=manager, name="X", category="high_value", industry="telecom")

    def test_a_director_may_assign_anyone(self, director, manager):
        account = services.account_create(
            actor=director, name="Y", category="high_value", industry="telecom", owner=manager
        )
        services.account_update(account=account, actor=director, expected_version=account.version, data={"owner": None})
        assert Account.objects.get(pk=account.pk).owner is None


class TestFeedbackContact:
    def test_another_accounts_contact_answers_like_a_missing_one(self, api_for, manager):
        """No oracle: a contact the caller cannot see is 'does not exist', like a missing id."""
        mine = AccountFactory(owner=manager)
        hidden = ContactFactory()  # another manager's account
        api = api_for(manager)

        def post(contact_id):
            body = {"account": mine.pk, "contact": contact_id, "satisfaction": 4, "received_on": "2026-11-01"}
            return api.post("/api/feedback/", body, format="json")

        hidden_answer, missing_answer = post(hidden.pk), post(hidden.pk + 10_000)
        assert hidden_answer.status_code == missing_answer.status_code == 400
        assert hidden_answer.json()["fields"]["contact"][0]["code"] == "does_not_exist"
        assert missing_answer.json()["fields"]["contact"][0]["code"] == "does_not_exist"

    def test_the_service_refuses_another_accounts_contact(self, manager):
        mine, theirs = AccountFactory(owner=manager), AccountFactory(owner=manager)
        contact = ContactFactory(account=theirs)
        with pytest.raises(services.ValidationError, match="Choose a contact of this account"):
            services.feedback_create(
                account=mine, actor=manager, contact=contact, satisfaction=3, received_on=timezone.localdate()
            )

    def test_the_service_refuses_moving_a_contact(self, manager):
        contact = ContactFactory(account=AccountFactory(owner=manager))
        other = AccountFactory(owner=manager)
        with pytest.raises(services.ValidationError, match="A contact cannot move to another account"):
            services.contact_update(
                contact=contact, actor=manager, expected_version=contact.version, data={"account": other}
            )


class TestAnonymous:
    def test_schema_and_docs_need_sign_in(self, client, api_client, manager, client_for):
        assert api_client.get("/api/schema/").status_code == 401
        docs = client.get("/api/docs/")
        assert docs.status_code == 302 and "/auth/login/" in docs["Location"]
        signed_in = client_for(manager)
        assert signed_in.get("/api/schema/").status_code == 200
        assert signed_in.get("/api/docs/").status_code == 200


class TestOnePermissionStyle:
    def test_no_is_staff_checks_and_no_permission_helpers_in_selectors(self):
        from pathlib import Path

        root = Path(__file__).resolve().parents[2]
        apps = [p for p in root.iterdir() if (p / "apps.py").exists()]
        offenders = []
        for app in apps:
            for path in app.rglob("*.py"):
                if "migrations" in path.parts:
                    continue
                text = path.read_text()
                if ".is_staff" in text:
                    offenders.append(f"{path.relative_to(root)}: is_staff")
                if path.name == "selectors.py" and ("def can_" in text or "has_crm_perm" in text):
                    offenders.append(f"{path.relative_to(root)}: permission helper in a selector")
                if "DjangoModelPermissions" in text or "call_service" in text:
                    offenders.append(f"{path.relative_to(root)}: a second permission or error style")
        assert offenders == []
