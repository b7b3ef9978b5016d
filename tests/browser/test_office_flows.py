"""The digital office in real Chromium against a real gunicorn server over HTTPS: a circulation
read by 7 of 10, a draft commented on by 3 and exported, a sign-off through every step with a
return, and a Chinese search that finds a word inside a PDF."""

import io
import os
import time

import httpx
import pytest

from tests.conftest import PASSPHRASE, artifact_path, make_store, start_server
from tests.office.helpers import chinese_pdf

pytestmark = [pytest.mark.browser, pytest.mark.server]
MEMBERS = 8  # members 1..8 get a laptop login too, so each can be a separate browser


@pytest.fixture(scope="module")
def office_server(tmp_path_factory):
    from appliance import demo
    from appliance.devices import secrets_

    d = str(tmp_path_factory.mktemp("office") / "data")
    store, _ = make_store(d)
    demo.populate(store)
    with store.write() as db:
        for seat in range(1, MEMBERS + 1):
            db.execute("UPDATE people SET username = ?, password_hash = ? WHERE seat = ?",
                       (f"m{seat}", secrets_.hash_password(f"member-pass-{seat}"), seat))
    store.close()
    pf = os.path.join(os.path.dirname(d), "passphrase")
    with open(pf, "w") as f:
        f.write(PASSPHRASE + "\n")
    server = start_server(d, pf)
    yield server
    server.stop()


def login(new_context, server, username, password, **kw):
    page = new_context(**kw).new_page()
    page.goto(server.url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_url(server.url + "/")
    return page


def api_login(server, username, password):
    c = httpx.Client(base_url=server.url, headers={"Origin": server.url}, verify=False, timeout=10)
    assert c.post("/api/v1/login", json={"username": username, "password": password}).status_code == 200
    return c


def tick(page, names):
    for name in names:
        page.locator("label.person", has_text=name).locator("input").check()


def test_circulation_to_ten_seven_read(office_server, new_context):
    from appliance import demo

    s = office_server
    staff = login(new_context, s, "staff", "yishi-staff")
    staff.goto(s.url + "/office/circulations/new")
    staff.fill("#title", "关于学习贯彻区委人大工作会议精神的通知")
    staff.set_input_files("#file", files=[{"name": "通知.pdf", "mimeType": "application/pdf",
                                          "buffer": chinese_pdf("学习贯彻会议精神")}])
    recipients = demo.MEMBERS[:MEMBERS] + ["高远", "林晓"]
    tick(staff, recipients)
    staff.click("#send")
    staff.wait_for_selector("#receipts")
    assert "0 / 10" in staff.locator("#receipts h2").inner_text()
    cid = staff.locator("[data-circulation]").get_attribute("data-circulation")

    # A member on a tablet: the item is in the inbox, opening it records it, one tap confirms.
    member = login(new_context, s, "m1", "member-pass-1")
    member.goto(s.url + "/office/")
    member.click(f"a[href='/office/circulations/{cid}']")
    member.click("#confirm-read")
    assert "确认已阅" in member.locator("#my-receipt").inner_text()
    member.screenshot(path=artifact_path("office-circulation-member.png"), full_page=True)

    # The leader, away on business, on a phone: 已阅 with an instruction (阅示).
    boss = login(new_context, s, "leader", "yishi-leader", viewport={"width": 390, "height": 844})
    boss.goto(s.url + f"/office/circulations/{cid}")
    boss.fill("#remark", "请各委室认真组织学习。")
    boss.click("#confirm-read")
    boss.wait_for_selector("#my-receipt")

    # Five more read through the API (their tablets); three do not.
    readers = [f"m{i}" for i in range(2, 7)]
    for u in readers:
        c = api_login(s, u, f"member-pass-{u[1:]}")
        assert c.post(f"/api/v1/office/circulations/{cid}/read", json={}).status_code == 200
    staff.goto(s.url + f"/office/circulations/{cid}")
    assert "7 / 10" in staff.locator("#receipts h2").inner_text()
    not_read = sorted(staff.locator("#not-read .person-name").all_inner_texts())
    assert not_read == sorted([demo.MEMBERS[6], demo.MEMBERS[7], "林晓"])
    assert "请各委室认真组织学习。" in staff.locator("#receipt-table").inner_text()

    # The reminder reaches an unread member's open page live.
    late = login(new_context, s, "m7", "member-pass-7")
    late.goto(s.url + "/office/")
    late.wait_for_timeout(500)  # the event stream connects
    staff.click("#remind")
    late.locator("#office-live").wait_for(state="visible", timeout=5000)
    assert "提醒" in late.locator("#office-live").inner_text()
    staff.screenshot(path=artifact_path("office-circulation-receipts.png"), full_page=True)


def test_draft_with_three_comments_exported(office_server, new_context):
    from docx import Document

    from appliance import demo

    s = office_server
    staff = login(new_context, s, "staff", "yishi-staff")
    staff.goto(s.url + "/office/consultations/new")
    staff.fill("#title", "常委会会议文件无纸化管理办法（征求意见稿）")
    staff.fill("#text", "第一条 为规范会议文件管理，制定本办法。\n第二条 会议文件通过议事系统分发。\n第三条 本办法自印发之日起施行。")
    staff.fill("#deadline", time.strftime("%Y-%m-%d", time.localtime(time.time() + 7 * 86400)))
    tick(staff, demo.MEMBERS[:3])
    staff.click("#send")
    staff.wait_for_selector("#responses")
    cid = staff.locator("[data-consultation]").get_attribute("data-consultation")
    assert len(staff.locator("#not-responded").inner_text().split("、")) == 3

    comments = [(1, 1, "建议增加“和会议记录”。"), (2, 2, "建议明确涉密文件除外。"), (3, 3, "建议写明具体施行日期。")]
    for seat, para, text in comments:
        p = login(new_context, s, f"m{seat}", f"member-pass-{seat}")
        p.goto(s.url + f"/office/consultations/{cid}")
        block = p.locator(f"#p{para}")
        block.locator("summary").click()
        block.locator("textarea").fill(text)
        block.locator("button.primary").click()
        p.wait_for_selector(f"#p{para} .office-comment")
        time.sleep(1.05)  # distinct minutes are not needed, distinct seconds make the order visible

    staff.goto(s.url + f"/office/consultations/{cid}")
    assert staff.locator(".office-comment").count() == 3
    staff.locator("#p2 .office-dispose select").select_option("not_adopted")
    staff.locator("#p2 .office-dispose input[name=reason]").fill("涉密文件另有规定")
    staff.locator("#p2 .office-dispose button").click()
    staff.wait_for_selector("#p2 .office-disposition")
    with staff.expect_download() as dl:
        staff.click("#export-docx")
    path = artifact_path("意见汇总表.docx")
    dl.value.save_as(path)
    rows = [[c.text for c in r.cells] for r in Document(path).tables[0].rows]
    assert rows[0][1:5] == ["段落", "原文", "意见或修改建议", "提出人"]
    assert [(r[1], r[3], r[4]) for r in rows[1:]] == [
        ("第 1 段", comments[0][2], demo.MEMBERS[0]), ("第 2 段", comments[1][2], demo.MEMBERS[1]),
        ("第 3 段", comments[2][2], demo.MEMBERS[2])]
    times = [r[5] for r in rows[1:]]
    assert times == sorted(times)
    assert rows[2][6] == "不采纳：涉密文件另有规定"
    with staff.expect_download() as dl:
        staff.click("#export-pdf")
    assert dl.value.path().read_bytes().startswith(b"%PDF-")
    staff.screenshot(path=artifact_path("office-consultation.png"), full_page=True)


def test_sign_off_every_step_with_a_return(office_server, new_context):
    s = office_server
    staff = login(new_context, s, "staff", "yishi-staff")
    staff.goto(s.url + "/office/outgoing/new")
    staff.fill("#title", "关于召开区人大常委会第五次会议的通知")
    staff.select_option("#kind", "ban")
    staff.set_input_files("#file", files=[{"name": "通知.pdf", "mimeType": "application/pdf", "buffer": chinese_pdf("会议通知")}])
    staff.select_option("#step-check", label="林晓")
    staff.select_option("#step-sign", label="高远")
    staff.click("#start")
    staff.wait_for_selector("#decide")
    oid = staff.locator("[data-outgoing]").get_attribute("data-outgoing")
    url = s.url + f"/office/outgoing/{oid}"
    staff.click("#approve")
    staff.wait_for_selector("#decide", state="detached")

    sec = login(new_context, s, "secretary", "yishi-secretary")
    sec.goto(url)
    sec.locator(".office-return summary").click()
    sec.fill("#return-reason", "会议时间需与主任会确认")
    with sec.expect_navigation():
        sec.click("#return")
    sec.screenshot(path=artifact_path("office-signoff-return.png"), full_page=True)
    assert "文件已退回。" in sec.locator(".flash").all_inner_texts()
    sec.wait_for_selector("#decision-table tr.return")

    staff.goto(url)
    staff.click("#approve")
    staff.wait_for_selector("#decide", state="detached")
    sec.goto(url)
    sec.dblclick("#approve")  # a double tap: one decision
    sec.wait_for_selector("#decide", state="detached")

    # The leader, from a phone on the network: one tap plus PIN, after the item is pushed to the inbox.
    boss = login(new_context, s, "leader", "yishi-leader", viewport={"width": 390, "height": 844})
    boss.goto(s.url + "/office/")
    boss.click(f"#inbox-signoff a[href='/office/outgoing/{oid}']")
    boss.fill("#approve-remark", "同意。")
    boss.fill("#pin", "555555")
    boss.click("#approve")
    boss.wait_for_selector("#decide", state="detached")
    boss.screenshot(path=artifact_path("office-signoff-leader.png"), full_page=True)

    staff.goto(url)
    staff.click("#approve")  # numbering
    staff.wait_for_selector("#doc-number")
    staff.click("#approve")  # issue
    staff.wait_for_selector("#issued")
    year = time.localtime().tm_year
    assert staff.locator("#doc-number").inner_text().strip() == f"大安人大办〔{year}〕1号"
    decisions = staff.locator("#decision-table tbody tr")
    assert decisions.count() == 7
    assert "退回" in decisions.nth(1).inner_text() and "会议时间需与主任会确认" in decisions.nth(1).inner_text()
    staff.screenshot(path=artifact_path("office-signoff-issued.png"), full_page=True)


def test_chinese_search_finds_a_word_inside_a_pdf(office_server, new_context):
    s = office_server
    staff = login(new_context, s, "staff", "yishi-staff")
    staff.goto(s.url + "/office/archive")
    staff.locator("details summary").click()
    staff.fill("#file-title", "区人大常委会2026年工作要点")
    staff.set_input_files("#file-file", files=[{"name": "要点.pdf", "mimeType": "application/pdf",
                                               "buffer": chinese_pdf("一、加强对财政预算执行情况的监督", "二、开展代表建议督办")}])
    staff.click("#file-submit")
    staff.wait_for_selector("#entry")
    # The upload answered before the PDF's text was read (a worker reads it): search until the
    # body is in the index, as a secretary who searches a moment later would find it.
    deadline = time.monotonic() + 90
    while True:
        staff.goto(s.url + "/office/archive")
        staff.fill("#q", "预算")
        staff.click("#search")
        staff.wait_for_load_state()
        if staff.locator(".office-result").count() or time.monotonic() > deadline:
            break
        staff.wait_for_timeout(500)
    first = staff.locator(".office-result").first
    assert "区人大常委会2026年工作要点" in first.inner_text()
    assert first.locator(".office-excerpt mark").first.inner_text() == "预算"
    staff.fill("#q", "《》！")
    staff.click("#search")
    assert "请至少输入" in staff.locator("#search-notice").inner_text()
    # A member with no grant does not find the (unclassified but office-only) document.
    member = login(new_context, s, "m8", "member-pass-8")
    member.goto(s.url + "/office/archive?q=" + "预算")
    assert member.locator(".office-result").count() == 0
    staff.goto(s.url + "/office/archive?q=预算")
    staff.screenshot(path=artifact_path("office-search.png"), full_page=True)
    assert io  # keep the import for debugging downloads
