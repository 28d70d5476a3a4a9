"""The story a room can follow: plain names, a caption per month, a timeline, what became of
each inject, and an end-of-run summary (a slide, exportable as PNG or PDF).

Pure functions of a :class:`~escalation_sim.ui.session.Session`; they read the model only
through it. ``truth=False`` gives the room's view: only what outside actors would see (the
observed warning level, reported deaths and displacement), never the true stage.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from matplotlib.figure import Figure

from ..catalogue import CATALOGUE
from ..outcomes import CAVEAT
from ..stages import Stage
from ..submodels.delivery import Status
from .session import EVENT_KINDS, Inject, Session

NAMES: dict[str, tuple[str, str]] = {
    "norm_dissemination": ("Spread norms against atrocities",
                           "UN agencies and civil society press every leader to moderate."),
    "peer_review": ("Human-rights scrutiny",
                    "Review bodies and inquiries name abuses: impunity and complicity fall."),
    "preventive_diplomacy": ("Preventive diplomacy",
                             "Envoys calm flashpoints and press the ruling leader to moderate."),
    "inclusive_governance": ("Support inclusive government",
                             "Development aid widens inclusion and narrows group inequality."),
    "build_security_sector": ("Train a professional security sector",
                              "Capacity building makes the army and police less likely to "
                              "take part."),
    "build_electoral_body": ("Strengthen the electoral commission",
                             "A trusted electoral body makes elections less explosive."),
    "build_judiciary": ("Strengthen the courts",
                        "Working courts cut impunity for incitement and killings."),
    "build_early_warning": ("Strengthen national early warning",
                            "The country's own warning system sees risks sooner."),
    "build_local_peace": ("Strengthen local peace committees",
                          "Local bodies defuse clashes before they spread."),
    "build_media": ("Support independent media",
                    "Professional media damp hate speech."),
    "build_transitional_justice": ("Support transitional justice",
                                   "Truth and reconciliation work eases old grievances."),
    "deny_means": ("Cut off arms supplies",
                   "Stops outside sponsors' arms flows to armed groups."),
    "mediation_support": ("Support local mediation",
                          "Funds local peace bodies and lowers tension (needs consent)."),
    "human_rights_monitoring": ("Human-rights monitors",
                                "Monitors on the ground sharpen warning, document abuses "
                                "and put the regime under scrutiny (needs consent)."),
    "police_support": ("Support police and justice",
                       "Police officers protect the worst-hit districts; strengthens "
                       "the judiciary and cuts impunity."),
    "refugee_protection": ("Protect refugees and displaced people",
                           "Unarmed protection staff where displaced people are."),
    "humanitarian_protection": ("Humanitarian protection",
                                "Unarmed protection staff in every district: a little "
                                "protection."),
    "peacekeeping": ("Peacekeeping mission",
                     "Troops protect the worst-hit districts first (needs consent)."),
    "sanctions": ("Targeted sanctions",
                  "Security Council cuts arms flows and pressures the state (veto possible)."),
    "court_referral": ("Referral to the International Criminal Court",
                       "Security Council referral: impunity falls fast (veto possible)."),
    "authorized_force": ("Authorized use of force",
                         "Security Council-mandated force protects the worst-hit districts "
                         "(veto possible)."),
    "election": ("Contested election", "An election whose result is disputed raises tension."),
    "coup": ("Coup", "The security sector is captured; the government's will to protect "
             "collapses."),
    "economic_shock": ("Economic shock", "Inequality between groups bites harder."),
    "spillover": ("Spill-over from a neighbouring conflict", "Arms and fighters arrive."),
}
"""Plain-language name and one-line description of every intervention and event a trainer
can inject."""

assert set(NAMES) == set(CATALOGUE) | set(EVENT_KINDS)   # a new kind needs a plain name


def name(kind: str) -> str:
    return NAMES[kind][0]


def describe(kind: str) -> str:
    return NAMES[kind][1]


# ---- the caption -----------------------------------------------------------------------------
def _cause(session: Session, month: int, truth: bool) -> str:
    """What the log says happened in ``month`` (events, injects, interventions), in words."""
    parts = []
    for i in session.injects:
        if i.month == month and i.is_event:
            parts.append(f"the trainer's {name(i.kind).lower()}")
    for e in session.log():
        if e.month != month:
            continue
        if e.kind in EVENT_KINDS and not any(i.month == month and i.kind == e.kind
                                             for i in session.injects if i.is_event):
            parts.append(e.text[0].lower() + e.text[1:])
        elif e.kind == "intervention" and ":" in e.text:
            kind, _, what = e.text.partition(": ")
            label = name(kind) if kind in NAMES else kind.replace("_", " ")
            if what == "takes effect":
                parts.append(f"{label} took effect")
            elif what.startswith("refused"):
                parts.append(f"the government refused {label.lower()}")
            elif "veto" in what:
                parts.append(f"{label} was vetoed")
        elif e.kind == "warning" and e.text.startswith("The special advisers"):
            parts.append("the special advisers issued a formal early warning")
    return "; ".join(dict.fromkeys(parts))


RECRUITMENT_NEWS = 1.25
"""An armed group's members in a district growing by this factor in a month is news for the
caption (if it is the month's largest change)."""


def caption(session: Session, month: int | None = None, truth: bool = True) -> str:
    """'What just happened' in ``month`` (default: the current one), in plain language: its
    cause (events, injects, interventions) and the largest change since the month before. The
    room's caption (``truth=False``) uses the observed warning level, never the true stage."""
    m = session.month if month is None else month
    if m == 0:
        stage = session.series("stage")[0] if truth else session.series("observed_stage")[0]
        return (f"Month 0: the country starts at {'stage' if truth else 'warning level'} "
                f"{int(stage)} ({Stage(int(stage)).label}). Press Step to begin.")
    pop = session.scenario.run.population

    def at(key: str, k: int) -> float:
        return float(session.series(key)[k])

    stage_key = "stage" if truth else "observed_stage"
    what = "the country" if truth else "early warning"
    changes: list[tuple[float, str]] = []
    a, b = int(at(stage_key, m - 1)), int(at(stage_key, m))
    if a != b:
        word = ("rose" if b > a else "fell")
        changes.append((100.0, f"{'The stage' if truth else 'The warning level'} {word} to {b} "
                              f"({Stage(b).label})" + ("" if truth else " on what "
                                                      f"{what} sees")))
    if truth:
        killed = at("killings", m)
        if killed > 0:
            where = session.killed_in(m)
            worst = int(where.argmax())
            most = (f", {where[worst]:,.0f} of them in District {worst}" if where[worst] < killed
                    else f", all in District {worst}")
            changes.append((killed / (1e-4 * pop), f"{killed:,.0f} people were killed{most} "
                                                   f"(total {at('deaths', m):,.0f})"))
        moved = at("displaced", m) - at("displaced", m - 1)
        now_displaced = at("displaced", m)
    else:   # what reports say, up to the month they have reached (never the true count now)
        r = session.reported_month(m)
        news = session.reported("deaths", m) - session.reported("deaths", m - 1)
        if news > 0:
            changes.append((news / (1e-4 * pop),
                            f"Reports (up to month {r}) tell of {news:,.0f} more people killed "
                            f"({session.reported('deaths', m):,.0f} reported in all)"))
        moved = session.reported("displaced", m) - session.reported("displaced", m - 1)
        now_displaced = session.reported("displaced", m)
    if moved:
        changes.append((abs(moved) / (1e-3 * pop),
                        f"{abs(moved):,.0f} people {'fled their homes' if moved > 0 else
                                                    'returned home'} "
                        f"({now_displaced:,.0f} displaced now"
                        f"{'' if truth else ', as reported'})"))
    if truth:
        now, before = session.armed_members(m), session.armed_members(m - 1)
        for group, members in now.items():
            d = int((members - before[group]).argmax())
            grew, was = members[d] - before[group][d], before[group][d]
            if grew > 0 and members[d] >= RECRUITMENT_NEWS * was:
                ratio = members[d] / was if was > 0 else 0.0
                how = ("began" if was == 0 else f"grew {ratio:.0f}-fold" if ratio >= 3 else
                       "more than doubled" if ratio >= 2 else f"grew {100 * (ratio - 1):.0f} %")
                changes.append((grew / (2e-4 * pop),
                                f"Recruitment by {group.replace('_', ' ')} {how} in District "
                                f"{d} ({was:,.0f} to {members[d]:,.0f} members)"))
        for key, label, scale in (("propaganda", "Hate-speech exposure", 2.0),
                                  ("mobilized", "The share of civilians mobilized", 1.0)):
            d = 100 * (at(key, m) - at(key, m - 1))
            changes.append((abs(d) / scale, f"{label} {'rose' if d > 0 else 'fell'} "
                                            f"{abs(d):.1f} points to {100 * at(key, m):.0f} %"))
    score, headline = max(changes, default=(0.0, ""))
    cause = _cause(session, m, truth)
    text = f"Month {m}: "
    if cause:
        text += cause[0].upper() + cause[1:] + ". "
    text += f"{headline}." if score >= 1.0 else "A quiet month: little changed."
    if truth:
        text += mismatch(session, m)
    return text


def mismatch(session: Session, month: int) -> str:
    """Said once, in the first month that early warning's level and the true stage part (a
    false alarm or a missed signal): a teaching moment for the facilitator."""
    observed, stage = session.series("observed_stage"), session.series("stage")
    o, s = int(observed[month]), int(stage[month])
    if o == s or (month > 0 and int(observed[month - 1]) != int(stage[month - 1])):
        return ""
    kind = "a false alarm" if o > s else "a missed signal"
    return (f" Note: early warning sees stage {o}, the true stage is {s} — {kind} "
            "(the room sees only the warning level).")


# ---- the timeline ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Mark:
    month: int
    kind: str      # stage, inject, warning, onset (of mass killing), end (of an episode)
    label: str


def timeline(session: Session, truth: bool = True) -> list[Mark]:
    """Stage changes (the warning level's in the room's view), injects and warnings, in month
    order; for the facilitator also the mass-killing onset (the Early Warning Project's
    definition: one perpetrator's deliberate killings of 1,000 noncombatants within twelve
    months, :class:`~escalation_sim.outcomes.RunOutcome` ``onset_month``), each episode's end
    and each recurrence. The room sees no onset: it is classified from the true killings and
    names the perpetrator."""
    marks = []
    for m, _, b in session.stage_changes("stage" if truth else "observed_stage"):
        marks.append(Mark(m, "stage", f"{'stage' if truth else 'warning level'} {b}"))
    for i in session.injects:
        marks.append(Mark(i.month - 1, "inject", name(i.kind)))
    for e in session.log():
        if e.kind == "warning" and e.text.startswith("The special advisers"):
            marks.append(Mark(e.month, "warning", "formal early warning"))
    if truth:
        first = session.outcome().warning_month
        if first is not None:
            marks.append(Mark(first, "warning", "first warning (observed stage 2)"))
        ended = False
        for e in sorted(session.episodes(), key=lambda e: e.onset):
            label = ("mass-killing onset" if e.onset == session.outcome().onset_month else
                     "recurrence" if ended else "another onset") + f" ({e.perpetrator})"
            marks.append(Mark(e.onset, "onset", label))
            if e.end is not None and e.end <= session.month:
                marks.append(Mark(e.end, "end", f"mass killing ends ({e.perpetrator})"))
                ended = True
    return sorted(marks, key=lambda k: k.month)


# ---- what became of each inject --------------------------------------------------------------
@dataclass(frozen=True)
class Fate:
    inject: Inject
    outcome: str   # decided, vetoed, refused consent, unfunded, nothing to act on, took effect, ...
    why: str


def fates(session: Session) -> list[Fate]:
    """Each inject's way through the pipeline (from the model's deployments) and, where it
    changed nothing, why."""
    out = [Fate(i, "happened", f"{name(i.kind)} in month {i.month}")
           for i in session.injects if i.is_event and i.month <= session.month]
    for inject, d in session.deployments():
        kind, lag = inject.kind, CATALOGUE[inject.kind].lag
        if d.blocked == "consent":
            when = next((e.month for e in session.model.events_log if e.month >= inject.month
                         and e.text.startswith(f"{kind}: refused")), session.month)
            out.append(Fate(inject, "refused consent", f"the government refused it in month "
                            f"{when} (consent needed, R14 §15): it never acted"))
        elif d.blocked in ("veto", "regional"):
            out.append(Fate(inject, "vetoed", "abandoned after repeated "
                            f"{'Security Council vetoes' if d.blocked == 'veto' else
                               'regional deadlock'}: it never acted"))
        elif d.blocked == "absent":
            out.append(Fate(inject, "no one to deliver it", "its deliverer is not in this "
                            "scenario: it never acted"))
        elif d.status in (Status.WAITING, Status.AGENDA, Status.DECIDING):
            out.append(Fate(inject, "not yet decided", f"still {d.status} in month "
                            f"{session.month}"))
        elif d.status == Status.LAGGING:
            out.append(Fate(inject, "decided", f"decided in month {d.decided}; takes effect "
                            f"in month {d.decided + lag}"))
        elif d.first_effect is None:
            out.append(Fate(inject, "unfunded", "decided, but its deliverer's budget paid for "
                            "no month of it"))
        else:
            out.append(Fate(inject, *_effect(session, d)))
    return sorted(out, key=lambda f: f.inject.month)


def _effect(session: Session, d) -> tuple[str, str]:
    kind, since = d.spec.kind, d.first_effect
    partly = (f"; funded at {100 * d.funded:.0f} % (decided before the warning level reached "
              "3)" if d.funded < 1 else "")
    if kind in ("deny_means", "sanctions") and session.sponsors() == 0:
        return "nothing to act on", (f"took effect in month {since}, but no outside sponsor "
                                     "arms any group in this scenario: there was no flow to cut"
                                     + ("; only its pressure on the state acts"
                                        if kind == "sanctions" else ""))
    protective = ("peacekeeping", "authorized_force", "humanitarian_protection",
                  "refugee_protection")
    if kind in protective and session.series("killings")[since:].sum() == 0:
        return "nothing to act on", (f"took effect in month {since}; no one was killed after "
                                     "that, so there was no killing to protect against")
    if kind == "refugee_protection" and session.series("displaced")[since:].sum() == 0:
        return "nothing to act on", f"took effect in month {since}; no one was displaced"
    return "took effect", f"from month {since}{partly}"


# ---- the end-of-run summary ------------------------------------------------------------------
def summary(session: Session, branches: tuple[Session, Session] | None = None,
            origin: str = "") -> dict:
    """The run so far in a few numbers and sentences (a slide for the room); ``origin``: where
    its coefficients came from (a posterior's draw), said on the slide."""
    o = session.outcome()
    out = session.scenario.outcomes
    rows = {
        "deaths": f"{o.deaths:,.0f} people killed",
        "displaced": f"{o.displaced_peak:,.0f} people displaced at the peak",
        "peak stage": f"stage {o.highest_stage} ({Stage(o.highest_stage).label})",
        "mass-killing onset": (
            f"month {o.onset_month} ({o.onset_perpetrator}; {out.onset_deaths:,.0f} "
            f"noncombatants killed within {out.onset_window} months)"
            if o.onset_month is not None else "none"),
        "episodes": episodes(session),
        "first warning": ("month " + str(o.warning_month) + " (warning level 2)"
                          if o.warning_month is not None else "none"),
        "formal warning": (f"month {o.formal_warning_month}"
                           if o.formal_warning_month is not None else "none"),
        "first action": (f"month {o.first_action_month}" if o.first_action_month is not None
                         else "none took effect"),
        "cost": f"{o.cost:,.0f} cost units",
    }
    out = {"title": f"{session.scenario.name}, seed {session.seed}: month {session.month} of "
                    f"{session.months}",
           "subtitle": session.scenario.title or "",
           "rows": rows,
           "injects": [f"{name(f.inject.kind)} (month {f.inject.month - 1}): {f.outcome} — "
                       f"{f.why}" for f in fates(session)],
           "counterfactual": None, "origin": origin, "caveat": CAVEAT}
    if branches is not None:
        as_is, with_p = branches
        fork = with_p.injects[len(as_is.injects)].month - 1
        package = ", ".join(name(i.kind) for i in with_p.injects[len(as_is.injects):])
        d = with_p.outcome().deaths - as_is.outcome().deaths
        c = with_p.outcome().cost - as_is.outcome().cost
        onset = (as_is.outcome().onset_month, with_p.outcome().onset_month)
        extra = with_p.injects[len(as_is.injects):]
        what = "; ".join(f"{name(f.inject.kind)}: {f.outcome} ({f.why})"
                         for f in fates(with_p) if f.inject in extra)
        out["counterfactual"] = (
            f"Branched at month {fork} with {package}: {d:+,.0f} deaths, {c:+,.0f} cost by "
            f"month {as_is.months}; mass-killing onset {_month(onset[0])} as is, "
            f"{_month(onset[1])} with the package (same random numbers). {what}.")
    return out


def _month(m: int | None) -> str:
    return "none" if m is None else f"in month {m}"


def episodes(session: Session) -> str:
    """The mass-killing episodes in words: onset, end, recurrence."""
    eps = sorted(session.episodes(), key=lambda e: e.onset)
    if not eps:
        return "none"
    words = []
    for e in eps:
        end = (f"ended month {e.end}" if e.end is not None and e.end <= session.month
               else "ongoing")
        words.append(f"{e.perpetrator}: from month {e.onset}, {end}")
    ends = [e.end for e in eps if e.end is not None and e.end <= session.month]
    recur = any(e.onset > min(ends) for e in eps) if ends else False
    return f"{len(eps)} ({'; '.join(words)}){'; a recurrence' if recur else ''}"


def room_summary(session: Session, origin: str = "") -> dict:
    """The summary the room may see: reported deaths and displacement (as of the month reports
    have reached), the warning level's peak, warnings, actions, cost and what became of each
    inject, without the true stage, the onset, perpetrators or why an inject changed nothing
    (that reads the true killings)."""
    s = summary(session, origin=origin)
    r = session.reported_month()
    s["rows"] = {
        "deaths reported": f"{session.reported('deaths'):,.0f} people killed (reports up to "
                           f"month {r})",
        "displaced reported": f"{session.reported_series('displaced').max():,.0f} people at "
                              "the peak, as reported",
        "peak warning level": f"{int(session.series('observed_stage').max())}",
        **{k: s["rows"][k] for k in ("first warning", "formal warning", "first action",
                                     "cost")},
    }
    s["room"] = True
    public = {"nothing to act on": "took effect"}
    s["injects"] = [f"{name(f.inject.kind)} (month {f.inject.month - 1}): "
                    f"{public.get(f.outcome, f.outcome)}" for f in fates(session)]
    return s


def summary_html(s: dict) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in s["rows"].items())
    injects = "".join(f"<li>{html.escape(t)}</li>" for t in s["injects"]) or "<li>none</li>"
    cf = f"<p><b>{html.escape(s['counterfactual'])}</b></p>" if s["counterfactual"] else ""
    return (f"<h2>{html.escape(s['title'])}</h2><p>{html.escape(s['subtitle'])}</p>"
            f"<table>{rows}</table>"
            f"<h3>Injects and what became of them</h3><ul>{injects}</ul>{cf}"
            + (f"<p class='origin'>{html.escape(s['origin'])}</p>" if s.get("origin") else "")
            + f"<p><i>{html.escape(s['caveat'])}</i></p>")


def summary_figure(s: dict, session: Session) -> Figure:
    """The summary as a 16:9 slide: the numbers, the injects' fates and the stage over time."""
    import textwrap

    fig = Figure(figsize=(13.33, 7.5), dpi=100)
    fig.text(0.03, 0.96, s["title"], fontsize=20, weight="bold", va="top")
    fig.text(0.03, 0.905, textwrap.shorten(s["subtitle"], 120), fontsize=12, va="top")
    if s.get("origin"):   # one line between the subtitle and the numbers
        fig.text(0.03, 0.872, textwrap.shorten(s["origin"], 180), fontsize=10, va="top")
    y = 0.84
    for k, v in s["rows"].items():
        fig.text(0.03, y, f"{k}:", fontsize=14, weight="bold", va="top")
        fig.text(0.265, y, v, fontsize=14, va="top")
        y -= 0.05
    y -= 0.02
    fig.text(0.03, y, "Injects and what became of them:", fontsize=14, weight="bold", va="top")
    y -= 0.045
    for t in (s["injects"] or ["none"])[:6]:
        lines = textwrap.wrap(t, 140)[:2]
        fig.text(0.05, y, "\n".join(lines), fontsize=11, va="top")
        y -= 0.032 * len(lines) + 0.012
    if s["counterfactual"]:
        fig.text(0.03, 0.16, textwrap.fill(s["counterfactual"], 130), fontsize=11, va="top",
                 weight="bold")
    ax = fig.add_axes((0.66, 0.5, 0.31, 0.33))
    if not s.get("room"):   # the room's slide shows only the warning level
        ax.step(range(session.month + 1), session.series("stage"), where="post",
                color="#b30000", lw=2, label="true stage")
    ax.step(range(session.month + 1), session.series("observed_stage"), where="post",
            color="0.2", lw=1, ls="--", label="warning level")
    ax.set(xlim=(0, session.months), ylim=(-0.3, 3.3), yticks=range(4), xlabel="month",
           title="stage over time")
    ax.legend(fontsize=10, loc="upper left")
    fig.text(0.03, 0.03, s["caveat"], fontsize=10, style="italic")
    return fig
