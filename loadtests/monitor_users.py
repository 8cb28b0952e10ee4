"""Monitoring teams reading the flows API: tables by dimension, HXL CSV exports, indicators.

They poll what the dashboard polls (`/flows/table`, `/flows/indicators`) with the stack's monitor
token; every answer is already suppressed, so the load is the read path of the flow history.
"""

from random import Random

from locust import FastHttpUser, between, task
from population import base_url, stack_settings, token

CUTS = (
    ("events", "nationality"),
    ("events", "country"),
    ("arrivals", "age_band"),
    ("referrals", "pathway"),
    ("referrals", "framework"),
    ("returns", "return_country"),
)


class MonitorUser(FastHttpUser):
    weight = 1
    wait_time = between(2, 5)

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.host = self.host or base_url(stack_settings().api.flows_port)
        super().__init__(*args, **kwargs)
        self.auth = {"Authorization": f"Bearer {token('monitor')}"}
        self.rng = Random()

    @task(4)
    def table(self) -> None:
        measure, dimension = self.rng.choice(CUTS)
        self.client.get(
            f"/flows/table?measure={measure}&granularity=hour&group_by={dimension}",
            headers=self.auth,
            name="/flows/table?measure&group_by",
        )

    @task(2)
    def indicators(self) -> None:
        self.client.get(
            "/flows/indicators?granularity=day", headers=self.auth, name="/flows/indicators"
        )

    @task(1)
    def export_csv(self) -> None:
        measure, dimension = self.rng.choice(CUTS)
        self.client.get(
            f"/flows/table?measure={measure}&granularity=day&group_by={dimension}&format=csv",
            headers=self.auth,
            name="/flows/table?format=csv",
        )
