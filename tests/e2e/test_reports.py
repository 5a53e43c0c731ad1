"""The reports draw their charts in the browser, in English and in Chinese, under the CSP."""

import datetime

import pytest
from django.utils import timezone

from reports.registry import reports_in_order
from tests.accounts.factories import AccountFactory, TransactionFactory
from tests.users.factories import UserFactory
from users.roles import Role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_every_report_draws_its_charts_in_both_languages(sign_in, page, live_server):
    UserFactory(username="zhao", password="Pw-123456!", role=Role.DIRECTOR)
    manager = UserFactory(username="li", role=Role.MANAGER)
    for i, amount in enumerate(("9000.00", "3000.00", "500.00")):
        account = AccountFactory(owner=manager, name=f"Account {i}", revenue_12m=amount)
        TransactionFactory(account=account, amount=amount, occurred_at=timezone.now() - datetime.timedelta(days=3))
    problems = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    sign_in("zhao", "Pw-123456!")
    for language, heading in (("en", "Customer composition"), ("zh-hans", "客户构成")):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for report in reports_in_order():
            page.goto(f"{live_server.url}/reports/{report.name}/")
            page.wait_for_load_state("networkidle")
            canvases = page.locator("canvas[data-chart]")
            assert canvases.count() >= 1, report.name
            drawn = page.evaluate(
                "[...document.querySelectorAll('canvas[data-chart]')].every((c) => Chart.getChart(c) !== undefined)"
            )
            assert drawn, f"{report.name} ({language}): a chart was not drawn"
        page.goto(f"{live_server.url}/reports/composition/")
        assert heading in page.inner_text("[data-testid=report-title]")
    assert problems == []
