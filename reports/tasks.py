"""Reports' periodic work."""

import datetime

from celery import shared_task

from core.jobs import period_key, run_periodic


@shared_task(bind=True, acks_late=True)
def keep_company_figures(self) -> str | None:
    """Every minute: the dashboard summary and coverage counts shared by everyone who sees every
    account, counted again (`reports.services.company_figures_refresh`). Keyed by the
    minute: a duplicate delivery or a second beat process counts nothing more."""
    from .services import company_figures_refresh

    _ran, result = run_periodic(
        "reports.keep_company_figures",
        period=period_key(every=datetime.timedelta(minutes=1)),
        fn=lambda lease: company_figures_refresh(),
        hostname=self.request.hostname or "",
    )
    return result
