"""The casework service: persists routing decisions as cases and referrals, and serves them.

Consumes `mixflow.decisions` (one `DecisionV1` per arrival or return) and
`mixflow.referral-updates` (CloudEvents `org.mixflow.referral-update.v1`, structured or binary
mode). Writes cases, referrals and timelines in batched, idempotent transactions; a return of a
known person continues their case; a household's cases are linked. Produces
`mixflow.cases.changes` and SLA breaches on `mixflow.alerts` through a transactional outbox, and
refused updates to `mixflow.events.deadletter` with the reason. Serves the cases API (cases,
referrals, timelines, status updates, the service directory) to caseworkers and admins.

It must not route events, call other services, or publish a change before the transaction that
made it has committed; offsets are committed only after that commit.
"""
