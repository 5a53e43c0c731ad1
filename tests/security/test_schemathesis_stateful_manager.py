"""The stateful schemathesis walk of test_schemathesis_stateful.py as an account manager (in its
own file, so that the two walks go to different test workers)."""

import pytest

from users.roles import Role

from .test_schemathesis_stateful import World, assert_the_walk_went_deep, run_walk

pytestmark = [pytest.mark.contract, pytest.mark.django_db]


def test_a_manager_walks_create_read_update_delete_as_documented(api_schema):
    assert_the_walk_went_deep(run_walk(api_schema, World(Role.MANAGER)))
