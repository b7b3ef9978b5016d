"""A closed poll's result in words (赞成 9，反对 1 … — 通过), in Chinese or English, from the
catalogues (area ux), so one set of words serves the minutes, the tablets, the console and the
big screen.

The minutes and the printed sheets are a Chinese record whoever closes the meeting, and a live
event reaches readers of both languages at once, so the words are built for a locale given
here, not for the request: `t(locale)` is a translator that needs no Flask context (the zh
catalogue read from the .mo files, English as written). Pages take `payload(r)`: `line` in the
reader's language and `words` in both, from which a page picks its own (meeting-common.js).
"""

import functools
import glob
import os

from babel.support import Translations

from appliance import i18n

LOCALES = i18n.LOCALES
_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "webui", "translations")
# How a language joins a list: Chinese with full-width marks, English with commas and "and".
_JOIN = {"zh_CN": {"list": "，", "names": "、", "and": "与"}, "en": {"list": ", ", "names": ", ", "and": " and "}}


def N_(msgid):
    """Marks a msgid for extraction; translated later by t(locale)."""
    return msgid


@functools.cache
def _zh():
    merged = None
    for area in sorted(glob.glob(os.path.join(_ROOT, "*"))):
        t = Translations.load(area, ["zh_CN"])
        if not isinstance(t, Translations):
            continue  # an area without a zh catalogue
        if merged is None:
            merged = t
        else:
            merged.merge(t)
    return merged


def t(locale):
    """translate(msgid, **values) in `locale`: zh_CN from the catalogues, else the msgid itself."""
    cat = _zh() if locale == "zh_CN" else None

    def translate(msgid, **values):
        text = cat.ugettext(msgid) if cat is not None else msgid
        return text % values if values else text
    return translate


def _verdict(_, passed):
    return _(N_("Passed")) if passed else _(N_("Not passed"))


def motion_line(r, locale):
    _ = t(locale)
    return _(N_("Yes %(yes)s, No %(no)s, Abstain %(abstain)s, not voted %(not_voted)s — %(needed)s votes needed — %(verdict)s"),
             yes=r.yes, no=r.no, abstain=r.abstain, not_voted=r.not_voted, needed=r.needed, verdict=_verdict(_, r.passed))


def sheet_lines(p, o, locale):
    """A ballot sheet's result, one line each: `p` the poll row (kind, round, by_election,
    round_kind), `o` its stored outcome. The minutes print these lines in zh_CN."""
    _, j = t(locale), _JOIN[locale]
    kind = p["kind"]
    if kind == "assessment":
        sh = o["shares"]
        labels = {"satisfied": _(N_("Satisfied")), "basically": _(N_("Basically satisfied")), "unsatisfied": _(N_("Not satisfied"))}
        counted = j["and"].join(labels[c] for c in o.get("counted_choices", ["satisfied", "basically"]))
        return [_(N_("Satisfied %(satisfied)s (%(s_share)s), basically satisfied %(basically)s (%(b_share)s), not satisfied "
                     "%(unsatisfied)s (%(u_share)s), void %(void)s (%(v_share)s), not voted %(not_voted)s (%(nv_share)s), "
                     "absent %(absent)s (%(a_share)s); of all %(n)s members"),
                  satisfied=o["satisfied"], s_share=sh["satisfied"], basically=o["basically"], b_share=sh["basically"],
                  unsatisfied=o["unsatisfied"], u_share=sh["unsatisfied"], void=o["void"], v_share=sh["void"],
                  not_voted=o["not_voted"], nv_share=sh["not_voted"], absent=o["absent"], a_share=sh["absent"], n=o["n"]),
                _(N_("%(counted)s together %(total)s — %(needed)s votes needed — result: %(verdict)s"),
                  counted=counted, total=o["counted"], needed=o["needed"],
                  verdict=labels["satisfied"] if o["outcome"] == "satisfied" else labels["unsatisfied"])]
    if kind == "appointment":
        out = []
        for n in o["nominees"]:
            if n["action"] == "appoint":
                what = _(N_("Appoint %(name)s as %(post)s"), name=n["name"], post=n["post"] or "")
            else:
                what = _(N_("Remove %(name)s from the post of %(post)s"), name=n["name"], post=n["post"] or "")
            out.append(_(N_("%(what)s: Yes %(yes)s, No %(no)s, Abstain %(abstain)s, not voted %(not_voted)s — %(needed)s votes needed — %(verdict)s"),
                         what=what, yes=n["yes"], no=n["no"], abstain=n["abstain"], not_voted=n["not_voted"], needed=n["needed"],
                         verdict=_verdict(_, n["passed"])))
        return out
    contested = sum(1 for x in o["tallies"] if not x["written_in"]) > o["seats"]
    kind_text = _(N_("more candidates than seats")) if contested else _(N_("as many candidates as seats"))
    round_text = {"runoff": _(N_(", a new vote between those tied")), "further": _(N_(", a further election"))}.get(p["round_kind"] or "first", "")
    votes = j["list"].join((_(N_("%(name)s (write-in) %(n)s votes")) if x["written_in"] else _(N_("%(name)s %(n)s votes"))) % {"name": x["name"], "n": x["yes"]}
                           for x in o["tallies"]) or _(N_("none"))
    base = {"all_members": _(N_("all members")), "took_part": _(N_("those who voted"))}.get(o["base_kind"], "")
    head = N_("By-election (%(kind)s, %(seats)s to elect, round %(round)s%(round_text)s): %(cast)s ballots cast, %(valid)s valid, %(void)s void") \
        if p["by_election"] else \
        N_("Election (%(kind)s, %(seats)s to elect, round %(round)s%(round_text)s): %(cast)s ballots cast, %(valid)s valid, %(void)s void")
    out = [_(head, kind=kind_text, seats=o["seats"], round=p["round"], round_text=round_text, cast=o["cast"], valid=o["valid"], void=o["void"]),
           _(N_("Votes: %(votes)s — %(needed)s votes needed (more than half of %(base)s, %(n)s)"), votes=votes, needed=o["needed"],
             base=base, n=o["base"]),
           _(N_("Elected: %(names)s"), names=j["names"].join(e["name"] for e in o["elected"]) or _(N_("none")))]
    if o["reason"] == "more_ballots_than_voters":
        out.append(_(N_("More ballots than voters: this round of the election is void")))
    if o["runoff"]:
        out.append(_(N_("%(names)s have equal votes: a new vote for %(seats)s seats"),
                     names=j["names"].join(e["name"] for e in o["runoff"]["people"]), seats=o["runoff"]["seats"]))
    if o["further_round"]:
        out.append(_(N_("%(n)s seats still to fill: a further election is needed"), n=o["further_round"]))
    return out


def line(r, locale):
    """The whole result as one text (a ballot sheet's lines joined by newlines)."""
    if getattr(r, "kind", "motion") != "motion":
        return "\n".join(r.words[locale])
    return motion_line(r, locale)


def payload(r):
    """What pages get with a result: `line` in the reader's language and `words` in each."""
    words = {loc: line(r, loc) for loc in LOCALES}
    return {"line": words[i18n.select_locale()], "words": words}
