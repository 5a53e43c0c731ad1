"""Locust profile of mixed traffic (run by `python -m bench.load`, which prepares the data,
starts gunicorn and prints the results; do not import this module from Django code: Locust
patches the standard library with gevent).

Each simulated user signs in once and then sends requests at a fixed rate
(`constant_throughput`), so users x rate is the arrival rate however fast the server answers.
Nine requests in ten read (lists, search, 360° pages, dashboard, tier overview, API lists);
one in ten writes (a revenue record pushed over the API with a token, or a feedback entry).
"""

import itertools
import os
import random
import re
import uuid
from datetime import UTC, datetime

from locust import HttpUser, constant_throughput, task

RATE_PER_USER = float(os.environ.get("LOAD_RATE_PER_USER", "0.5"))
PASSWORD = os.environ["DEMO_PASSWORD"]
TOKEN = os.environ["LOAD_API_TOKEN"]
USERNAMES = os.environ.get("LOAD_USERS", "director,manager,wang.wei,chen.jie").split(",")
SEARCH_TERMS = ["a", "科技", "group", "KA0000", "华"]
_user_names = itertools.cycle(USERNAMES)


class CrmUser(HttpUser):
    wait_time = constant_throughput(RATE_PER_USER)

    def on_start(self):
        self.username = next(_user_names)
        page = self.client.get("/auth/login/", name="sign-in page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        self.client.post(
            "/auth/login/",
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else ""},
            headers={"Referer": self.host + "/auth/login/"},
            name="sign in",
        )
        ids = self.client.get("/api/accounts/?page_size=200&fields=id", name="api: account ids").json()
        self.account_ids = [row["id"] for row in ids.get("results", [])] or [1]

    # --- reads (9 in 10) ---
    @task(2)
    def account_list(self):
        self.client.get("/accounts/", name="account list")

    @task(1)
    def account_search(self):
        self.client.get(f"/accounts/?q={random.choice(SEARCH_TERMS)}", name="account list, search")

    @task(2)
    def account_360(self):
        self.client.get(f"/accounts/{random.choice(self.account_ids)}/", name="account 360")

    @task(1)
    def dashboard(self):
        self.client.get("/", name="dashboard")

    @task(1)
    def tier_overview(self):
        self.client.get("/tiers/", name="tier overview")

    @task(1)
    def api_accounts(self):
        self.client.get("/api/accounts/?tier=vip", name="api: accounts")

    @task(1)
    def api_transactions(self):
        self.client.get("/api/transactions/", name="api: transactions")

    # --- writes (1 in 10) ---
    @task(1)
    def push_revenue(self):
        self.client.post(
            "/api/transactions/",
            json={
                "account": random.choice(self.account_ids),
                "kind": "purchase",
                "amount": f"{random.randint(100, 99999)}.00",
                "occurred_at": datetime.now(UTC).isoformat(),
                "external_ref": f"load-{uuid.uuid4().hex}",
            },
            headers={"Authorization": f"Token {TOKEN}"},
            name="api: push revenue (write)",
        )
