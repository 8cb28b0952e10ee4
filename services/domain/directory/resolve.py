"""Resolving a referral's receiving agency from the directory: most specific entry wins."""

from dataclasses import dataclass

from schemas.decisions import PathwayCode
from services.domain.directory.model import Directory


@dataclass(frozen=True, slots=True)
class Assignment:
    """The agency a referral goes to; `fallback` is true when no entry named this pathway."""

    agency: str
    fallback: bool


def resolve(
    directory: Directory, pathway: PathwayCode, country: str, admin1: str | None
) -> Assignment:
    """Region entry, then country entry, then the national fallback, then the global one."""
    entry = directory.countries.get(country)
    if entry is None:
        return Assignment(directory.global_fallback, fallback=True)
    regional = entry.admin1.get(admin1, {}) if admin1 is not None else {}
    if pathway in regional:
        return Assignment(regional[pathway], fallback=False)
    if pathway in entry.pathways:
        return Assignment(entry.pathways[pathway], fallback=False)
    return Assignment(entry.national_fallback, fallback=True)
