"""How full the meeting network is: the tablets on it against the known limit of the mode it
was provisioned in (the Pi's own radio holds 7-10, an external access point what its maker
says). Pure: numbers in, a verdict out.
"""

from dataclasses import dataclass

OK, NEAR, FULL, UNKNOWN = "ok", "near", "full", "unknown"
NEAR_SHARE = 0.8  # the pairing page warns from here on: a few more tablets and some cannot join


@dataclass(frozen=True)
class Capacity:
    count: int | None
    limit: int | None
    level: str

    @property
    def free(self):
        return None if self.count is None or self.limit is None else max(0, self.limit - self.count)


def assess(count, limit):
    """`count` tablets on a network that holds `limit`: ok, near (>= 80 %, or one slot left), full."""
    if count is None or not limit or limit < 1:
        return Capacity(count, limit, UNKNOWN)
    if count >= limit:
        return Capacity(count, limit, FULL)
    if count >= limit * NEAR_SHARE or limit - count <= 1:
        return Capacity(count, limit, NEAR)
    return Capacity(count, limit, OK)
