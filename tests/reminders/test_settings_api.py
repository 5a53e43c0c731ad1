"""GET/PATCH /api/notifications/settings/ (issue 15): the caller reads and changes only their own
delivery settings — e-mail language, daily digest, channels per rule — through the same service as
the settings page; bad input is a 400 that changes nothing."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from reminders.models import ChannelChoice, Rule, UserSettings

pytestmark = pytest.mark.django_db

URL = "/api/notifications/settings/"


def channels_of(body) -> dict:
    return {c["rule"]: (c["in_app"], c["email"]) for c in body["channels"]}


def test_reads_the_defaults_then_my_choices(api_for, manager):
    body = api_for(manager).get(URL).json()
    assert (body["language"], body["email_digest"]) == ("", False)
    rules = {r.code: r for r in Rule.objects.all()}
    assert set(channels_of(body)) == set(rules)
    birthday = next(c for c in body["channels"] if c["rule"] == "birthday_today")
    assert birthday["label"] == "Contact birthdays today" and birthday["enabled"] is True
    assert channels_of(body)["birthday_today"] == (True, rules["birthday_today"].email_by_default)


def test_patch_changes_what_it_names_and_keeps_the_rest(api_for, manager):
    client = api_for(manager)
    ChannelChoice.objects.create(user=manager, rule="tier_changed", in_app=False, email=True)
    response = client.patch(
        URL,
        {"email_digest": True, "channels": [{"rule": "birthday_today", "in_app": True, "email": False}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["email_digest"] is True and body["language"] == ""
    assert channels_of(body)["birthday_today"] == (True, False)
    assert channels_of(body)["tier_changed"] == (False, True)  # not named: kept
    own = UserSettings.objects.get(user=manager)
    assert (own.language, own.email_digest) == ("", True)

    # a boolean left out keeps its value; the language alone
    client.patch(URL, {"channels": [{"rule": "tier_changed", "in_app": True}]}, format="json")
    body = client.patch(URL, {"language": "zh-hans"}, format="json").json()
    assert channels_of(body)["tier_changed"] == (True, True)
    assert (body["language"], body["email_digest"]) == ("zh-hans", True)


def test_only_my_own_settings_change(api_for, manager, other_manager):
    api_for(manager).patch(
        URL, {"channels": [{"rule": "birthday_today", "in_app": False, "email": False}]}, format="json"
    )
    assert not ChannelChoice.objects.filter(user=other_manager).exists()
    theirs = api_for(other_manager).get(URL).json()
    assert channels_of(theirs)["birthday_today"][0] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": [{"rule": "no_such_rule", "in_app": True, "email": True}]}, "channels"),
        ({"channels": [{"in_app": True, "email": True}]}, "channels"),
        (
            {
                "channels": [
                    {"rule": "birthday_today", "in_app": True, "email": True},
                    {"rule": "birthday_today", "in_app": False, "email": False},
                ]
            },
            "channels",
        ),
        ({"language": "fr"}, "language"),
        ({"email_digest": "perhaps"}, "email_digest"),
        ({"channels": "birthday_today"}, "channels"),
    ],
)
def test_bad_input_is_a_400_that_changes_nothing(api_for, manager, body, field):
    response = api_for(manager).patch(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()["fields"]), response.json()
    assert not ChannelChoice.objects.filter(user=manager).exists()
    assert not UserSettings.objects.filter(user=manager).exists()


def test_a_body_that_is_not_an_object_is_a_400(api_for, manager):
    assert api_for(manager).patch(URL, [1, 2], format="json").status_code == 400


def test_every_role_has_its_own_and_anonymous_callers_none(api_for, api_client, director, finance_user, service_agent):
    for user in (director, finance_user, service_agent):
        assert api_for(user).get(URL).status_code == 200
    assert api_client.get(URL).status_code in (401, 403)
    assert api_client.patch(URL, {"email_digest": True}, format="json").status_code in (401, 403)


def test_put_and_post_are_not_offered(api_for, manager):
    client = api_for(manager)
    assert client.put(URL, {}, format="json").status_code == 405
    assert client.post(URL, {}, format="json").status_code == 405


def test_documented_in_the_openapi_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operations = schema["paths"]["/api/notifications/settings/"]
    assert set(operations) >= {"get", "patch"} and "put" not in operations
    assert (
        "PatchedReminderSettings" in operations["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    )
    component = schema["components"]["schemas"]["ReminderSettings"]
    assert {"language", "email_digest", "channels"} <= set(component["properties"])
