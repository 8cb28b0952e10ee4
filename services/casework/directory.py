"""Loading the service directory file once, at start, for the worker and the API."""

from pathlib import Path

from services.domain.directory import Directory, parse_directory

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "routing_rules" / "directory.yaml"


def load_directory(path: Path | None = None) -> Directory:
    """The directory at `path` (default: the one shipped in `routing_rules/`)."""
    file = path or DEFAULT_DIRECTORY
    return parse_directory(file.read_text(encoding="utf-8"), str(file))
