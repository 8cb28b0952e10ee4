"""Agency-side anonymisation: raw case records in, contract events without identifiers out.

Runs where the raw data lives, before anything is published: names, document numbers and
phone numbers are dropped, the people are replaced by keyed tokens (HMAC-SHA256 with the
agency's key, which never leaves it), dates of birth by age bands. Pure: the caller reads the
key, the mapping and the CSV and writes the events; this package only transforms.
"""

from services.domain.anonymise.mapping import Mapping, MappingError, check_mapping
from services.domain.anonymise.pseudonyms import Pseudonymiser, age_band
from services.domain.anonymise.records import Anonymiser, RowError

__all__ = [
    "Anonymiser",
    "Mapping",
    "MappingError",
    "Pseudonymiser",
    "RowError",
    "age_band",
    "check_mapping",
]
