"""A poll's result in words in the reader's language (issue 14: English readers saw 赞成 9，反对 1
… 通过 on the tablet, the console and the big screen). The minutes stay Chinese; a live event
carries both languages; an API answer speaks the caller's. Tried: a motion, an assessment, an
appointment with and without a post, an election with a write-in, a tie and a void round, and a
`lang` cookie that names no language we have (Chinese, the default)."""

import re
from types import SimpleNamespace

from appliance.demo import MEMBERS
from appliance.meetings import result_words
from tests.meetings.helpers import ballot
from tests.meetings.test_poll_kinds_api import room  # noqa: F401 (the fixture)

HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _english(text, *names):
    for n in names:
        text = text.replace(n, "")
    return not HAN.search(text)


def test_a_motion_in_both_languages():
    r = SimpleNamespace(kind="motion", yes=9, no=1, abstain=2, not_voted=3, needed=8, passed=True)
    assert result_words.line(r, "zh_CN") == "赞成 9，反对 1，弃权 2，未表决 3 — 需 8 票 — 通过"
    assert result_words.line(r, "en") == "Yes 9, No 1, Abstain 2, not voted 3 — 8 votes needed — Passed"
    r.passed = False
    assert result_words.line(r, "zh_CN").endswith("— 未通过") and result_words.line(r, "en").endswith("— Not passed")


def test_ballot_sheets_in_english_have_no_chinese_but_the_names():
    shares = {k: "10%" for k in ("satisfied", "basically", "unsatisfied", "void", "not_voted", "absent")}
    assessment = {"satisfied": 1, "basically": 2, "unsatisfied": 3, "void": 0, "not_voted": 4, "absent": 5, "n": 15, "shares": shares,
                  "counted": 3, "needed": 8, "outcome": "unsatisfied"}
    zh = result_words.sheet_lines({"kind": "assessment"}, assessment, "zh_CN")
    assert zh[1] == "满意与基本满意合计 3 — 需 8 票 — 测评结果：不满意"
    en = result_words.sheet_lines({"kind": "assessment"}, assessment, "en")
    assert en[1] == "Satisfied and Basically satisfied together 3 — 8 votes needed — result: Not satisfied"
    assert all(_english(x) for x in en)

    nominees = {"nominees": [{"name": "张某某", "post": "区财政局局长", "action": "appoint", "yes": 9, "no": 0, "abstain": 0, "not_voted": 6,
                              "needed": 8, "passed": True},
                             {"name": "李某某", "post": "", "action": "remove", "yes": 1, "no": 0, "abstain": 0, "not_voted": 14,
                              "needed": 8, "passed": False}]}
    assert result_words.sheet_lines({"kind": "appointment"}, nominees, "zh_CN")[0] == \
        "任命 张某某 为区财政局局长：赞成 9，反对 0，弃权 0，未表决 6 — 需 8 票 — 通过"
    en = result_words.sheet_lines({"kind": "appointment"}, nominees, "en")
    assert en[0].startswith("Appoint 张某某 as 区财政局局长: Yes 9") and en[1].endswith("— Not passed")
    assert all(_english(x, "张某某", "李某某", "区财政局局长") for x in en)

    election = {"tallies": [{"name": "王某", "yes": 5, "written_in": False}, {"name": "赵某", "yes": 5, "written_in": True}],
                "seats": 1, "cast": 10, "valid": 10, "void": 0, "needed": 8, "base_kind": "all_members", "base": 15, "elected": [],
                "reason": "more_ballots_than_voters", "runoff": {"people": [{"name": "王某"}, {"name": "赵某"}], "seats": 1},
                "further_round": 1}
    poll = {"kind": "election", "by_election": 1, "round": 2, "round_kind": "runoff"}
    zh = result_words.sheet_lines(poll, election, "zh_CN")
    assert zh[0] == "补选（等额，应选 1 名，第 2 轮，得票相等者再次投票）：投票 10 张，有效 10 张，作废 0 张"
    assert zh[1] == "得票：王某 5 票，赵某（另选） 5 票 — 需 8 票（全体组成人员 15 人的过半数）"
    assert zh[2] == "当选：无" and zh[4] == "王某、赵某 得票相等，须就 1 个名额再次投票"
    en = result_words.sheet_lines(poll, election, "en")
    assert en[2] == "Elected: none" and "王某 5 votes, 赵某 (write-in) 5 votes" in en[1]
    assert all(_english(x, "王某", "赵某") for x in en) and len(en) == len(zh) == 6


def test_the_api_answers_in_the_callers_language_and_events_carry_both(room):  # noqa: F811
    app, st, sec, mid, items, tablets = room
    pid = sec.post(f"/api/v1/items/{items[0]}/polls", json={"mode": "named"}).get_json()["id"]
    assert sec.post(f"/api/v1/polls/{pid}/open", json={}).status_code == 200
    assert tablets[MEMBERS[0]].post(f"/api/v1/polls/{pid}/ballots", json=ballot("yes", 1)).status_code == 200
    closed = sec.post(f"/api/v1/polls/{pid}/close").get_json()
    assert closed["line"].startswith("赞成 1，反对 0")  # no cookie: Chinese
    assert closed["words"]["en"].startswith("Yes 1, No 0") and closed["words"]["zh_CN"] == closed["line"]
    sec.set_cookie("lang", "en")
    assert sec.get(f"/api/v1/polls/{pid}").get_json()["result"]["line"].startswith("Yes 1, No 0, Abstain 0, not voted 11")
    sec.set_cookie("lang", "xx")  # no such language: the default
    assert sec.get(f"/api/v1/polls/{pid}").get_json()["result"]["line"].startswith("赞成 1")
