"""The one error the rules core raises: a ruleset that cannot be loaded or compiled."""

from collections.abc import Iterable

from schemas.rules import Finding
from services.domain.errors import DomainError


class RuleError(DomainError):
    """A ruleset is invalid; `findings` say where (file:line, rule) and what to change."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        self.findings = tuple(findings)
        super().__init__("\n".join(finding.render() for finding in self.findings))
