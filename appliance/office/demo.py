"""Demo content for the office: a circulation half read, a draft for comment, a document
waiting for the leader's sign-off, and a filed document to search for."""

import io
import time

from appliance.devices import people


def _pdf(*lines):
    from reportlab.pdfgen import canvas

    from appliance.office.export import _register_font

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.setFont(_register_font(), 14)
    for i, line in enumerate(lines):
        c.drawString(60, 780 - 24 * i, line)
    c.showPage()
    c.save()
    return out.getvalue()


def add_demo(store, fresh):
    from appliance.office import archive, circulation, consultation, outgoing

    if not fresh or store.scalar("SELECT count(*) FROM circulations"):
        return []
    staff = people.by_username(store, "staff")
    leader = people.by_username(store, "leader")
    secretary = people.by_username(store, "secretary")
    members = people.everyone(store, "member")
    cid = circulation.send(store, staff, "关于学习贯彻区委人大工作会议精神的通知", groups=["members", "leaders"],
                           note="请于本周五前阅知。", filename="通知.pdf",
                           data=_pdf("关于学习贯彻区委人大工作会议精神的通知", "各位常委会组成人员：", "请认真学习会议精神。"))
    for m in members[:5]:
        circulation.confirm_read(store, m, cid)
    consultation.publish_draft(
        store, staff, "常委会会议文件无纸化管理办法（征求意见稿）", time.time() + 7 * 86400, groups=["members"],
        text="第一条 为规范常委会会议文件管理，节约资源，制定本办法。\n第二条 会议文件通过议事系统分发，原则上不再印发纸质材料。\n"
             "第三条 涉密文件的使用范围按有关规定执行。\n第四条 本办法自印发之日起施行。")
    oid = outgoing.create(store, staff, "关于召开区人大常委会第五次会议的通知", "ban", "会议通知.pdf",
                          _pdf("关于召开区人大常委会第五次会议的通知", "会议审议2026年财政预算调整方案。"),
                          [("draft", staff.id), ("check", secretary.id), ("sign", leader.id), ("number", staff.id), ("issue", staff.id)],
                          groups=["members"])
    outgoing.decide(store, staff, oid, "approve", "请核稿")
    outgoing.decide(store, secretary, oid, "approve", "已核")
    archive.file_document(store, staff, "区人大常委会2026年工作要点", "要点.pdf",
                          _pdf("区人大常委会2026年工作要点", "一、加强对财政预算执行情况的监督", "二、开展代表建议督办"),
                          category="收文")
    return ["Office: a circulation (5 of 16 read), a draft for comment, a notice waiting for 高远's sign-off "
            "(PIN 555555), and a filed document (search 预算)."]
