"""The flows service: counts decisions and case changes into windowed flow cells.

Consumes `mixflow.decisions` (one `DecisionV1` per arrival or return) and `mixflow.cases.changes`
(referral outcomes) in batches. Adds the finest cells of the flow cube (`services.domain.flows`)
to the database in the same transaction that records the counted ids, so a redelivered record
or a replayed batch never counts twice and a restart needs no recovery; publishes a fixed
catalogue of suppressed aggregates of changed windows to the compacted
`mixflow.flows.aggregates`. The flows API serves tables,
indicators, CSV with HXL hashtags and a dashboard, always suppressed, to monitors.

It must not publish or serve anything at person level, and it never calls another service.
"""
