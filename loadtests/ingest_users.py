"""Agencies that publish through the HTTP ingest API: one event per request, or batches.

`POST /v1/events` takes one structured-mode CloudEvent, `POST /v1/events:batch` a JSON array
(all or nothing); both answer 202 once the broker acknowledged. The publisher token of the
stack (agency ITA-MOI) is used, so events are stamped with that agency. A 429 is the token's
rate limit (`MIXFLOW_API__INGEST_RATE_PER_S`): raise it on the stack for capacity runs.
"""

import os

import orjson
from locust import FastHttpUser, between, task
from population import EventStream, base_url, stack_settings, token

AGENCY = os.environ.get("MIXFLOW_LOADTEST_AGENCY", "ITA-MOI")
BATCH = int(os.environ.get("MIXFLOW_LOADTEST_BATCH", "100"))
JSON = "application/cloudevents+json"
BATCH_JSON = "application/cloudevents-batch+json"


class IngestUser(FastHttpUser):
    abstract = True
    stream = EventStream(AGENCY)

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.host = self.host or base_url(stack_settings().api.ingest_port)
        super().__init__(*args, **kwargs)
        self.auth = {"Authorization": f"Bearer {token('publisher')}"}


class AgencyHttpUser(IngestUser):
    """A registration desk sending each event as it is recorded."""

    weight = 3
    wait_time = between(0.05, 0.15)

    @task
    def post_event(self) -> None:
        body = orjson.dumps(self.stream.next()).decode()
        self.client.post("/v1/events", data=body, headers={**self.auth, "Content-Type": JSON})


class AgencyBatchUser(IngestUser):
    """An agency system uploading what it registered since its last upload."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def post_batch(self) -> None:
        body = orjson.dumps(self.stream.take(BATCH)).decode()
        self.client.post(
            "/v1/events:batch",
            data=body,
            headers={**self.auth, "Content-Type": BATCH_JSON},
            name=f"/v1/events:batch ({BATCH} events)",
        )
