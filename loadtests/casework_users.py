"""Caseworkers of receiving agencies working through their referrals on the cases API.

A caseworker lists pending referrals, opens some of them and their cases (with the timeline),
and accepts a few. Two caseworkers may pick the same referral: the second one gets 409, which
is the API doing its job, so it counts as a success. The token is the stack's admin token
unless `MIXFLOW_LOADTEST_CASEWORKER_TOKEN` names a caseworker's (`mixflow tokens create`).
"""

import os
from random import Random

from locust import FastHttpUser, between, task
from population import base_url, stack_settings, tokens

PAGE = 20


def caseworker_token() -> str:
    return os.environ.get("MIXFLOW_LOADTEST_CASEWORKER_TOKEN") or tokens()["admin"]


class CaseworkerUser(FastHttpUser):
    weight = 2
    wait_time = between(1, 3)

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.host = self.host or base_url(stack_settings().api.cases_port)
        super().__init__(*args, **kwargs)
        self.auth = {"Authorization": f"Bearer {caseworker_token()}"}
        self.rng = Random()
        self.inbox: list[dict[str, str]] = []

    @task(4)
    def list_pending(self) -> None:
        with self.client.get(
            f"/v1/referrals?status=pending&limit={PAGE}",
            headers=self.auth,
            name="/v1/referrals?status=pending",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                items = response.json()["items"]
                self.inbox = [{"referral": r["referral_id"], "case": r["case_id"]} for r in items]

    @task(3)
    def read_referral(self) -> None:
        if self.inbox:
            item = self.rng.choice(self.inbox)
            self.client.get(
                f"/v1/referrals/{item['referral']}", headers=self.auth, name="/v1/referrals/[id]"
            )

    @task(2)
    def read_case(self) -> None:
        if self.inbox:
            item = self.rng.choice(self.inbox)
            self.client.get(f"/v1/cases/{item['case']}", headers=self.auth, name="/v1/cases/[id]")

    @task(1)
    def accept_referral(self) -> None:
        if not self.inbox:
            return
        item = self.inbox.pop(self.rng.randrange(len(self.inbox)))
        with self.client.post(
            f"/v1/referrals/{item['referral']}/status",
            json={"status": "accepted"},
            headers=self.auth,
            name="/v1/referrals/[id]/status",
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                response.success()  # another caseworker moved it first
