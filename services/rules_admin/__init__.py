"""The rules administration service: operators' versions, review and publication of rulesets.

Consumes: operators' requests (the rules API and `mixflow rules` commands), recorded events of
`mixflow.events.inbound` (or a JSONL file) for simulations. Produces: rows of `ruleset_versions`
and `audit_log`, and the active ruleset on the compacted `mixflow.rules` topic that routers follow.
Must not: route live events, decide anything the rules core decides (linting, routing, the
four-eyes and lifecycle checks live in `services.domain`), or publish a ruleset that fails lint.
"""
