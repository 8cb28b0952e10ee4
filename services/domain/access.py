"""Who may do what: roles, principals and the permission matrix. Pure; the APIs ask it.

Roles (PRODUCT.md §3): agency publishers, operators, caseworkers (scoped to their agency),
monitors (aggregates only), admins. A principal is what an authenticated token stands for.
"""

from dataclasses import dataclass
from typing import Literal

Role = Literal["publisher", "operator", "caseworker", "monitor", "admin"]
ROLES: tuple[Role, ...] = ("publisher", "operator", "caseworker", "monitor", "admin")

Action = Literal[
    "publish_events",
    "read_deadletters",
    "manage_rules",
    "read_cases",
    "update_referrals",
    "read_flows",
    "manage_tokens",
    "read_audit",
]

ALLOWED: dict[Action, frozenset[Role]] = {
    "publish_events": frozenset({"publisher", "admin"}),
    "read_deadletters": frozenset({"publisher", "operator", "admin"}),
    "manage_rules": frozenset({"operator", "admin"}),
    "read_cases": frozenset({"caseworker", "admin"}),
    "update_referrals": frozenset({"caseworker", "admin"}),
    "read_flows": frozenset({"monitor", "operator", "admin"}),
    "manage_tokens": frozenset({"admin"}),
    "read_audit": frozenset({"operator", "admin"}),
}
"""Each action and the roles that may take it; anything not listed here is refused."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller behind a token: a token id (never the secret), an agency and a role."""

    token_id: str
    agency: str
    role: Role

    @property
    def actor(self) -> str:
        return f"{self.agency}/{self.role}/{self.token_id}"


def may(principal: Principal, action: Action) -> bool:
    return principal.role in ALLOWED[action]


def sees_agency(principal: Principal, agency: str) -> bool:
    """Caseworkers and publishers act for their own agency only; admins for all."""
    return principal.role == "admin" or principal.agency == agency
