"""Parts shared by several payloads."""

from schemas.base import Contract
from schemas.codes import AgeBand, NationalityCode, Sex


class Demographics(Contract):
    """Coarse demographics: an age band, never a date of birth."""

    age_band: AgeBand
    sex: Sex
    nationality: NationalityCode
