"""The attendance ledger and the 履职档案 against a scripted year, through the API, with the CSV
parsed as WPS would and the PDFs read back with pdftotext (and pdffonts: every font embedded)."""

import csv
import datetime
import io
import json
import subprocess
import time

import pytest

from appliance.demo import MEMBERS, member_pin
from tests.conftest import need
from tests.devices.helpers import person_id
from tests.meetings.helpers import ballot, member_tablets, secretary
from tests.meetings.test_leave import error, meeting, staff_client


def pdf_text(data, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(data)
    return subprocess.run([need("pdftotext"), "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def fonts_embedded(data, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(data)
    out = subprocess.run([need("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    rows = out[2:]  # a header and a rule, then one line per font
    assert rows, out
    for row in rows:
        # name type [encoding] emb sub uni object ID: read from the right, the name may hold spaces
        emb = row.split()[-5]
        assert emb == "yes", f"font not embedded: {row}"
    return rows


A, B, C = "李秀英", "张伟", "刘芳"


@pytest.fixture
def year_of_meetings(demo_app):
    """Four meetings this year and one last year, scripted (see the expected tallies below)."""
    app = demo_app
    sec = secretary(app)
    tablets = member_tablets(app, [(n, member_pin(MEMBERS.index(n) + 1)) for n in (A, B, C)])
    now = time.time()
    year = datetime.date.fromtimestamp(now).year
    assert datetime.date.fromtimestamp(now - 3600).year == year, "run again in an hour: the script needs one calendar year"

    def leave_for(who, mid, decision):
        rid = tablets[who].post("/api/v1/leave", json={"meeting": mid, "reason": f"{who}出差"}).get_json()["id"]
        r = sec.post(f"/api/v1/leave/{rid}/decide", json={"decision": decision})
        assert r.status_code == 200, r.get_json()

    def sign_in(mid, *who):
        assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
        for w in who:
            assert tablets[w].post(f"/api/v1/meetings/{mid}/signin").status_code == 200

    m1 = meeting(sec, "第一次会议", now + 600)  # A on time, B approved leave, C absent
    leave_for(B, m1, "approve")
    sign_in(m1, A)
    m2 = meeting(sec, "第二次会议", now - 3600)  # A and C late, B's leave declined: absent
    leave_for(B, m2, "decline")
    sign_in(m2, A, C)
    m3 = meeting(sec, "第三次会议", now + 1200)  # A excused by the staff's button, C approved leave, B on time
    sec.post(f"/api/v1/meetings/{m3}/people/{person_id(app, A)}/excuse", json={"reason": "病假"})
    leave_for(C, m3, "approve")
    sign_in(m3, B)
    for mid in (m1, m2, m3):
        assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
    m4 = meeting(sec, "第四次会议", now + 1800)  # still open: in progress, counted nowhere else
    sign_in(m4, A)
    last_year = meeting(sec, "去年的会议", datetime.datetime(year - 1, 6, 1, 9).timestamp())
    sec.post(f"/api/v1/meetings/{last_year}/close")
    return app, sec, tablets, year


def tallies(client, year):
    r = client.get(f"/api/v1/attendance?year={year}")
    assert r.status_code == 200, r.get_json()
    return {m["name"]: m["tally"] for m in r.get_json()["members"]}


def t(held, attended, late, excused, absent, in_progress):
    return {"held": held, "attended": attended, "late": late, "excused": excused, "absent": absent,
            "in_progress": in_progress, "upcoming": 0}


def test_the_ledger_of_a_scripted_year(year_of_meetings):
    app, sec, tablets, year = year_of_meetings
    got = tallies(sec, year)
    assert len(got) == 15
    assert got[A] == t(3, 2, 1, 1, 0, 1)
    assert got[B] == t(3, 1, 0, 1, 1, 1)
    assert got[C] == t(3, 1, 1, 1, 1, 1)
    assert got["王建国"] == t(3, 0, 0, 0, 3, 1)
    assert tallies(sec, year - 1)[A] == t(1, 0, 0, 0, 1, 0)
    # The grace is a setting: two hours, and nobody was late.
    staff = staff_client(app)
    assert error(staff.post("/api/v1/attendance/settings", json={"late_grace_minutes": 120}), 403)["code"] == "forbidden"
    assert error(sec.post("/api/v1/attendance/settings", json={"late_grace_minutes": -1}), 400)["field"] == "late_grace_minutes"
    assert error(sec.post("/api/v1/attendance/settings", json={"late_grace_minutes": 241}), 400)["field"] == "late_grace_minutes"
    r = sec.post("/api/v1/attendance/settings", json={"late_grace_minutes": 120})
    assert r.status_code == 200 and r.get_json() == {"late_grace_minutes": 120}
    got = tallies(staff, year)
    assert (got[A]["late"], got[C]["late"], got[A]["attended"]) == (0, 0, 2)
    st = app.extensions["yishi"].store
    assert st.scalar("SELECT count(*) FROM audit WHERE action = 'setting.change'") == 1
    # A member sees their own line only.
    mine = tablets[A].get(f"/api/v1/attendance?year={year}").get_json()["members"]
    assert [m["name"] for m in mine] == [A]


def test_the_ledger_as_csv_and_pdf(year_of_meetings, tmp_path):
    app, sec, tablets, year = year_of_meetings
    r = sec.get(f"/api/v1/attendance.csv?year={year}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith(b"\xef\xbb\xbf"), "no BOM: WPS and Excel would read the Chinese as mojibake"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert rows[0] == ["座位号", "姓名", "应出席", "出席", "其中迟到", "请假", "缺席", "进行中"]
    by_name = {row[1]: row for row in rows[1:]}
    assert len(by_name) == 15
    assert by_name[A] == ["2", A, "3", "2", "1", "1", "0", "1"]
    assert by_name[C] == ["4", C, "3", "1", "1", "1", "1", "1"]
    own = list(csv.reader(io.StringIO(tablets[B].get(f"/api/v1/attendance.csv?year={year}").data.decode("utf-8-sig"))))
    assert [row[1] for row in own[1:]] == [B]
    r = sec.get(f"/api/v1/attendance.pdf?year={year}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data, tmp_path, "ledger.pdf")
    assert f"{year}年度组成人员出席会议情况" in text and "15 分钟" in text
    line = next(ln for ln in text.splitlines() if A in ln)
    assert line.split()[1:] == [A, "3", "2", "1", "1", "0", "1"]
    fonts_embedded(r.data, tmp_path, "ledger.pdf")


def test_who_may_see_which_ledger_and_bad_years(year_of_meetings):
    app, sec, tablets, year = year_of_meetings
    a, b = person_id(app, A), person_id(app, B)
    assert error(tablets[A].get(f"/api/v1/people/{b}/record?year={year}"), 403)["code"] == "not_your_record"
    assert error(tablets[A].get(f"/api/v1/people/{b}/record.pdf?year={year}"), 403)["code"] == "not_your_record"
    assert tablets[A].get(f"/attendance/{b}?year={year}").status_code == 403
    assert tablets[A].get(f"/api/v1/people/{a}/record?year={year}").status_code == 200
    assert error(sec.get(f"/api/v1/people/999999/record?year={year}"), 404)["code"] == "no_person"
    for bad in ("1999", str(year + 2), "3000"):
        err = error(sec.get(f"/api/v1/attendance?year={bad}"), 400)
        assert (err["code"], err["field"]) == ("bad_year", "year") and "2000" in err["message"]
        assert error(sec.get(f"/api/v1/attendance.csv?year={bad}"), 400)["field"] == "year"
        assert error(tablets[A].get(f"/api/v1/people/{a}/record?year={bad}"), 400)["field"] == "year"
        assert sec.get(f"/attendance?year={bad}").status_code == 400
    assert error(sec.get("/api/v1/attendance?year=abc"), 400)["field"] == "year"
    # Pages: staff see the table, a member is sent to their own record.
    page = sec.get(f"/attendance?year={year}").get_data(as_text=True)
    assert A in page and "出席情况" in page and 'id="grace-form"' in page
    assert 'id="grace-form"' not in staff_client(app).get(f"/attendance?year={year}").get_data(as_text=True)
    r = tablets[A].get(f"/attendance?year={year}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/attendance/{a}?year={year}")
    page = tablets[A].get(f"/attendance/{a}?year={year}").get_data(as_text=True)
    assert "履职档案" in page and "第二次会议" in page and "出席（迟到）" in page


def test_the_record_never_shows_a_secret_choice(demo_app, tmp_path):
    app = demo_app
    sec = secretary(app)
    names = MEMBERS[:8]
    tablets = member_tablets(app, [(n, member_pin(i)) for i, n in enumerate(names, start=1)])
    mid = meeting(sec, "表决测试会议", time.time() + 600)
    item = sec.post(f"/api/v1/meetings/{mid}/items", json={"title": "关于甲事项的决定", "kind": "bill"}).get_json()["id"]
    assert sec.post(f"/api/v1/meetings/{mid}/signin/open").status_code == 200
    for n in names:
        assert tablets[n].post(f"/api/v1/meetings/{mid}/signin").status_code == 200
    polls = {}
    for key, mode in (("secret1", "secret"), ("secret2", "secret"), ("named", "named")):
        polls[key] = sec.post(f"/api/v1/items/{item}/polls", json={"title": f"表决{key}", "mode": mode}).get_json()["id"]
    mine = {"secret1": "no", "secret2": "abstain", "named": "yes"}
    n = 0
    for key, pid in polls.items():
        assert sec.post(f"/api/v1/polls/{pid}/open", json={}).status_code == 200
        for who in names:
            n += 1
            choice = mine[key] if who == A else "yes"
            body = ballot(choice, n) if polls[key] != polls["named"] else {"choice": choice, "ballot_id": f"{n:032x}"}
            assert tablets[who].post(f"/api/v1/polls/{pid}/ballots", json=body).status_code == 200
        assert sec.post(f"/api/v1/polls/{pid}/close").status_code == 200
    # Speaking: A is given the floor and finishes; B withdraws; C waits.
    for who in (A, B, C):
        assert tablets[who].post(f"/api/v1/meetings/{mid}/speak").status_code == 200
    tablets[B].post(f"/api/v1/meetings/{mid}/speak/withdraw")
    rid = app.extensions["yishi"].store.scalar("SELECT id FROM speak_requests WHERE person_id = ?", (person_id(app, A),))
    assert sec.post(f"/api/v1/meetings/{mid}/speak/{rid}", json={"status": "speaking"}).status_code == 200
    assert sec.post(f"/api/v1/meetings/{mid}/speak/{rid}", json={"status": "done"}).status_code == 200
    assert sec.post(f"/api/v1/meetings/{mid}/close").status_code == 200
    year = datetime.date.fromtimestamp(time.time() + 600).year
    a = person_id(app, A)
    r = tablets[A].get(f"/api/v1/people/{a}/record?year={year}")
    assert r.status_code == 200
    raw = r.get_data(as_text=True)
    rec = json.loads(raw)
    assert [(p["title"], p["mode"], p.get("choice")) for p in rec["polls"]] == [
        ("表决secret1", "secret", None), ("表决secret2", "secret", None), ("表决named", "named", "yes")]
    assert all(p["took_part"] for p in rec["polls"])
    assert '"no"' not in raw and '"abstain"' not in raw and "反对" not in raw and "弃权" not in raw
    assert [s["meeting_title"] for s in rec["speeches"]] == ["表决测试会议"]
    assert rec["tally"]["attended"] == 1
    for who in (B, C):
        other = sec.get(f"/api/v1/people/{person_id(app, who)}/record?year={year}").get_json()
        assert other["speeches"] == [] and len(other["polls"]) == 3
    r = tablets[A].get(f"/api/v1/people/{a}/record.pdf?year={year}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = pdf_text(r.data, tmp_path, "record.pdf")
    assert f"{A} {year}年度履职档案" in text and "参加表决（3 次）" in text and "会议发言（1 次）" in text
    assert text.count("已参加表决") == 3 and "表决意见：赞成" in text
    assert "反对" not in text and "弃权" not in text, "a secret poll's choice is in the 履职档案"
    fonts_embedded(r.data, tmp_path, "record.pdf")
    page = tablets[A].get(f"/attendance/{a}?year={year}").get_data(as_text=True)
    assert "反对" not in page and "弃权" not in page and "记名表决：赞成" in page  # Chinese takes the full-width colon
