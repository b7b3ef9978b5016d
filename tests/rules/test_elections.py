"""Elections, 任免 sheets and 先免后任: LAW.md's vectors E1-E6, the ballot rules, and properties."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.rules import law
from appliance.rules.ballots import BallotRefused
from appliance.rules.elections import (
    ABSTAIN,
    APPOINT,
    NO,
    REMOVE,
    YES,
    Ballot,
    Base,
    ElectionError,
    ElectionRules,
    Kind,
    Nominee,
    PostPoll,
    Runoff,
    check_appointment_ballot,
    check_ballot,
    check_may_open,
    count_appointments,
    count_round,
    decide,
    further_sheet,
    make_sheet,
    read_paper_appointment_ballot,
    read_paper_ballot,
    runoff_sheet,
    threshold,
)

A, B, C, D, E, X = "A", "B", "C", "D", "E", "X"  # D and E may be written in; X may not


def sheet(seats=2, candidates=(A, B, C), **kw):
    return make_sheet(seats, candidates, kw.pop("eligible", (D, E)), **kw)


def ballots_for(s, yes, voters):
    """`voters` tablet ballots giving each person in `yes` that many yes votes, no one more than S;
    a candidate not said yes to is marked no. Write-ins are the people in `yes` not on the sheet."""
    says = [[] for _ in range(voters)]
    for person, k in yes.items():
        for i in sorted(range(voters), key=lambda i: len(says[i]))[:k]:
            says[i].append(person)
    return [check_ballot(s, {c: YES if c in ys else NO for c in s.candidates}, [p for p in ys if p not in s.candidates])
            for ys in says]


# (case, N, base, took part, S, yes per person, needed, elected, runoff, further round, reason)
ROUND_VECTORS = [
    ("E1", 35, Base.ALL_MEMBERS, 35, 2, {A: 20, B: 19, C: 18}, 18, (A, B), None, 0, "seats_filled"),
    ("E2", 35, Base.ALL_MEMBERS, 35, 2, {A: 20, B: 18, C: 18}, 18, (A,), Runoff((B, C), 1), 0, "tie_at_last_seat"),
    ("E3", 35, Base.ALL_MEMBERS, 35, 2, {A: 20, B: 17, C: 10}, 18, (A,), None, 1, "too_few_above_threshold"),
    ("E4", 35, Base.TOOK_PART, 30, 1, {A: 15, B: 14}, 16, (), None, 1, "too_few_above_threshold"),
]


@pytest.mark.parametrize("case,n,base,took_part,seats,yes,needed,elected,runoff,further,reason", ROUND_VECTORS)
def test_round_vectors(case, n, base, took_part, seats, yes, needed, elected, runoff, further, reason):
    s = sheet(seats, tuple(yes))
    r = count_round(s, ballots_for(s, yes, took_part), n, took_part, ElectionRules(base=base))
    assert r.needed == needed and r.base == (n if base is Base.ALL_MEMBERS else took_part)
    assert {t.person: t.yes for t in r.tallies} == yes
    assert (r.elected, r.runoff, r.further_round, r.reason) == (elected, runoff, further, reason)
    assert r.cast == r.valid == took_part and not r.void_round


def test_e1_everyone_above_threshold_but_only_two_seats():
    s = sheet()
    r = count_round(s, ballots_for(s, {A: 20, B: 19, C: 18}, 35), 35, 35)
    assert [t.yes >= r.needed for t in r.tallies] == [True, True, True]
    assert C not in r.elected


def test_e2_the_new_round_is_between_the_tied_only():
    s = sheet()
    first = count_round(s, ballots_for(s, {A: 20, B: 18, C: 18}, 35), 35, 35)
    second = runoff_sheet(first)
    assert (second.seats, second.candidates, second.kind, second.takes_write_ins) == (1, (B, C), Kind.RUNOFF, False)
    r = count_round(second, ballots_for(second, {B: 19, C: 16}, 35), 35, 35)
    assert (r.elected, r.reason) == ((B,), "seats_filled")


def test_runoff_holds_only_the_tied_not_everyone_above_threshold():
    s = sheet(3, (A, B, C, D, E), eligible=())
    r = count_round(s, ballots_for(s, {A: 20, B: 20, C: 19, D: 19, E: 18}, 35), 35, 35)
    assert r.needed == 18 and all(t.yes >= 18 for t in r.tallies)
    assert (r.elected, r.runoff) == ((A, B), Runoff((C, D), 1))
    assert decide(1, [(B, 5), (C, 5), (D, 3)], 0) == ((), Runoff((B, C), 1), 0, "tie_at_last_seat")


def test_e3_further_round_is_chosen_from_those_not_elected():
    s = sheet()
    first = count_round(s, ballots_for(s, {A: 20, B: 17, C: 10}, 35), 35, 35)
    with pytest.raises(ElectionError) as e:
        further_sheet(s, first, (A, B))
    assert e.value.code == "already_elected"
    nxt = further_sheet(s, first, (B, D))
    assert (nxt.seats, nxt.candidates, nxt.kind) == (1, (B, D), Kind.FURTHER)
    assert nxt.eligible == {C, E} and nxt.takes_write_ins  # A, elected, can no longer be written in
    r = count_round(nxt, ballots_for(nxt, {B: 17, D: 18}, 35), 35, 35)
    assert (r.needed, r.elected) == (18, (D,))  # the same threshold as the first round


def test_e4_the_same_votes_against_all_members():
    s = sheet(1, (A, B))
    r = count_round(s, ballots_for(s, {A: 15, B: 14}, 30), 35, 30)
    assert (r.needed, r.elected, r.further_round) == (18, (), 1)
    assert count_round(s, ballots_for(s, {A: 16, B: 14}, 30), 35, 30, ElectionRules(base=Base.TOOK_PART)).elected == (A,)


def test_e5_three_yes_marks_for_two_seats():
    s = sheet()
    with pytest.raises(BallotRefused) as e:
        check_ballot(s, {A: YES, B: YES}, [D])
    assert e.value.code == "too_many_yes"
    paper = read_paper_ballot(s, {A: {YES}, B: {YES}}, [D])
    assert paper.void == "too_many_yes" and paper.yes == (A, B, D)


def test_e6_write_in_instead_of_an_opposed_candidate():
    s = sheet()
    b = check_ballot(s, {A: YES, B: NO}, [D])
    assert b.void is None and b.yes == (A, D)
    assert b.marks == ((A, YES), (B, NO), (C, ABSTAIN))
    assert read_paper_ballot(s, {A: {YES}, B: {NO}}, [D]) == b


def test_blank_ballot_is_valid_all_abstentions():
    s = sheet()
    assert check_ballot(s, {}) == read_paper_ballot(s, {}) == Ballot(((A, ABSTAIN), (B, ABSTAIN), (C, ABSTAIN)))
    r = count_round(s, [check_ballot(s, {})] * 10, 35, 10)
    assert r.valid == 10 and [(t.yes, t.abstain) for t in r.tallies] == [(0, 10)] * 3
    assert (r.elected, r.further_round) == ((), 2)


@pytest.mark.parametrize("write_ins,code", [([X], "write_in_not_eligible"), ([C], "write_in_is_candidate")])
def test_bad_write_in_is_refused_on_the_tablet_and_void_on_paper(write_ins, code):
    s = sheet()
    with pytest.raises(BallotRefused) as e:
        check_ballot(s, {A: YES, C: NO}, write_ins)
    assert e.value.code == code
    assert read_paper_ballot(s, {A: {YES}, C: {NO}}, write_ins).void == code


def test_no_write_ins_in_a_runoff():
    s = make_sheet(1, (B, C), (D,), kind=Kind.RUNOFF)
    assert s.eligible == frozenset()
    with pytest.raises(BallotRefused) as e:
        check_ballot(s, {}, [D])
    assert e.value.code == "write_ins_not_allowed"
    assert read_paper_ballot(s, {}, [D]).void == "write_ins_not_allowed"


def test_same_name_written_twice():
    s = sheet()
    with pytest.raises(BallotRefused) as e:
        check_ballot(s, {}, [D, D])
    assert e.value.code == "write_in_twice"
    assert read_paper_ballot(s, {}, [D, D]).write_ins == (D,)


def test_tablet_refuses_malformed_marks():
    s = sheet()
    for marks, code in [({X: YES}, "unknown_candidate"), ({A: "maybe"}, "bad_choice")]:
        with pytest.raises(BallotRefused) as e:
            check_ballot(s, marks)
        assert e.value.code == code
    with pytest.raises(ValueError, match="not a candidate"):
        read_paper_ballot(s, {X: {YES}})
    with pytest.raises(ValueError, match="marks must be among"):
        read_paper_ballot(s, {A: {"maybe"}})


def test_paper_row_with_several_marks_is_an_abstention_for_that_candidate():
    b = read_paper_ballot(sheet(), {A: {YES, NO}, B: {YES}, C: set()})
    assert b.void is None and b.marks == ((A, ABSTAIN), (B, YES), (C, ABSTAIN))


def test_round_is_void_with_more_ballots_than_voters():
    s = sheet()
    ballots = ballots_for(s, {A: 30, B: 30}, 35)
    r = count_round(s, ballots, 40, 34)
    assert r.void_round and r.reason == "more_ballots_than_voters"
    assert (r.elected, r.runoff, r.further_round, r.tallies) == ((), None, 0, ())
    assert count_round(s, ballots, 40, 35).elected == (A, B)


def test_void_ballots_count_as_cast_not_as_votes():
    s = sheet(1, (A, B))
    void = read_paper_ballot(s, {A: {YES}, B: {YES}})
    valid = ballots_for(s, {A: 18}, 20)
    r = count_round(s, valid + [void] * 5, 35, 25)
    assert (r.cast, r.valid, r.void) == (25, 20, 5)
    assert {t.person: t.yes for t in r.tallies} == {A: 18, B: 0} and r.elected == (A,)


def test_a_write_in_can_be_elected():
    s = sheet(1, (A, B))
    r = count_round(s, ballots_for(s, {A: 10, D: 19}, 35), 35, 35)
    assert r.elected == (D,) and r.tallies[0].written_in


def test_runoff_threshold_is_a_setting():
    s = make_sheet(1, (B, C), kind=Kind.RUNOFF)
    ballots = ballots_for(s, {B: 10, C: 5}, 35)
    strict = count_round(s, ballots, 35, 35)
    assert (strict.elected, strict.further_round) == ((), 1)
    loose = count_round(s, ballots, 35, 35, ElectionRules(runoff_needs_threshold=False))
    assert (loose.needed, loose.elected) == (0, (B,))
    again = count_round(s, ballots_for(s, {B: 5, C: 5}, 35), 35, 35, ElectionRules(runoff_needs_threshold=False))
    assert again.runoff == Runoff((B, C), 1)


def test_sheet_kinds_and_refusals():
    assert sheet().contested and not sheet(3).contested  # 差额, 等额
    assert sheet(by_election=True).by_election
    for args, code in [((0, (A,)), "no_seats"), ((True, (A,)), "no_seats"), ((2, (A,)), "too_few_candidates"),
                       ((1, (A, A)), "duplicate_candidate")]:
        with pytest.raises(ElectionError) as e:
            make_sheet(*args)
        assert e.value.code == code
    r = count_round(sheet(), ballots_for(sheet(), {A: 20, B: 19}, 35), 35, 35)
    for f, code in [(lambda: runoff_sheet(r), "no_runoff"), (lambda: further_sheet(sheet(), r, (C,)), "no_further_round")]:
        with pytest.raises(ElectionError) as e:
            f()
        assert e.value.code == code


def test_impossible_rounds_are_refused():
    with pytest.raises(ValueError, match="took_part"):
        count_round(sheet(), [], 35, 36)
    with pytest.raises(ValueError, match="members"):
        count_round(sheet(), [], 0, 0)
    with pytest.raises(ValueError, match="ordered"):
        decide(1, [(A, 1), (B, 2)], 0)


def test_threshold_is_more_than_half():
    assert [threshold(b) for b in (0, 1, 2, 29, 30, 35)] == [1, 1, 2, 15, 16, 18]


# 任免

NOMINEES = (Nominee(1, "主任", REMOVE), Nominee(2, "主任", APPOINT), Nominee(3, "副主任", APPOINT))


def test_each_nominee_counted_on_their_own_against_all_members():
    yes_no_abstain = [(8, 3, 1), (7, 0, 5), (12, 0, 0)]
    ballots = []
    for i in range(12):
        ballots.append(tuple(YES if i < y else NO if i < y + n else ABSTAIN for y, n, _ in yes_no_abstain))
    out = count_appointments(NOMINEES, ballots, members=15, present=13)
    assert [n for n, _ in out] == list(NOMINEES)
    assert [(o.yes, o.no, o.abstain, o.not_voted, o.needed, o.passed) for _, o in out] == [
        (8, 3, 1, 1, 8, True), (7, 0, 5, 1, 8, False), (12, 0, 0, 1, 8, True)]
    assert all(o.needed == law.votes_needed(15) for _, o in out)
    two_thirds = count_appointments(NOMINEES, ballots, 15, 13, law.Rule.TWO_THIRDS_OR_MORE)
    assert [o.passed for _, o in two_thirds] == [False, False, True]
    with pytest.raises(ValueError, match="choices"):
        count_appointments(NOMINEES, [(YES,)], 15, 13)


def test_appointment_ballot_on_the_tablet_and_on_paper():
    assert check_appointment_ballot(NOMINEES, {1: YES, 2: NO, 3: ABSTAIN}) == (YES, NO, ABSTAIN)
    for marks, code in [({1: YES, 2: NO}, "nominee_unmarked"), ({1: YES, 2: NO, 3: NO, 4: YES}, "unknown_nominee"),
                        ({1: YES, 2: NO, 3: "maybe"}, "bad_choice")]:
        with pytest.raises(BallotRefused) as e:
            check_appointment_ballot(NOMINEES, marks)
        assert e.value.code == code
    assert read_paper_appointment_ballot(NOMINEES, {1: {YES}, 2: {YES, NO}}) == (YES, ABSTAIN, ABSTAIN)
    with pytest.raises(ValueError, match="not on the sheet"):
        read_paper_appointment_ballot(NOMINEES, {9: {YES}})


def test_removal_before_appointment():
    def lines(removal_status, same_sheet=False):
        return [PostPoll(10, "主任", REMOVE, removal_status), PostPoll(10 if same_sheet else 11, "主任", APPOINT, "draft"),
                PostPoll(11, "副主任", APPOINT, "draft"), PostPoll(12, "秘书长", APPOINT, "draft")]

    for status in ("draft", "open"):
        with pytest.raises(ElectionError) as e:
            check_may_open(11, lines(status))
        assert e.value.code == "removal_not_closed"
    check_may_open(11, lines("closed"))
    check_may_open(10, lines("draft"))  # the removal itself may always open
    check_may_open(12, lines("open"))  # another post is not held back
    with pytest.raises(ElectionError) as e:
        check_may_open(10, lines("draft", same_sheet=True))
    assert e.value.code == "removal_on_same_sheet"


# Properties

CANDIDATES = (1, 2, 3, 4, 5, 6)
ELIGIBLE = (7, 8)
NOT_ELIGIBLE = (9,)


@st.composite
def sheets(draw):
    seats = draw(st.integers(min_value=1, max_value=4))
    c = draw(st.integers(min_value=seats, max_value=len(CANDIDATES)))
    kind = draw(st.sampled_from(list(Kind)))
    return make_sheet(seats, CANDIDATES[:c], ELIGIBLE, kind=kind)


def paper_ballots(s):
    marks = st.fixed_dictionaries({}, optional={c: st.sets(st.sampled_from((YES, NO, ABSTAIN)), max_size=2)
                                                 for c in s.candidates})
    write_ins = st.lists(st.sampled_from(s.candidates + ELIGIBLE + NOT_ELIGIBLE), max_size=3)
    return st.builds(lambda m, w: read_paper_ballot(s, m, w), marks, write_ins)


@st.composite
def rounds(draw):
    s = draw(sheets())
    members = draw(st.integers(min_value=1, max_value=30))
    took_part = draw(st.integers(min_value=0, max_value=members))
    ballots = draw(st.lists(paper_ballots(s), max_size=took_part + 1))
    rules = ElectionRules(draw(st.sampled_from(list(Base))), draw(st.booleans()))
    return s, ballots, members, took_part, rules


@given(rounds())
def test_round_properties(case):
    s, ballots, members, took_part, rules = case
    r = count_round(s, ballots, members, took_part, rules)
    if r.void_round:
        assert len(ballots) > took_part and not r.elected
        return
    yes = {t.person: t.yes for t in r.tallies}
    assert len(r.elected) <= s.seats and len(set(r.elected)) == len(r.elected)
    assert all(yes[p] >= r.needed and 2 * yes[p] > r.base for p in r.elected) or r.needed == 0
    assert [yes[p] for p in r.elected] == sorted((yes[p] for p in r.elected), reverse=True)
    if r.runoff:
        tied = {yes[p] for p in r.runoff.people}
        assert len(tied) == 1 and tied.pop() >= r.needed
        assert 1 <= r.runoff.seats < len(r.runoff.people) and not set(r.runoff.people) & set(r.elected)
        assert len(r.elected) + r.runoff.seats == s.seats and r.further_round == 0
    else:
        assert len(r.elected) + r.further_round == s.seats
    chosen = set(r.elected) | set(r.runoff.people if r.runoff else ())
    for p, y in yes.items():  # nobody left out has as many yes as someone elected or in the runoff
        if p not in chosen and y >= r.needed:
            assert all(y < yes[e] for e in r.elected)
            assert r.runoff is None or y < yes[r.runoff.people[0]]
    for t in r.tallies:
        if not t.written_in:
            assert t.yes + t.no + t.abstain == r.valid


@given(rounds(), st.randoms())
def test_counts_ignore_ballot_order(case, rnd):
    s, ballots, members, took_part, rules = case
    shuffled = ballots[:]
    rnd.shuffle(shuffled)
    assert count_round(s, shuffled, members, took_part, rules) == count_round(s, ballots, members, took_part, rules)


@given(sheets(), st.data())
def test_a_valid_ballot_never_has_more_yes_than_seats(s, data):
    b = data.draw(paper_ballots(s))
    if b.void is None:
        assert len(b.yes) <= s.seats and all(w in s.eligible for w in b.write_ins)


@given(sheets(), st.data())
def test_tablet_takes_exactly_the_ballots_paper_counts_as_valid(s, data):
    marks = data.draw(st.fixed_dictionaries({}, optional={c: st.sampled_from((YES, NO, ABSTAIN)) for c in s.candidates}))
    write_ins = data.draw(st.lists(st.sampled_from(s.candidates + ELIGIBLE + NOT_ELIGIBLE), max_size=3, unique=True))
    paper = read_paper_ballot(s, {c: {m} for c, m in marks.items()}, write_ins)
    try:
        tablet = check_ballot(s, marks, write_ins)
    except BallotRefused as e:
        assert paper.void == e.code
    else:
        assert paper == tablet and len(tablet.yes) <= s.seats


@given(st.integers(min_value=1, max_value=5), st.lists(st.integers(min_value=0, max_value=40), max_size=8),
       st.integers(min_value=0, max_value=41))
def test_decide_on_any_counts(seats, counts, needed):
    yes = sorted(enumerate(counts), key=lambda p: -p[1])
    elected, runoff, further, reason = decide(seats, yes, needed)
    above = [p for p, y in yes if y >= needed]
    assert set(elected) <= set(above) and len(elected) <= seats
    assert (runoff is not None) == (reason == "tie_at_last_seat")
    assert (further > 0) == (reason == "too_few_above_threshold") == (len(above) < seats)
    if len(above) > seats and runoff is None:
        assert len(elected) == seats
