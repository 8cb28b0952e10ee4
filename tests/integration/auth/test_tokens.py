"""Tokens on a real database: shown once, stored as an HMAC, refused once revoked or expired."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tokens import TokenError, TokenStore

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> TokenStore:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    migrate(url)
    engine = create_engine_for(url)
    request.addfinalizer(engine.dispose)
    return TokenStore(engine, b"pepper-for-tests")


def test_a_created_token_verifies_to_its_agency_and_role(store: TokenStore) -> None:
    issued = store.create("ITA-MOI", "publisher", now=NOW)
    principal = store.verify(issued.token, now=NOW)
    assert (principal.agency, principal.role) == ("ITA-MOI", "publisher")


def test_only_an_hmac_of_the_secret_is_stored(store: TokenStore) -> None:
    issued = store.create("UNHCR", "monitor", now=NOW)
    secret = issued.token.rsplit("_", 1)[1]
    with store._engine.connect() as conn:
        rows = conn.execute(text("SELECT secret_hmac FROM api_tokens")).scalars().all()
    assert rows and all(secret not in row for row in rows)


def test_revoked_expired_and_forged_tokens_are_refused(store: TokenStore) -> None:
    revoked = store.create("IOM", "caseworker", now=NOW)
    assert store.revoke(revoked.principal.token_id, now=NOW)
    with pytest.raises(TokenError, match="revoked"):
        store.verify(revoked.token, now=NOW)

    expiring = store.create("IOM", "caseworker", now=NOW, ttl=timedelta(hours=1))
    with pytest.raises(TokenError, match="expired"):
        store.verify(expiring.token, now=NOW + timedelta(hours=2))

    forged = expiring.token[:-4] + "AAAA"
    with pytest.raises(TokenError, match="unknown"):
        store.verify(forged, now=NOW)
    with pytest.raises(TokenError, match="malformed"):
        store.verify("not-a-token", now=NOW)
