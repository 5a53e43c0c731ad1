import pytest

from service_requests.models import Escalation
from service_requests.tasks import sweep_escalations
from tests.accounts.factories import AccountFactory

from .conftest import local

pytestmark = pytest.mark.django_db


def test_the_sweep_task_escalates_once(at, benefits, make_user):
    from service_requests import services
    from users.roles import Role

    agent = make_user(Role.SERVICE, username="agent-task")
    with at(local(2026, 11, 30, 9, 0)):
        services.request_open(actor=agent, account=AccountFactory(tier="vip"), subject="Down")
    with at(local(2026, 11, 30, 12, 0)):
        first = sweep_escalations()
        second = sweep_escalations()
    assert first >= 1 and second == 0
    assert Escalation.objects.filter(level="critical").count() == 1
