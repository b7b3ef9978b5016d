"""What a valid ballot is, and who may cast one. Pure: no store, no clock.

The tablet makes two random values with each ballot: a ballot id (so that a retry after a
dropped connection is recognised and never counts twice) and a tracker code (so that, after
the poll closes, the member can find their own ballot in the published list and see it was
counted as cast). Neither value is ever stored next to the member's name.
"""

import re
from dataclasses import dataclass

CHOICES = ("yes", "no", "abstain")  # 赞成 / 反对 / 弃权
MODES = ("secret", "named")
BALLOT_ID = re.compile(r"^[0-9a-f]{32}$")  # 128 random bits, hex
TRACKER = re.compile(r"^[2-9A-HJ-NP-Z]{8}$")  # 8 unambiguous characters


class BallotRefused(Exception):
    """Why a ballot cannot be taken; `code` names the reason for the message table."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Voter:
    is_member: bool
    present: bool


def check_ballot(choice, ballot_id, tracker, mode):
    if choice not in CHOICES:
        raise BallotRefused("bad_choice")
    if not isinstance(ballot_id, str) or not BALLOT_ID.match(ballot_id):
        raise BallotRefused("bad_ballot_id")
    if mode == "secret" and (not isinstance(tracker, str) or not TRACKER.match(tracker)):
        raise BallotRefused("bad_tracker")


def check_voter(voter, poll_status):
    if poll_status != "open":
        raise BallotRefused("poll_not_open")
    if not voter.is_member:
        raise BallotRefused("not_a_member")
    if not voter.present:
        raise BallotRefused("not_signed_in")
