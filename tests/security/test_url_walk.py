"""Issue 8, "checks that keep it so": every URL pattern and router route that takes a primary key
answers another account manager's object with 404, for GET and for every write method.

Generic, so a new app's routes are covered the day they are added: one object of EVERY
customer-data model is made with the same primary key, owned by another manager; each route gets
that key, whatever model it looks up. A model with a visibility rule but no factory in
`registry.CUSTOMER_DATA_FACTORIES` fails the walk, naming the model."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.accounts.factories import AccountFactory
from users.visibility import _RULES

from .registry import CUSTOMER_DATA_FACTORIES, NOT_CUSTOMER_DATA, SAMPLE_KWARGS

pytestmark = pytest.mark.django_db

PK = 987_654
MISSING = 987_655
WRITE_METHODS = ("post", "put", "patch", "delete")


def pk_routes():
    """(url name with namespace, primary-key kwargs, other kwargs) of every route with a primary key."""

    def walk(resolver, namespace=None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                ns = ":".join(filter(None, [namespace, pattern.namespace]))
                yield from walk(pattern, ns or None)
            elif isinstance(pattern, URLPattern):
                yield namespace, pattern

    seen = set()
    for namespace, pattern in walk(get_resolver()):
        if namespace == "admin":  # Django admin: staff only; account managers are not staff
            continue
        kwargs = list(pattern.pattern.regex.groupindex)
        if not kwargs or "format" in kwargs:  # DRF's ".json" twins of the same routes
            continue
        keys = [k for k in kwargs if k == "pk" or k.endswith("_id") or k.endswith("_pk")]
        if not keys:  # no primary key (an export's format): nothing to walk
            continue
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        if name not in seen:
            seen.add(name)
            yield name, keys, [k for k in kwargs if k not in keys]


ROUTES = sorted(pk_routes())


def test_every_customer_data_model_has_a_factory():
    missing = sorted(set(_RULES.keys()) - set(CUSTOMER_DATA_FACTORIES))
    assert missing == [], f"add a factory for {missing} to tests/security/registry.py"


def test_the_walk_finds_the_routes(manager, api_for, client_for):
    names = {name for name, _keys, _other in ROUTES}
    assert {"account-detail", "contact-detail", "accounts:detail", "accounts:panel", "tiering:override"} <= names
    own = AccountFactory(id=PK, owner=manager)  # the same key on the manager's own account opens
    assert api_for(manager).get(reverse("account-detail", kwargs={"pk": own.pk})).status_code == 200
    assert client_for(manager).get(reverse("accounts:detail", kwargs={"pk": own.pk})).status_code == 200


@pytest.fixture
def foreign_objects(other_manager):
    """One object of every customer-data model, primary key PK, on another manager's account."""
    account = AccountFactory(id=PK, owner=other_manager)
    return {label: make(account=account, pk=PK) for label, make in CUSTOMER_DATA_FACTORIES.items()}


def call(client, method, url):
    if url.startswith("/api/"):
        return getattr(client, method)(url, {}, format="json")
    return getattr(client, method)(url)


@pytest.mark.parametrize(("name", "keys", "other"), ROUTES, ids=[route[0] for route in ROUTES])
def test_another_managers_object_answers_404(name, keys, other, foreign_objects, manager, api_for, client_for):
    if name in NOT_CUSTOMER_DATA:
        pytest.skip(NOT_CUSTOMER_DATA[name])
    unknown = [k for k in other if k not in SAMPLE_KWARGS]
    assert not unknown, f"add a sample value for {unknown} (route {name}) to tests/security/registry.py"
    extra = {k: SAMPLE_KWARGS[k] for k in other}
    url = reverse(name, kwargs={**dict.fromkeys(keys, PK), **extra})
    missing_url = reverse(name, kwargs={**dict.fromkeys(keys, MISSING), **extra})
    client = api_for(manager) if url.startswith("/api/") else client_for(manager)
    answers = {}
    for method in ("get", *WRITE_METHODS):
        status = call(client, method, url).status_code
        answers[method] = status
        if status == 403:
            # refused for the role, whatever the object: the same answer as for a missing one
            assert call(client, method, missing_url).status_code == 403, (name, method)
            continue
        assert status in (404, 405), f"{method.upper()} {url} answered {status} for another manager's object"
    assert 404 in answers.values() or set(answers.values()) <= {403, 405}, answers
