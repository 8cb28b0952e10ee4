"""Administration of rulesets: the version lifecycle, semantic diff and impact simulation. Pure.

versions.py  a stored version's states (draft -> approved -> active -> retired), the four-eyes
             rule and rollback, as checks that raise `Refused` with the reason
diff.py      what changed between two rulesets: rules added, removed, changed per field
simulate.py  route a stream of events with a candidate and the active ruleset and count what
             changes, holding only counters and a few example ids (never the sample)
"""

from services.domain.ruleset_admin.diff import FieldChange, RuleChange, RulesetDiff, diff_rulesets
from services.domain.ruleset_admin.simulate import ImpactReport, Simulation, simulate
from services.domain.ruleset_admin.versions import (
    STATUSES,
    Refused,
    RulesetVersion,
    Status,
    check_approvable,
    check_publishable,
    check_restorable,
    next_version_number,
    same_rules,
)

__all__ = [
    "STATUSES",
    "FieldChange",
    "ImpactReport",
    "Refused",
    "RuleChange",
    "RulesetDiff",
    "RulesetVersion",
    "Simulation",
    "Status",
    "check_approvable",
    "check_publishable",
    "check_restorable",
    "diff_rulesets",
    "next_version_number",
    "same_rules",
    "simulate",
]
