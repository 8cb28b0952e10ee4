"""Bringing a database to the schema of this release with Alembic, programmatically."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from services.adapters.db.engine import create_engine_for

HERE = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    """The packaged Alembic configuration with the URL passed in memory, not through the ini."""
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    config.attributes["url"] = url
    return config


def migrate(url: str, revision: str = "head") -> str | None:
    """Upgrade the database at `url` to `revision`; return the revision it is then at."""
    command.upgrade(alembic_config(url), revision)
    return current_revision(url)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


def current_revision(url: str) -> str | None:
    engine = create_engine_for(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
