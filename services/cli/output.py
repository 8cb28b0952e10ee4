"""What every command shares: building settings once and reporting errors once."""

from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console

from services.adapters.settings import Settings

err_console = Console(stderr=True, soft_wrap=True)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for error in exc.errors():
            path = ".".join(str(p) for p in error["loc"]) or "settings"
            err_console.print(f"[red]configuration error[/red] {path}: {error['msg']}")
        raise typer.Exit(2) from None


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear error line and exit non-zero; no traceback for expected failures."""
    err_console.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)
