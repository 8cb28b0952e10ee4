"""Synthetic mixed flows for load tests, demos and the rules simulator.

Pure: randomness comes from a passed `random.Random(seed)` and time from a passed `start`, so a
seed and a start always give the same stream. Profiles (`PROFILES`) describe routes, who travels
on them and who later returns; `generate` turns a profile into CloudEvents as plain dicts. The
people are invented and their tokens random: nothing here derives from real records.
"""

from services.domain.synthetic.profiles import PROFILES, Profile
from services.domain.synthetic.stream import generate

__all__ = ["PROFILES", "Profile", "generate"]
