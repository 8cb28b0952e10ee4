"""Parsing the directory from YAML text into a validated `Directory`, or a `DirectoryError`.

Pure: takes text and a file name used in messages; the caller reads the file.
"""

from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from services.domain.directory.model import Directory
from services.domain.errors import DirectoryError


def parse_directory(text: str, file: str = "<directory>") -> Directory:
    """Validate the YAML text of a directory; every problem is reported with its path."""
    try:
        document: Any = YAML(typ="safe").load(text)
    except YAMLError as exc:
        raise DirectoryError(file, (f"not valid YAML: {exc}",)) from None
    if not isinstance(document, dict):
        raise DirectoryError(file, ("the directory must be a mapping with version and countries",))
    try:
        return Directory.model_validate(document)
    except ValidationError as exc:
        raise DirectoryError(file, tuple(_problem(error) for error in exc.errors())) from None


def _problem(error: Any) -> str:
    path = ".".join(str(part) for part in error["loc"] if part not in ("[key]",))
    message = str(error["msg"])
    if error["type"] == "literal_error":
        # The allowed list of a country or pathway key runs to hundreds of codes; say what was
        # given instead of echoing the whole enumeration.
        message = f"unknown code {error['input']!r}"
    return f"{path}: {message}" if path else message
