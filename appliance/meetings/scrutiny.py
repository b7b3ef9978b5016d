"""Paper fallback counted by hand under the scrutineers (监票人): switching a poll to paper,
designating the scrutineers, issuing ballot sheets with serials, and the double entry of the
tally that closes the poll as a hand count.

The law says that when the equipment fails, voting goes on and is counted by hand under the
scrutineers. A tally is a mapping of counter names to non-negative integers; each poll kind says
what its counters are, what its paper sheet shows and how a tally closes it (KINDS below: the
motion is 赞成/反对/弃权; other kinds register here). A tally is accepted only when two entries by
two different scrutineers agree exactly; on a disagreement both entries are set aside, nothing
is counted, both are told which counters differ, and they enter again. Storage: migration 0010.
"""

import json
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from appliance.devices import people
from appliance.errors import Conflict, Forbidden, NotFound, UserError
from appliance.i18n import lazy_gettext as _l
from appliance.meetings import core, polls
from appliance.meetings import sheets as sheet_polls  # (scrutiny.sheets() is the issued paper sheets)
from appliance.rules import law
from appliance.rules.lockout import LockoutPolicy
from appliance.store import audit

MIN_SCRUTINEERS = 2
MAX_SHEETS = 500
SERIAL_CHARS = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# -- what each poll kind counts on paper ------------------------------------------------------

@dataclass(frozen=True)
class Counter:
    name: str  # the key in a tally
    label: object  # for pages (lazy, translated)
    text: str  # for the sheet and the minutes (Chinese)
    group: str  # one mark per ballot per group: a group's sum is at most the ballots counted


@dataclass(frozen=True)
class SheetLine:
    label: str  # what this line of the sheet is voted on
    choices: tuple  # the boxes, in Chinese


@dataclass(frozen=True)
class Sheet:
    heading: str  # e.g. 表决票
    lines: tuple  # SheetLine, one per thing voted on
    seats: int | None  # elections: 应选 S 名
    instructions: tuple  # how to mark it (Chinese)


@dataclass(frozen=True)
class PaperKind:
    counters: Callable  # (store or db, poll row) -> tuple[Counter]
    sheet: Callable  # (store, poll row) -> Sheet
    close: Callable  # (db, poll row, counts, present, reason, now) -> dict for the audit log


def _motion_counters(conn, poll):
    return tuple(Counter(c, polls.CHOICE_LABELS[c], t, "choice") for c, t in (("yes", "赞成"), ("no", "反对"), ("abstain", "弃权")))


def _motion_sheet(store, poll):
    return Sheet("表决票", (SheetLine(poll["title"], ("赞成", "反对", "弃权")),), None, (
        "请在“赞成”“反对”“弃权”中选择一项，在其下方框内划“√”。",
        "只能划一项；未划或多划的，不计入赞成、反对、弃权。",
        "不得在表决票上书写姓名或作其他标记。表决票由监票人清点和计票。",
    ))


def _motion_close(db, poll, counts, present, reason, now):
    out = law.outcome(poll["membership"], counts["yes"], counts["no"], counts["abstain"], poll["rule"], eligible=present)
    db.execute(
        "UPDATE polls SET status = 'closed', method = 'show_of_hands', fallback_reason = ?, closed_at = ?, eligible = ?, "
        "yes = ?, no = ?, abstain = ?, not_voted = ?, needed = ?, passed = ? WHERE id = ?",
        (reason, now, present, out.yes, out.no, out.abstain, out.not_voted, out.needed, 1 if out.passed else 0, poll["id"]))
    return {"yes": out.yes, "no": out.no, "abstain": out.abstain, "not_voted": out.not_voted, "needed": out.needed,
            "passed": out.passed}


def _sheet_counters(conn, poll):
    """A ballot sheet's counters and their groups, as sheets.py defines them for any hand count."""
    return tuple(Counter(c["key"], c["label"], c["label"], c["group"]) for c in sheet_polls.counters_of(getattr(conn, "conn", conn), poll))


def _sheet_sheet(store, poll):
    rows = sheet_polls.lines(store, poll["id"])
    if poll["kind"] == "assessment":
        return Sheet("满意度测评票", (SheetLine(poll["title"], ("满意", "基本满意", "不满意")),), None, (
            "请在“满意”“基本满意”“不满意”中选择一项，在其下方框内划“√”。",
            "只能划一项；未划或多划的，为无效票。",
            "不得在测评票上书写姓名或作其他标记。测评票由监票人清点和计票。",
        ))
    if poll["kind"] == "appointment":
        return Sheet("任免表决票", tuple(SheetLine(f"{r['name']}（{'免去' if r['action'] == 'remove' else '任命'}{r['post'] or ''}）",
                                               ("赞成", "反对", "弃权")) for r in rows), None, (
            "对每一名人选，在“赞成”“反对”“弃权”中选择一项，在其下方框内划“√”。",
            "对某一人选未划或多划的，该人选不计入赞成、反对、弃权。",
            "不得在表决票上书写姓名或作其他标记。表决票由监票人清点和计票。",
        ))
    seats = poll["seats"]
    write_ins = tuple(SheetLine("另选他人：＿＿＿＿＿＿", ("赞成",)) for _ in range(max(seats or 0, 1)))
    return Sheet("选票", tuple(SheetLine(r["name"], ("赞成", "反对", "弃权")) for r in rows) + write_ins, seats, (
        f"本次应选{seats}名。对候选人可以赞成、反对或弃权；赞成的人数（含另选他人）多于应选人数的，本票作废。",
        "另选他人的，在空格内写上其姓名并在“赞成”下方框内划“√”；只能另选本次选举名单所列的可另选人员。",
        "不得在选票上书写其他内容。选票由监票人清点和计票。",
    ))


def _sheet_close(db, poll, counts, present, reason, now):
    return sheet_polls.close_counts(db, poll, counts, present, reason, now)


_SHEET = PaperKind(_sheet_counters, _sheet_sheet, _sheet_close)
KINDS = {"motion": PaperKind(_motion_counters, _motion_sheet, _motion_close),
         "assessment": _SHEET, "appointment": _SHEET, "election": _SHEET}


def kind_of(poll):
    """The poll's kind: polls without a kind column (or with none set) are motions."""
    keys = poll.keys() if hasattr(poll, "keys") else ()
    kind = poll["kind"] if "kind" in keys and poll["kind"] else "motion"
    if kind not in KINDS:
        raise Conflict("no_paper_kind", _l("This kind of vote cannot be counted on paper yet."))
    return KINDS[kind]


def counters(store_or_db, poll):
    return kind_of(poll).counters(store_or_db, poll)


def sheet(store, poll):
    return kind_of(poll).sheet(store, poll)


def close_from_counts(db, poll, counts, present, reason, now):
    """Close `poll` (a row with meeting_id) from an accepted tally, by its kind's rule."""
    return kind_of(poll).close(db, poll, counts, present, reason, now)


# -- reading ---------------------------------------------------------------------------------

def paper(store_or_db, poll_id):
    """The poll's paper_polls row, or None when it is not on paper."""
    return _q(store_or_db, "SELECT * FROM paper_polls WHERE poll_id = ?", (poll_id,)).fetchone()


def _q(store_or_db, sql, params):
    conn = getattr(store_or_db, "conn", store_or_db)
    return conn.execute(sql, params)


def scrutineers(store_or_db, poll):
    """(id, name, seat) of the poll's scrutineers: those designated for it, else for its meeting."""
    sql = ("SELECT p.id, p.name, p.seat FROM scrutineers s JOIN people p ON p.id = s.person_id "
           "WHERE s.meeting_id = ? AND s.poll_id = ? ORDER BY p.seat IS NULL, p.seat, p.id")
    rows = _q(store_or_db, sql, (poll["meeting_id"], poll["id"])).fetchall()
    return rows or _q(store_or_db, sql, (poll["meeting_id"], 0)).fetchall()


def meeting_scrutineers(store, meeting_id):
    return store.all("SELECT p.id, p.name, p.seat, s.poll_id FROM scrutineers s JOIN people p ON p.id = s.person_id "
                     "WHERE s.meeting_id = ? ORDER BY s.poll_id, p.seat IS NULL, p.seat, p.id", (meeting_id,))


def entries(store_or_db, poll_id):
    return _q(store_or_db, "SELECT e.*, p.name FROM tally_entries e JOIN people p ON p.id = e.person_id "
                           "WHERE e.poll_id = ? ORDER BY e.entered_at", (poll_id,)).fetchall()


def sheets(store, poll_id):
    return store.all("SELECT number, serial FROM paper_sheets WHERE poll_id = ? ORDER BY number", (poll_id,))


def _present(db, meeting_id):
    return polls._present_members(getattr(db, "conn", db), meeting_id)


def state(store, poll_id, viewer=None):
    """What the console and a scrutineer see: never another scrutineer's counts."""
    p = polls.get(store, poll_id)
    pp = paper(store, poll_id)
    who = scrutineers(store, p)
    out = {
        "poll": p["id"], "title": p["title"], "status": p["status"], "meeting": p["meeting_id"],
        "on_paper": pp is not None, "reason": pp["reason"] if pp else None,
        "round": pp["round"] if pp else None, "mismatch": json.loads(pp["mismatch"]) if pp and pp["mismatch"] else [],
        "accepted": bool(pp and pp["accepted_at"]),
        "present": _present(store, p["meeting_id"]),
        "sheets": store.scalar("SELECT count(*) FROM paper_sheets WHERE poll_id = ?", (poll_id,)),
        "scrutineers": [{"id": r["id"], "name": r["name"], "seat": r["seat"]} for r in who],
        "counters": [{"name": c.name, "label": str(c.label)} for c in counters(store, p)],
        "entries": [], "mine": None,
        "i_am_scrutineer": viewer is not None and any(r["id"] == viewer.id for r in who),
    }
    for e in entries(store, poll_id) if pp else ():
        out["entries"].append({"person": e["person_id"], "name": e["name"], "entered_at": e["entered_at"]})
        if viewer is not None and e["person_id"] == viewer.id:
            out["mine"] = json.loads(e["counts"])
    return out


# -- changing --------------------------------------------------------------------------------

def _poll_for_write(db, poll_id):
    p = polls._poll_row(db, poll_id)
    if p is None:
        raise NotFound("no_poll", _l("No such vote."))
    return p


def switch_to_paper(store, actor_id, poll_id, reason, now=None):
    """改为纸质表决: a draft poll opens on paper (quorum needed, as for any opening); an open poll's
    electronic ballots so far are set aside, since every member votes again on paper.
    Returns (poll row, whether it was opened now)."""
    now = time.time() if now is None else now
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 200:
        raise UserError("reason_required", _l("Give the reason for voting on paper (1 to 200 characters)."), field="reason")
    with store.write() as db:
        p = _poll_for_write(db, poll_id)
        kind_of(p)
        if p["status"] == "closed":
            raise Conflict("poll_closed", _l("This vote is already closed."))
        if paper(db, poll_id) is not None:
            raise Conflict("already_on_paper", _l("This vote is already on paper."))
        m = db.execute("SELECT * FROM meetings WHERE id = ?", (p["meeting_id"],)).fetchone()
        if m["status"] != "open":
            raise Conflict("meeting_not_open", _l("Open the meeting (sign-in) before voting."))
        present = _present(db, p["meeting_id"])
        opened = p["status"] == "draft"
        if opened:
            if db.execute("SELECT 1 FROM polls q JOIN agenda_items i ON i.id = q.item_id WHERE i.meeting_id = ? AND q.status = 'open'",
                          (p["meeting_id"],)).fetchone():
                raise Conflict("other_poll_open", _l("Another vote is still open. Close it first."))
            if not law.quorum_met(m["membership"], present):
                raise Conflict("no_quorum", _l("No quorum: %(present)d of %(n)d members are present, %(need)d are needed. The vote cannot be opened.",
                                               present=present, n=m["membership"], need=law.quorum_needed(m["membership"])))
            sheet_polls.check_may_open(db, p)  # 先免后任 holds on paper too
            db.execute("UPDATE polls SET status = 'open', opened_at = ?, closes_at = NULL, membership = ? WHERE id = ?",
                       (now, m["membership"], poll_id))
            db.execute("UPDATE meetings SET current_item = ? WHERE id = ?", (p["item_id"], p["meeting_id"]))
        else:
            db.execute("UPDATE polls SET closes_at = NULL WHERE id = ?", (poll_id,))
        discarded = db.execute("SELECT count(*) FROM poll_participation WHERE poll_id = ?", (poll_id,)).fetchone()[0]
        db.execute("DELETE FROM ballots WHERE poll_id = ?", (poll_id,))
        db.execute("DELETE FROM named_votes WHERE poll_id = ?", (poll_id,))
        db.execute("DELETE FROM sheet_ballots WHERE poll_id = ?", (poll_id,))
        db.execute("DELETE FROM poll_participation WHERE poll_id = ?", (poll_id,))
        db.execute("INSERT INTO paper_polls (poll_id, reason, switched_by, switched_at) VALUES (?,?,?,?)",
                   (poll_id, reason, actor_id if isinstance(actor_id, int) else None, now))
        audit.record(db, actor_id, "poll.paper", {"poll": poll_id, "reason": reason, "opened": opened, "present": present,
                                                  "electronic_discarded": discarded}, now)
    return polls.get(store, poll_id), opened


def designate(store, actor_id, meeting_id, person_ids, poll_id=None, now=None):
    """Designate the scrutineers (at least two, from the people on the meeting's list) for the
    meeting, or for one poll. Replaces the set; an open entry by someone no longer designated
    is set aside."""
    now = time.time() if now is None else now
    if not isinstance(person_ids, list) or any(not isinstance(i, int) or isinstance(i, bool) for i in person_ids):
        raise UserError("bad_scrutineers", _l("Choose the scrutineers from the list."), field="people")
    ids = list(dict.fromkeys(person_ids))
    if len(ids) < MIN_SCRUTINEERS:
        raise UserError("too_few_scrutineers", _l("Designate at least two scrutineers."), field="people")
    m = core.get(store, meeting_id)
    if m["status"] == "closed":
        raise Conflict("meeting_closed", _l("This meeting is closed."))
    with store.write() as db:
        scope = 0
        if poll_id is not None:
            p = polls._poll_row(db, poll_id)
            if p is None or p["meeting_id"] != meeting_id:
                raise NotFound("no_poll", _l("No such vote."), field="poll")
            if p["status"] == "closed":
                raise Conflict("poll_closed", _l("This vote is already closed."))
            scope = poll_id
        listed = {r[0] for r in db.execute("SELECT person_id FROM meeting_people WHERE meeting_id = ?", (meeting_id,))}
        strangers = [i for i in ids if i not in listed]
        if strangers:
            raise UserError("not_on_list", _l("A scrutineer must be on the list of this meeting."), field="people", people=strangers)
        db.execute("DELETE FROM scrutineers WHERE meeting_id = ? AND poll_id = ?", (meeting_id, scope))
        db.executemany("INSERT INTO scrutineers (meeting_id, poll_id, person_id, designated_by, designated_at) VALUES (?,?,?,?,?)",
                       [(meeting_id, scope, i, actor_id if isinstance(actor_id, int) else None, now) for i in ids])
        dropped = 0
        for (pid,) in db.execute(
                "SELECT pp.poll_id FROM paper_polls pp JOIN polls q ON q.id = pp.poll_id JOIN agenda_items i ON i.id = q.item_id "
                "WHERE i.meeting_id = ? AND pp.accepted_at IS NULL", (meeting_id,)).fetchall():
            keep = {r["id"] for r in scrutineers(db, {"id": pid, "meeting_id": meeting_id})}
            for (who,) in db.execute("SELECT person_id FROM tally_entries WHERE poll_id = ?", (pid,)).fetchall():
                if who not in keep:
                    db.execute("DELETE FROM tally_entries WHERE poll_id = ? AND person_id = ?", (pid, who))
                    dropped += 1
        audit.record(db, actor_id, "scrutineers.designate", {"meeting": meeting_id, "poll": poll_id, "people": ids,
                                                             "entries_set_aside": dropped}, now)
    return ids


def issue_sheets(store, actor_id, poll_id, count=None, now=None):
    """Issue `count` ballot sheets (default: one per member present), each with its own serial.
    Only the serials are kept, never who received which sheet."""
    now = time.time() if now is None else now
    p = polls.get(store, poll_id)
    kind_of(p)
    if p["status"] == "closed":
        raise Conflict("poll_closed", _l("This vote is already closed."))
    if count is None:
        count = _present(store, p["meeting_id"])
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_SHEETS:
        raise UserError("bad_sheet_count", _l("Print between 1 and %(max)d sheets.", max=MAX_SHEETS), field="count")
    with store.write() as db:
        start = db.execute("SELECT coalesce(max(number), 0) FROM paper_sheets WHERE poll_id = ?", (poll_id,)).fetchone()[0]
        if start + count > MAX_SHEETS:
            raise UserError("bad_sheet_count", _l("Print between 1 and %(max)d sheets.", max=MAX_SHEETS), field="count")
        rows = [(poll_id, n, f"{poll_id}-{n:03d}-{''.join(secrets.choice(SERIAL_CHARS) for _ in range(4))}", now)
                for n in range(start + 1, start + count + 1)]
        db.executemany("INSERT INTO paper_sheets (poll_id, number, serial, issued_at) VALUES (?,?,?,?)", rows)
        audit.record(db, actor_id, "paper.sheets", {"poll": poll_id, "from": start + 1, "to": start + count}, now)
    return start + 1, start + count


@dataclass(frozen=True)
class EntryOutcome:
    status: str  # waiting (the other entry is yet to come), mismatch, accepted
    differ: tuple = ()
    round: int = 1
    result: object = None


def _check_counts(conn, poll, counts):
    """The tally's shape, before anything is read or written: every counter, nothing else, each a
    whole number of zero or more."""
    cs = counters(conn, poll)
    if not isinstance(counts, dict):
        raise UserError("bad_counts", _l("Enter a count for every choice."), field="counts")
    names = {c.name for c in cs}
    for k in counts:
        if k not in names:
            raise UserError("unknown_count", _l("This vote has no count named %(name)s.", name=k), field=f"counts.{k}")
    for c in cs:
        v = counts.get(c.name)
        if v is None:
            raise UserError("missing_count", _l("Enter a count for %(label)s.", label=c.label), field=f"counts.{c.name}")
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            raise UserError("bad_count", _l("Enter whole numbers of zero or more for each count."), field=f"counts.{c.name}")
    return {c.name: counts[c.name] for c in cs}


def _check_bounds(db, poll, counts):
    present = _present(db, poll["meeting_id"])
    issued = db.execute("SELECT count(*) FROM paper_sheets WHERE poll_id = ?", (poll["id"],)).fetchone()[0]
    groups = {}
    for c in counters(db, poll):
        groups.setdefault(c.group, []).append(c)
    for cs in groups.values():
        total = sum(counts[c.name] for c in cs)
        if total > present:
            raise UserError("too_many", _l("%(total)d ballots counted but only %(present)d members are present.",
                                           total=total, present=present), field=f"counts.{cs[0].name}")
        if issued and total > issued:
            raise UserError("too_many_sheets", _l("%(total)d ballots counted but only %(sheets)d sheets were handed out.",
                                                  total=total, sheets=issued), field=f"counts.{cs[0].name}")
    return present


def _refuse_entry(db, p, pp, who):
    if pp is None:
        raise Conflict("not_on_paper", _l("This vote is not on paper. The secretary switches it to paper first."))
    if pp["accepted_at"] is not None or p["status"] == "closed":
        raise Conflict("tally_closed", _l("The count of this vote has already been accepted; it cannot be entered again."))
    if not any(r["id"] == who for r in scrutineers(db, p)):
        raise Forbidden("not_a_scrutineer", _l("Only a scrutineer designated for this vote enters its count."))
    if db.execute("SELECT 1 FROM tally_entries WHERE poll_id = ? AND person_id = ?", (p["id"], who)).fetchone():
        raise Conflict("same_scrutineer", _l("You have already entered this count. The second entry is made by another scrutineer."))


def enter(store, actor, poll_id, counts, pin, scrutineer_id=None, policy=LockoutPolicy(), device_id=None, now=None):
    """One scrutineer's entry of the tally, confirmed with their own PIN (their own device, or one
    device shared by turns: `scrutineer_id` names who is entering). The second entry by another
    scrutineer is compared at once: equal, the poll closes as a hand count; not, both are set aside."""
    now = time.time() if now is None else now
    who = actor.id if scrutineer_id is None else scrutineer_id
    p = polls.get(store, poll_id)
    clean = _check_counts(store, p, counts)
    _refuse_entry(store.conn, p, paper(store, poll_id), who)
    _check_bounds(store.conn, p, clean)
    if not isinstance(pin, str) or not pin:
        raise UserError("pin_required", _l("Enter your PIN to confirm the count."), field="pin")
    person = people.get(store, who)
    people.check_secret(store, who, pin, "pin" if person.has_pin else "password", policy, device_id=device_id)
    with store.write() as db:
        p = _poll_for_write(db, poll_id)
        pp = paper(db, poll_id)
        _refuse_entry(db, p, pp, who)  # again, inside the transaction: the other entry may just have landed
        present = _check_bounds(db, p, clean)
        others = db.execute("SELECT person_id, counts FROM tally_entries WHERE poll_id = ?", (poll_id,)).fetchall()
        db.execute("INSERT INTO tally_entries (poll_id, person_id, counts, entered_at, entered_by) VALUES (?,?,?,?,?)",
                   (poll_id, who, json.dumps(clean, sort_keys=True), now, actor.id))
        audit.record(db, actor.id, "tally.entry", {"poll": poll_id, "scrutineer": who, "round": pp["round"], "counts": clean}, now)
        if not others:
            return EntryOutcome("waiting", round=pp["round"])
        other_id, other_counts = others[0][0], json.loads(others[0][1])
        differ = tuple(c.name for c in counters(db, p) if other_counts.get(c.name) != clean[c.name])
        if differ:
            db.execute("DELETE FROM tally_entries WHERE poll_id = ?", (poll_id,))
            db.execute("UPDATE paper_polls SET round = round + 1, mismatch = ? WHERE poll_id = ?", (json.dumps(list(differ)), poll_id))
            audit.record(db, actor.id, "tally.mismatch", {"poll": poll_id, "round": pp["round"], "scrutineers": [other_id, who],
                                                          "differ": list(differ)}, now)
            return EntryOutcome("mismatch", differ, pp["round"] + 1)
        detail = close_from_counts(db, p, clean, present, pp["reason"], now)
        db.execute("UPDATE paper_polls SET accepted_at = ?, mismatch = NULL WHERE poll_id = ?", (now, poll_id))
        audit.record(db, actor.id, "poll.hand_count", {"poll": poll_id, "reason": pp["reason"], "scrutineers": [other_id, who],
                                                       "round": pp["round"], "present": present, **detail}, now)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return EntryOutcome("accepted", (), pp["round"], polls.result(store, poll_id))


def counted_by(store, poll_id):
    """Names of the two scrutineers whose agreeing entries were accepted."""
    return [r["name"] for r in entries(store, poll_id)]


def minutes_note(store, poll_id):
    """The minutes' sentence for a hand-counted poll: why, and under whom."""
    pp = paper(store, poll_id)
    p = polls.get(store, poll_id)
    names = "、".join(r["name"] for r in scrutineers(store, p)) or "无"
    entered = "、".join(counted_by(store, poll_id)) or "无"
    return (f"注：因“{pp['reason']}”，本项改为纸质表决票表决，由监票人计票（监票人：{names}；"
            f"计票结果由{entered}分别录入，两次录入一致后确认）。")
