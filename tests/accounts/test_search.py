"""The top bar's search: accounts, contacts and phone numbers, caller-ID style."""

import pytest
from django.urls import reverse

from accounts import services
from accounts.search import normalise_term, phone_key
from accounts.selectors import account_quick_search
from core.search import register_search_provider, search_everything
from tests.accounts.factories import AccountFactory, ContactFactory
from users.visibility import manager_scope


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("+86 138-0013-8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("138 0013 8000", "13800138000"),
        ("(010) 6512-3456", "1065123456"),
        ("+86 10 6512 3456", "1065123456"),
        ("010-65123456", "1065123456"),
        ("", ""),
    ],
)
def test_phone_key_drops_country_code_spaces_dashes_and_trunk_zero(written, key):
    assert phone_key(written) == key


def test_a_phone_term_is_looked_up_as_its_national_digits():
    assert normalise_term("+86 138-0013") == "1380013"
    assert normalise_term(" 华信 ") == "华信"
    assert normalise_term("KA0001") == "ka0001"


@pytest.mark.django_db
class TestQuickSearch:
    def test_the_accounts_own_main_phone_is_found_however_it_is_written(self, manager):
        account = services.account_create(actor=manager, name="恒通能源", owner=manager, phone="010-6512 3456")
        for typed in ("+86 10 6512 3456", "01065123456", "6512-3456", "(010) 6512"):
            hits = account_quick_search(user=manager, term=typed)
            assert [(h.title, h.url, h.phone, str(h.kind)) for h in hits] == [
                ("恒通能源", account.get_absolute_url(), "010-6512 3456", "Main phone")
            ], typed

    def test_a_contacts_number_names_the_contact_like_caller_id(self, manager):
        account = AccountFactory(owner=manager, name="华信银行")
        ContactFactory(account=account, name="陈经理", title="采购总监", phone="")
        services.contact_create(account=account, actor=manager, name="李工", title="IT", phone="138 0013 8000")
        [hit] = account_quick_search(user=manager, term="+86 138-0013-8000")
        assert (hit.title, hit.phone, str(hit.kind)) == ("华信银行", "138 0013 8000", "Contact")
        assert hit.detail.startswith("李工 · IT")
        [hit] = account_quick_search(user=manager, term="陈经理")
        assert hit.detail.startswith("陈经理 · 采购总监") and hit.phone == ""

    def test_only_what_the_user_may_see_and_no_archived_accounts(self, manager, other_manager):
        mine = services.account_create(actor=manager, name="Apex Mine", owner=manager)
        services.account_create(actor=other_manager, name="Apex Theirs", owner=other_manager)
        gone = services.account_create(actor=manager, name="Apex Gone", owner=manager)
        services.account_archive(account=gone, actor=manager, reason="")
        assert [h.title for h in account_quick_search(user=manager, term="apex")] == [mine.name]

    def test_queries_stay_fixed_however_many_accounts_match(self, manager, django_assert_max_num_queries):
        for i in range(12):
            account = AccountFactory(owner=manager, name=f"Delta {i}")
            services.contact_create(account=account, actor=manager, name=f"Delta contact {i}", phone="")
        manager_scope(manager)  # the teams, read once per request (kept in the shared cache between)
        with django_assert_max_num_queries(3):
            hits = search_everything(user=manager, term="delta", limit=8)
        assert len(hits) == 8


def test_a_second_provider_with_the_same_key_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        register_search_provider(key="accounts", order=1, search=lambda **kw: [])


@pytest.mark.django_db
class TestSearchView:
    def test_fragment_for_htmx_and_a_page_without_js(self, client, manager):
        account = services.account_create(actor=manager, name="恒通能源", owner=manager, phone="13800138000")
        client.force_login(manager)
        fragment = client.get(reverse("search"), {"q": "138 0013"}, headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
        assert account.get_absolute_url() in fragment.content.decode()
        page = client.get(reverse("search"), {"q": "138 0013"})
        assert "<html" in page.content.decode() and "恒通能源" in page.content.decode()
        assert "Nothing found" in client.get(reverse("search"), {"q": "zzzz"}).content.decode()

    def test_another_managers_account_is_not_found(self, client, manager, other_manager):
        services.account_create(actor=other_manager, name="Hidden Co", owner=other_manager, phone="13900001111")
        client.force_login(manager)
        body = client.get(reverse("search"), {"q": "13900001111"}).content.decode()
        assert "Hidden Co" not in body and "Nothing found" in body

    def test_signed_out_users_are_sent_to_sign_in(self, client):
        assert client.get(reverse("search"), {"q": "abc"}).status_code == 302
