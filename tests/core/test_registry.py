"""Every registry refuses a second registration of the same key (core.registry)."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from core.demo import register_demo_step
from core.navigation import register_nav_item
from core.registry import Registry
from users.visibility import VisibilityRule, register_visibility


def test_a_registry_refuses_a_duplicate_key_and_keeps_the_first():
    registry = Registry("widget")
    registry.add("a", 1)
    with pytest.raises(ImproperlyConfigured, match="The widget 'a' is already registered"):
        registry.add("a", 2)
    assert registry["a"] == 1 and len(registry) == 1


def test_registered_adds_for_a_block_only():
    registry = Registry("widget")
    with registry.registered("b", 2):
        assert list(registry) == [2]
    assert "b" not in registry


def test_the_menu_refuses_a_second_entry_for_a_page():
    with pytest.raises(ImproperlyConfigured, match="menu item 'accounts:list' is already registered"):
        register_nav_item(order=99, label="Accounts again", url_name="accounts:list")


def test_demo_steps_refuse_a_second_step_of_a_name():
    with pytest.raises(ImproperlyConfigured, match="demo step 'accounts' is already registered"):
        register_demo_step(name="accounts", order=99, run=lambda context: None)


def test_visibility_refuses_a_second_rule_for_a_model():
    with pytest.raises(ImproperlyConfigured, match="visibility rule 'accounts.Account' is already registered"):
        register_visibility("accounts.Account", VisibilityRule(owner_path="owner"))
