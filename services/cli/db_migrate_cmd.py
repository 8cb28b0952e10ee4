"""`mixflow db migrate`: bring the case store's schema to this release (Alembic, in-package)."""

import typer
from alembic.util import CommandError
from sqlalchemy.exc import SQLAlchemyError

from services.adapters.db import migrate as migrations
from services.adapters.settings import mask_url
from services.cli.output import fail, load_settings


def migrate(
    revision: str = typer.Option("head", help="Target revision; `head` is this release."),
    url: str | None = typer.Option(
        None, "--url", help="SQLAlchemy URL; default MIXFLOW_DATABASE_URL or the SQLite file."
    ),
) -> None:
    """Upgrade the database to the schema of this release; safe to run again."""
    target = url or load_settings().effective_database_url
    try:
        before = migrations.current_revision(target)
        after = migrations.migrate(target, revision)
    except (SQLAlchemyError, CommandError) as exc:
        # The driver's own message says what went wrong (refused, bad password, no database).
        fail(f"cannot migrate {mask_url(target)}: {getattr(exc, 'orig', None) or exc}")
    verb = "already at" if before == after else f"migrated from {before or 'empty'} to"
    typer.echo(f"{mask_url(target)}: {verb} {after}")
