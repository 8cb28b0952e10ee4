"""The service directory: which concrete agency receives a pathway in a country (and region).

Pure: the file is parsed from text by `parse_directory` and queried by `resolve`; nothing here
opens files. A pathway with no entry is never dropped: it goes to the country's national
fallback, or to the global fallback for a country the directory does not list, and is flagged.
"""

from services.domain.directory.load import parse_directory
from services.domain.directory.model import CountryEntry, Directory
from services.domain.directory.resolve import Assignment, resolve

__all__ = ["Assignment", "CountryEntry", "Directory", "parse_directory", "resolve"]
