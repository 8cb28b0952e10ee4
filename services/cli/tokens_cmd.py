"""`mixflow tokens create | list | revoke`: API tokens; the secret is printed once, never stored."""

import re
from datetime import UTC, datetime, timedelta

import typer
from rich.console import Console
from rich.table import Table

from services.adapters.db.engine import create_engine_for
from services.adapters.db.migrate import migrate
from services.adapters.db.tokens import TokenError, TokenStore
from services.adapters.settings import Settings
from services.cli.output import fail, load_settings
from services.domain.access import ROLES

app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)
AGENCY = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")


def _store(settings: Settings) -> TokenStore:
    url = settings.effective_database_url
    migrate(url)  # idempotent: a fresh installation can create its first token at once
    return TokenStore(create_engine_for(url), settings.token_pepper.get_secret_value().encode())


@app.command("create")
def create(
    agency: str = typer.Option(..., "--agency", help="Agency code, e.g. ITA-MOI."),
    role: str = typer.Option(..., "--role", help=" | ".join(ROLES)),
    ttl_days: float | None = typer.Option(None, "--ttl-days", min=0.001, help="Expiry."),
    label: str = typer.Option("", "--label", help="A note for `tokens list`."),
) -> None:
    """Create a token and print it once: only an HMAC of its secret is stored."""
    if not AGENCY.match(agency) or len(agency) > 40:
        fail("--agency must be upper-case letters, digits and dashes, e.g. ITA-MOI", code=2)
    if role not in ROLES:
        fail(f"--role must be one of: {', '.join(ROLES)}", code=2)
    ttl = timedelta(days=ttl_days) if ttl_days else None
    try:
        issued = _store(load_settings()).create(
            agency, role, now=datetime.now(UTC), ttl=ttl, label=label[:120]
        )
    except TokenError as exc:
        fail(str(exc), code=2)
    typer.echo(issued.token)
    expiry = f", expires {issued.expires_at:%Y-%m-%d %H:%M}Z" if issued.expires_at else ""
    typer.echo(
        f"token {issued.principal.token_id} for {agency} ({role}){expiry}; "
        "shown once: store it now",
        err=True,
    )


@app.command("list")
def list_tokens() -> None:
    """List tokens (ids, agencies, roles, dates); secrets cannot be shown, they are not kept."""
    table = Table("id", "agency", "role", "created", "expires", "revoked", "label")
    for row in _store(load_settings()).list():
        table.add_row(
            row.token_id,
            row.agency,
            row.role,
            f"{row.created_at:%Y-%m-%d %H:%M}",
            f"{row.expires_at:%Y-%m-%d %H:%M}" if row.expires_at else "-",
            f"{row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "-",
            row.label,
        )
    Console(width=120).print(table)


@app.command("revoke")
def revoke(token_id: str = typer.Argument(..., help="The id shown by `tokens list`.")) -> None:
    """Revoke a token at once; requests with it get 401 from then on."""
    if not _store(load_settings()).revoke(token_id, now=datetime.now(UTC)):
        fail(f"no active token with id {token_id}")
    typer.echo(f"revoked {token_id}")
