"""Issue 8, "checks that keep it so": schemathesis' stateful run. The schema's links chain each
create to the operations on the object it made (read, update, delete, actions), so the state
machine walks create -> get/update/delete sequences against the WSGI application, as a director
(here) and as an account manager (test_schemathesis_stateful_manager.py). No step may be a server
error or disagree with the schema; the stateful checks run too (a created object can be read, a
deleted one is gone). The two lenient checks stay out, for the reasons in test_schemathesis.py.

The links are in the schema (core.schema.link_creates_to_their_objects: a create's `id` feeds
every operation under `<collection>{id}/`); `test_every_create_links_to_its_detail_operations`
keeps them complete. The walk follows those only: with the hundreds of links schemathesis would
infer besides (list -> detail, detail -> detail), a step would follow a create's link too rarely.

The stateless runs (test_schemathesis*.py) send every kind of wrong input. Here the walk is about
sequences, so requests are schema-valid (positive) and the references a body names (account,
contact, contract, ...) are pinned to live objects the caller can see: a create that names an
account that does not exist is a 400, and a walk of 400s would reach no detail operation.
`assert_the_walk_went_deep` keeps it so. Bounded: `SCHEMATHESIS_SCENARIOS` scenarios of at most
`SCHEMATHESIS_STEPS` steps, about a minute for each role."""

import os
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, Phase, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode, checks
from schemathesis.config._phases import InferenceConfig

from accounts.models import Account
from contracts.models import Contract
from opportunities.models import Opportunity
from tests.accounts.factories import AccountFactory, CompetitorFactory, ContactFactory
from tests.contracts.factories import ContractFactory
from tests.opportunities.factories import OpportunityFactory, default_stages
from tests.users.factories import DepartmentFactory, TeamFactory, UserFactory
from users.roles import Role

from .test_schemathesis import LENIENT, _token_header, no_refusal_the_schema_could_state

pytestmark = [pytest.mark.contract, pytest.mark.django_db]

# use_after_free expects a 404 for an object after its DELETE. Here DELETE archives (customer
# records are never deleted: accounts, contacts, opportunities), and the archived object stays
# readable by its id, with is_archived true, as the API documents; it leaves the lists. The other
# stateful check (a created object can be read) runs.

SCENARIOS = int(os.environ.get("SCHEMATHESIS_SCENARIOS", "50"))
STEPS = int(os.environ.get("SCHEMATHESIS_STEPS", "10"))

STATEFUL = settings(
    max_examples=SCENARIOS,
    stateful_step_count=STEPS,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    phases=[Phase.generate],
)

DETAIL = re.compile(r"^(?P<collection>/api/[\w-]+/)\{id\}/")


def _choose(value, pks: list):
    """One of `pks`, following the generated value (so that Hypothesis still varies it)."""
    return pks[zlib.crc32(repr(value).encode()) % len(pks)]


class World:
    """The objects a request body may name, made visible to the caller. The walk archives some of
    them (DELETE answers 204), so each request names live ones, making new ones when none is left."""

    def __init__(self, role):
        self.header = _token_header(role)
        self.user = Token.objects.get(key=self.header["Authorization"].split()[1]).user
        self.owner = self.user if role == Role.MANAGER else UserFactory(role=Role.MANAGER)
        self.team = TeamFactory(leader=self.owner, members=[self.owner])
        self.department = DepartmentFactory()
        self.stages = [stage.pk for stage in default_stages().values()]
        self.competitors = [CompetitorFactory().pk for _ in range(2)]
        self.accounts = []
        for _ in range(3):
            self._new_account()

    def _new_account(self) -> Account:
        account = AccountFactory(owner=self.owner, team=self.team)
        ContactFactory(account=account)
        ContractFactory(account=account, owner=self.owner)
        OpportunityFactory(account=account, owner=self.owner)
        self.accounts.append(account.pk)
        return account

    def _account(self, value) -> Account:
        live = list(Account.objects.filter(pk__in=self.accounts, is_archived=False).order_by("pk"))
        return _choose(value, live) if live else self._new_account()

    def pin(self, body: dict) -> None:
        """Point each reference the body names at a live object of the caller's."""
        account = self._account(body.get("account"))
        if body.get("account") is not None:
            body["account"] = account.pk
        if body.get("parent") is not None:
            body["parent"] = self._account(body["parent"]).pk
        if body.get("contact") is not None:
            contact = account.contacts.filter(is_archived=False).first() or ContactFactory(account=account)
            body["contact"] = contact.pk
        if body.get("contract") is not None:
            contract = Contract.objects.filter(account=account).first()
            body["contract"] = (contract or ContractFactory(account=account, owner=self.owner)).pk
        if body.get("opportunity") is not None:
            opportunity = Opportunity.objects.filter(account=account, is_archived=False).first()
            body["opportunity"] = (opportunity or OpportunityFactory(account=account, owner=self.owner)).pk
        choices = {
            "stage": self.stages,
            "competitor": self.competitors,
            "lost_to": self.competitors,
            "owner": [self.owner.pk],
            "assignee": [self.owner.pk],
            "team": [self.team.pk],
            "department": [self.department.pk],
        }
        for name, pks in choices.items():
            if body.get(name) is not None:
                body[name] = _choose(body[name], pks)
        if isinstance(body.get("competitors"), list):
            body["competitors"] = self.competitors[: len(body["competitors"])]


@dataclass
class Walk:
    """What the walk did: each (method, path template, status), and which created objects were
    then reached through a link (collection -> operations answered 2xx on an object it created)."""

    answers: Counter = field(default_factory=Counter)
    created: dict[str, set] = field(default_factory=dict)
    chained: dict[str, set] = field(default_factory=dict)


def run_walk(api_schema, world: World) -> Walk:
    walk = Walk()
    api_schema.config.generation.update(modes=[GenerationMode.POSITIVE], with_security_parameters=False)
    # the schema's own links only: with the hundreds schemathesis infers besides (list -> detail,
    # detail -> detail), a step follows a create's link too rarely to reach its object
    api_schema.config.phases.stateful.inference = InferenceConfig(algorithms=[])
    # lists are roots that lead nowhere without inferred links; the stateless runs walk them
    walked = api_schema.exclude(method="GET", path_regex=r"^/api/[\w-]+/$")

    class Workflow(walked.as_state_machine()):
        def setup(self):
            # each scenario starts from the same data, so that Hypothesis can replay one it failed
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def before_call(self, case):
            if isinstance(case.body, dict):
                world.pin(case.body)

        def get_call_kwargs(self, case):
            return {"headers": world.header}

        def after_call(self, response, case):
            super().after_call(response, case)
            method, path, status = case.method.upper(), case.operation.path, response.status_code
            walk.answers[(method, path, status)] += 1
            if method == "POST" and status == 201 and path.count("/") == 3:
                walk.created.setdefault(path, set()).add(response.json().get("id"))
            detail = DETAIL.match(path)
            if detail and 200 <= status < 300:
                collection = detail["collection"]
                if (case.path_parameters or {}).get("id") in walk.created.get(collection, ()):
                    walk.chained.setdefault(collection, set()).add(f"{method} {path}")

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                additional_checks=[*(additional_checks or []), no_refusal_the_schema_could_state],
                excluded_checks=[*LENIENT, checks.use_after_free],
                headers=world.header,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(settings=STATEFUL)
    return walk


def report(walk: Walk) -> str:
    lines = [f"{method} {path} -> {status}: {n}" for (method, path, status), n in sorted(walk.answers.items())]
    lines += [f"chained {collection}: {sorted(ops)}" for collection, ops in sorted(walk.chained.items())]
    return "\n".join(lines)


def test_every_create_links_to_its_detail_operations():
    """Each create (POST to a collection answering 201) links, in the schema, to every operation
    on the object it made (`<collection>{id}/...`), passing the answer's `id`."""
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    creates = [path for path, item in paths.items() if "201" in item.get("post", {}).get("responses", {})]
    assert "/api/accounts/" in creates and "/api/contracts/" in creates
    missing = []
    for collection in creates:
        links = paths[collection]["post"]["responses"]["201"].get("links", {})
        for path, item in paths.items():
            if not path.startswith(f"{collection}{{id}}/"):
                continue
            for method, operation in item.items():
                link = links.get(operation["operationId"], {})
                if link.get("parameters") != {"id": "$response.body#/id"}:
                    missing.append(f"POST {collection} -> {method.upper()} {path}")
    assert not missing, "no link from the create to:\n" + "\n".join(missing)


def assert_the_walk_went_deep(walk: Walk) -> None:
    """The walk is worth its time only if creates succeed and their links are followed: objects of
    several collections were created and then read, and at least one was then changed."""
    print(report(walk))  # shown when the test fails
    assert len(walk.chained) >= 3, report(walk)
    writes = {op for ops in walk.chained.values() for op in ops if not op.startswith("GET ")}
    assert writes, report(walk)


def test_a_director_walks_create_read_update_delete_as_documented(api_schema):
    assert_the_walk_went_deep(run_walk(api_schema, World(Role.DIRECTOR)))
