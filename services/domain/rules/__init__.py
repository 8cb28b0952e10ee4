"""The rules core: load, lint, compile and route. Pure: no files, clock, network or randomness.

loaded = load_ruleset(text, "routing_rules/default.yaml")   # RuleError with file:line findings
findings = lint(loaded.ruleset, loaded.source)             # vocabulary, dead rules, safeguards
compiled = compile_ruleset(loaded.ruleset, loaded.source)  # once per ruleset version
decision = compiled.route(event, now=now)                  # per event; .to_contract() -> DecisionV1
"""

from services.domain.rules.compile import compile_ruleset, digest_of
from services.domain.rules.decision import Decision, RoutableEvent
from services.domain.rules.engine import CompiledRuleset
from services.domain.rules.errors import RuleError
from services.domain.rules.lint import lint, lint_text
from services.domain.rules.load import LoadedRuleset, RuleSource, load_ruleset

__all__ = [
    "CompiledRuleset",
    "Decision",
    "LoadedRuleset",
    "RoutableEvent",
    "RuleError",
    "RuleSource",
    "compile_ruleset",
    "digest_of",
    "lint",
    "lint_text",
    "load_ruleset",
]
