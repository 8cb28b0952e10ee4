"""Verified tokens reused for a few seconds, so a busy publisher does not hit the database on
every request. A revoked token is refused once its cached verification expires."""

from datetime import datetime, timedelta

from sqlalchemy import Engine

from services.adapters.db.tokens import TokenStore
from services.domain.access import Principal


class CachedTokenStore(TokenStore):
    def __init__(self, engine: Engine, pepper: bytes, *, ttl_s: float) -> None:
        super().__init__(engine, pepper)
        self._ttl = timedelta(seconds=ttl_s)
        self._verified: dict[str, tuple[Principal, datetime]] = {}

    def verify(self, token: str, *, now: datetime) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and now < cached[1]:
            return cached[0]
        principal = super().verify(token, now=now)
        if self._ttl:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[token] = (principal, now + self._ttl)
        return principal
