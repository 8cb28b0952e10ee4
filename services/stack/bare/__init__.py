"""The bare pipeline: the least an event's path from publication to a case row can cost here.

`mixflow bench e2e` runs it in the same run as the pipeline, on the same broker and database
server, with the same flood of events published the same way, so its throughput is measured
side by side with the pipeline's. Two processes, as the pipeline's router and casework are:

- `route`: consume the inbound events, parse and validate them, route them with the default
  ruleset, produce the decisions (what `bench/peers/aiokafka_loop.py` does);
- `store`: consume the decisions, write each person's case row and the decision's referral rows
  (real tables with their indexes, keys and checks) in one transaction per fetched batch, then
  commit the offsets.

Nothing else: no de-duplication memory, no dead letters, no parsing of decisions against their
contract, no directory lookup, no processed-event claims, no timeline, no outbox and no case
changes, no flow aggregates, no telemetry. Each of those is one of mixflow's promises (nothing
lost, no duplicates, explainable, a caseworker's audit trail, monitoring), so the bare pipeline
is not a peer to match but a ceiling: what this machine allows before any of them is paid for.

`measure.py` runs one measurement; `stages.py` is each stage's process.
"""

from services.stack.bare.measure import measure

__all__ = ["measure"]
