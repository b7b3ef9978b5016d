"""The attendance ledger and the 履职档案 as PDFs, drawn with the minutes' machinery
(appliance/meetings/minutes.py: the same embedded CJK TrueType font and line wrapping), plus
table rows for the ledger."""

import time

from appliance.meetings import ledger
from appliance.meetings.minutes import CHOICE_TEXT, MODE_TEXT
from appliance.meetings.minutes import draw_pdf as draw

def _day(ts):
    return time.strftime("%Y-%m-%d", time.localtime(ts))


def _hm(ts):
    return time.strftime("%H:%M", time.localtime(ts))


COLUMNS = (0.0, 0.1, 0.32, 0.45, 0.56, 0.69, 0.8, 0.9)


def ledger_pdf(store, year, rows, committee=""):
    grace = ledger.grace_minutes(store)
    lines = [("h1", f"{committee}{year}年度组成人员出席会议情况"),
             ("p", f"只计已闭会的会议；签到晚于会议开始时间 {grace} 分钟以上计为迟到（迟到计入出席）。"),
             ("head", ledger.CSV_HEADER)]
    for p, t in rows:
        lines.append(("row", [p["seat"] or "", p["name"], t.held, t.attended, t.late, t.excused, t.absent, t.in_progress]))
    lines.append(("p", f"生成时间：{time.strftime('%Y-%m-%d %H:%M:%S')}（议事系统自动生成）"))
    return draw(f"{year}年度出席会议情况", lines, COLUMNS)


def record_pdf(store, person_id, year, committee=""):
    r = ledger.record(store, person_id, year)
    t = r["tally"]
    name = r["person"]["name"]
    lines = [("h1", f"{name} {year}年度履职档案"),
             ("p", f"{committee}　座位号：{r['person']['seat'] or '—'}"),
             ("h2", "出席会议"),
             ("b", f"应出席 {t['held']} 次，出席 {t['attended']} 次（其中迟到 {t['late']} 次），请假 {t['excused']} 次，缺席 {t['absent']} 次"
                   + (f"；进行中 {t['in_progress']} 次" if t["in_progress"] else "") + "。")]
    for m in r["meetings"]:
        extra = f"，签到 {_hm(m['signed_in_at'])}" if m["outcome"] == "late" else (f"（{m['reason']}）" if m["reason"] else "")
        lines.append(("p", f"{_day(m['starts_at'])}　{m['title']}：{ledger.OUTCOME_TEXT[m['outcome']]}{extra}"))
    lines.append(("h2", f"参加表决（{len(r['polls'])} 次）"))
    for p in r["polls"]:
        how = f"，表决意见：{CHOICE_TEXT[p['choice']]}" if "choice" in p else ""
        lines.append(("p", f"{_day(p['starts_at'])}　{p['meeting_title']}　{p['title']}（{MODE_TEXT[p['mode']]}）：已参加表决{how}"))
    if not r["polls"]:
        lines.append(("p", "无。"))
    lines.append(("h2", f"会议发言（{len(r['speeches'])} 次）"))
    for s in r["speeches"]:
        lines.append(("p", f"{_day(s['starts_at'])}　{s['meeting_title']}" + (f"　{s['item']}" if s["item"] else "") + "：发言"))
    if not r["speeches"]:
        lines.append(("p", "无。"))
    lines.append(("p", "注：无记名表决只记载是否参加，不记载表决意见。"))
    lines.append(("p", f"生成时间：{time.strftime('%Y-%m-%d %H:%M:%S')}（议事系统自动生成）"))
    return draw(f"{name} {year}年度履职档案", lines)
