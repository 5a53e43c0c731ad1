"""The schemathesis run of test_schemathesis.py as an account manager (in its own file, so that
the two runs go to different test workers)."""

import pytest

from users.roles import Role

from .test_schemathesis import HYPOTHESIS, LENIENT, _token_header, no_refusal_the_schema_could_state, schema

pytestmark = [pytest.mark.contract, pytest.mark.django_db]


@pytest.fixture
def manager_header():
    return _token_header(Role.MANAGER)


@schema.parametrize()
@HYPOTHESIS
def test_every_operation_answers_a_manager_as_documented(case, manager_header):
    case.call_and_validate(
        headers=manager_header, excluded_checks=LENIENT, additional_checks=[no_refusal_the_schema_could_state]
    )
