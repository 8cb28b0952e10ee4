"""The ingest service: agencies publish CloudEvents over HTTP.

Job: authenticate each request with a bearer token of the agency, check its size, content type
and rate, validate every event against the contract (`parse_structured`, direct-identifier guard
included) and check that its `agency` and `source` belong to the token's agency; then produce
the accepted events to `mixflow.events.inbound` (structured mode, key = person_ref, the
request's `traceparent` as a header) and answer `202` only once the broker acknowledged them.

Consumes: HTTP requests (`POST /v1/events`, `POST /v1/events:batch`). Produces: records on
`mixflow.events.inbound`; the router validates them again and de-duplicates re-sent events.

Must not: accept anything before the broker acknowledged it, echo a rejected value back, answer
5xx other than 503 (broker unavailable, retry), or route, persist or de-duplicate events itself
(the router is the one choke point of the HTTP and Kafka paths). `client.py` is the small
client agencies can reuse; it imports nothing else of this package's server side.
"""
