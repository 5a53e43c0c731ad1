"""Timing pages in-process with Django's test client: the benches' shared measuring loop."""

import statistics
import time


def measure_pages(cases, *, requests: int) -> list[tuple]:
    """(label, median ms, p95 ms, queries, load, max ms) per case: server time in-process, after a
    warm-up request, with the most SQL queries any of the requests made. Every request makes its
    response (no response kept per user, core.response_cache): the time a page costs to make."""
    from django.test.utils import override_settings

    with override_settings(RESPONSE_CACHE_SECONDS=0):
        return [_measure(label, user, url, requests=requests) for label, user, url in cases]


def _measure(label, user, url, *, requests: int) -> tuple:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import http_bench

    client = Client()
    client.force_login(user, backend="users.auth.PersonBackend")
    client.get(url)  # warm up
    times, queries = [], []
    load = http_bench.load_average()
    for _ in range(requests):
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(ctx.captured_queries))
    times.sort()
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    return (label, statistics.median(times), p95, max(queries), load, times[-1])
