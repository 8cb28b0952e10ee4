"""Typed errors of the pure core, caught once per shell (dead letter, problem+json, CLI line).

Each error carries the values a caller needs to explain the failure without parsing a message.
"""


class DomainError(Exception):
    """Base of the core's expected failures: the input was wrong, not the code."""


class TransitionError(DomainError):
    """A referral was asked to move to a status its lifecycle does not allow from where it is."""

    def __init__(self, referral_id: str, from_status: str, to_status: str, reason: str) -> None:
        self.referral_id = referral_id
        self.from_status = from_status
        self.to_status = to_status
        self.reason = reason
        super().__init__(f"referral {referral_id}: {from_status} -> {to_status} refused: {reason}")


class UnknownReferralError(DomainError):
    """An update names a referral that case management never issued."""

    def __init__(self, referral_id: str) -> None:
        self.referral_id = referral_id
        super().__init__(f"referral {referral_id} is unknown")


class ReferralNotAssignedError(DomainError):
    """An agency tried to update a referral assigned to another agency."""

    def __init__(self, referral_id: str, agency: str, assigned_agency: str) -> None:
        self.referral_id = referral_id
        self.agency = agency
        self.assigned_agency = assigned_agency
        super().__init__(
            f"referral {referral_id} is assigned to {assigned_agency}, not to {agency}"
        )


class StaleReferralError(DomainError):
    """A referral changed status between being read and being written (a concurrent update)."""

    def __init__(self, referral_id: str, expected_status: str) -> None:
        self.referral_id = referral_id
        self.expected_status = expected_status
        super().__init__(
            f"referral {referral_id} is no longer {expected_status}; re-read it and retry"
        )


class DirectoryError(DomainError):
    """The service directory file is invalid; each problem names its path in the file."""

    def __init__(self, file: str, problems: tuple[str, ...]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(problems))
