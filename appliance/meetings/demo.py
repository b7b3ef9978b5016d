"""Demo content for the meeting room: one upcoming meeting with six items and materials, and
one held meeting with its votes, results and minutes (the seed story's 29 June 2017 session)."""

import io
import random
import time

from appliance.devices import people
from appliance.meetings import core, materials, minutes, polls

UPCOMING = [
    ("关于修改《大安区人大常委会人事任免办法》的决定（草案）", "regulation", None, None),
    ("关于《人事任免办法》第十二条的修正案", "amendment", None, None),
    ("关于批准 2026 年区级预算调整方案的决议（草案）", "bill", None, None),
    ("免去李某某区人民政府办公室主任职务", "appointment", "区人民政府办公室主任", "remove"),
    ("任命张某某为区人民政府办公室主任", "appointment", "区人民政府办公室主任", "appoint"),
    ("区人民政府关于 2026 年上半年国民经济和社会发展计划执行情况的报告", "report", None, None),
]


def _pdf(title, paragraphs):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    font = minutes._font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    y = 770
    c.setFont(font, 18)
    c.drawCentredString(A4[0] / 2, y, title[:40])
    y -= 40
    c.setFont(font, 12)
    for p in paragraphs:
        for line in minutes._wrap(p, font, 12, A4[0] - 144):
            c.drawString(72, y, line)
            y -= 20
        y -= 8
    c.save()
    return buf.getvalue()


def _material_text(title):
    return [f"{title}。", "第一条　为规范区人大常委会的人事任免工作，根据有关法律规定，结合本区实际，制定本办法。",
            "第二条　本办法适用于区人大常委会任免的国家机关工作人员。",
            "（本文件为演示材料。）"]


def add_demo(store, fresh):
    if not fresh:
        return []
    chair = people.everyone(store, role="secretary")[0]
    now = time.time()
    upcoming = core.create(store, chair.id, "standing", "区第十八届人大常委会第五次会议", now + 86400, "常委会会议室")
    ids = [core.add_item(store, chair.id, upcoming, t, k, post=post, action=action) for t, k, post, action in UPCOMING]
    for iid, (title, *_rest) in zip(ids, UPCOMING):
        materials.add(store, chair.id, upcoming, title, "material.pdf", _pdf(title, _material_text(title)), item_id=iid)
    materials.add(store, chair.id, upcoming, "会议议程", "agenda.pdf", _pdf("会议议程", [f"{n}. {t}" for n, (t, *_r) in enumerate(UPCOMING, 1)]))
    materials.publish_all(store, chair.id, upcoming)

    held = core.create(store, chair.id, "standing", "区第十八届人大常委会第四次会议", now - 30 * 86400, "常委会会议室")
    core.open_signin(store, chair.id, held)
    members = people.everyone(store, role="member")
    rng = random.Random(629)
    for m in members[:13]:
        core.sign_in(store, m.id, held)
    core.excuse(store, chair.id, held, members[13].id, "出差")
    for title, kind, post, action in UPCOMING[:3]:
        iid = core.add_item(store, chair.id, held, title, kind, post=post, action=action)
        pid = polls.create(store, chair.id, iid, rule="majority")
        polls.open_(store, chair.id, pid)
        for m in members[:13]:
            choice = "yes" if rng.random() < 0.85 else rng.choice(("no", "abstain"))
            polls.cast(store, m, pid, choice, "%032x" % rng.getrandbits(128),
                       "".join(rng.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8)))
        polls.close(store, chair.id, pid)
    doc_id, _ = minutes.close_meeting(store, chair.id, held)
    return [f"Demo meetings: #{upcoming} upcoming with {len(UPCOMING)} items and materials; #{held} held, minutes in document #{doc_id}."]
