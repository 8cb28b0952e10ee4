"""API tokens: create (secret shown once), verify, revoke. Only an HMAC of the secret is kept.

A token reads `mxf_<id>_<secret>`. The id finds the row; the secret is checked by comparing
HMAC-SHA256(pepper, secret) in constant time, so a stolen database does not yield usable tokens
without the pepper, which lives in configuration, not in the database.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlmodel import Session

from services.adapters.db.tables import ApiTokenRow
from services.domain.access import ROLES, Principal, Role

PREFIX = "mxf"


class TokenError(ValueError):
    """A token that cannot be used; the message never contains the token."""


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    principal: Principal
    expires_at: datetime | None


def _digest(pepper: bytes, secret: str) -> str:
    return hmac.new(pepper, secret.encode(), hashlib.sha256).hexdigest()


class TokenStore:
    def __init__(self, engine: Engine, pepper: bytes) -> None:
        self._engine = engine
        self._pepper = pepper

    def create(
        self,
        agency: str,
        role: Role,
        *,
        now: datetime,
        ttl: timedelta | None = None,
        label: str = "",
    ) -> IssuedToken:
        if role not in ROLES:
            raise TokenError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        expires = now + ttl if ttl else None
        row = ApiTokenRow(
            token_id=token_id,
            agency=agency,
            role=role,
            secret_hmac=_digest(self._pepper, secret),
            label=label,
            created_at=now,
            expires_at=expires,
        )
        with Session(self._engine) as session:
            session.add(row)
            session.commit()
        principal = Principal(token_id=token_id, agency=agency, role=role)
        return IssuedToken(f"{PREFIX}_{token_id}_{secret}", principal, expires)

    def verify(self, token: str, *, now: datetime) -> Principal:
        prefix, _, rest = token.partition("_")
        token_id, _, secret = rest.partition("_")
        if prefix != PREFIX or not token_id or not secret:
            raise TokenError("malformed token")
        with Session(self._engine) as session:
            row = session.get(ApiTokenRow, token_id)
        if row is None or not hmac.compare_digest(row.secret_hmac, _digest(self._pepper, secret)):
            raise TokenError("unknown token")
        if row.revoked_at is not None:
            raise TokenError("token revoked")
        if row.expires_at is not None and row.expires_at <= now:
            raise TokenError("token expired")
        return Principal(token_id=row.token_id, agency=row.agency, role=row.role)  # type: ignore[arg-type]

    def revoke(self, token_id: str, *, now: datetime) -> bool:
        with Session(self._engine) as session:
            result = session.execute(
                update(ApiTokenRow)
                .where(
                    ApiTokenRow.__table__.c.token_id == token_id,  # type: ignore[attr-defined]
                    ApiTokenRow.__table__.c.revoked_at.is_(None),  # type: ignore[attr-defined]
                )
                .values(revoked_at=now)
            )
            session.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def list(self) -> list[ApiTokenRow]:
        with Session(self._engine) as session:
            return list(session.execute(select(ApiTokenRow)).scalars())
