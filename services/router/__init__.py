"""The router service: validates inbound events and decides where each person is referred.

Consumes `mixflow.events.inbound` (CloudEvents, binary or structured mode). Produces one
`DecisionV1` per arrival or return to `mixflow.decisions` (keyed by person_ref), forwards
referral updates to `mixflow.referral-updates`, and sends every refused message to
`mixflow.events.deadletter` with its reasons, origin and (unless it holds a direct identifier)
its original bytes. Drops re-sent events (same source and id, `dedup.py`), remembering first
sights on `mixflow.router.dedup`. Follows `mixflow.rules` and hot-swaps the active
ruleset between batches. It must not persist anything or call other services: decisions are
deterministic, so a replay yields the same decision ids and downstream sinks de-duplicate them.
"""
