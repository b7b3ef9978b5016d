"""Minutes hold the names, counts and outcomes; `yishi minutes` writes the same PDF."""

import subprocess

from tests.conftest import YISHI, need


def pdf_text(path):
    return subprocess.run([need("pdftotext"), "-layout", path, "-"], capture_output=True, text=True, check=True).stdout


def test_demo_held_meeting_minutes_by_cli(tmp_path):
    d = str(tmp_path / "demo")
    r = subprocess.run([YISHI, "demo", "--data", d], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = str(tmp_path / "m.pdf")
    r = subprocess.run([YISHI, "minutes", "--data", d, "--passphrase-file", f"{d}/demo-passphrase.txt", "2", "--out", out],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    text = pdf_text(out)
    assert "区第十八届人大常委会第四次会议" in text
    assert "应到 15 人，实到 13 人，请假 1 人，缺席 1 人" in text
    assert "朱红（出差）" in text and "缺席：胡斌" in text
    assert text.count("— 需 8 票 —") == 3 and "无记名按表决器" in text
    assert "审计日志链头哈希" in text
    r = subprocess.run([YISHI, "minutes", "--data", d, "--passphrase-file", f"{d}/demo-passphrase.txt", "99", "--out", out],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "no meeting 99" in r.stderr


def test_show_of_hands_and_named_votes_in_minutes(demo_app, tmp_path):
    from appliance.devices import people
    from appliance.meetings import core, minutes, polls

    st = demo_app.extensions["yishi"].store
    members = people.everyone(st, role="member")
    mid = core.create(st, None, "standing", "记录测试会议", 0)
    core.open_signin(st, None, mid)
    for m in members[:10]:
        core.sign_in(st, m.id, mid)
    a = core.add_item(st, None, mid, "记名议题", "bill")
    b = core.add_item(st, None, mid, "举手议题", "bill")
    pa = polls.create(st, None, a, mode="named", rule="two_thirds_or_more")
    polls.open_(st, None, pa)
    for i, m in enumerate(members[:10]):
        polls.cast(st, m, pa, "no" if i == 0 else "yes", "%032x" % (i + 1))
    polls.close(st, None, pa)
    pb = polls.create(st, None, b)
    polls.show_of_hands(st, None, pb, 7, 2, 1, "表决器故障")
    core.get(st, mid)
    out = tmp_path / "m.pdf"
    out.write_bytes(minutes.render_pdf(st, mid))
    text = pdf_text(str(out))
    assert "赞成 9，反对 1，弃权 0，未表决 0 — 需 10 票 — 未通过" in text
    assert "反对：王建国" in text and "记名按表决器" in text
    assert "举手表决" in text and "表决器故障" in text
    assert "赞成 7，反对 2，弃权 1，未表决 0 — 需 8 票 — RESULT".replace("RESULT", "未通过") in text
