"""The trainer page (Solara). Start it with ``escalation-sim ui``.

A plain Solara page, one component per panel, over a :class:`~escalation_sim.ui.rooms.Run`
kept on the server: the page's URL carries the run's key (``?run=KEY``), so a reload finds the
run again, and the room's link (``?room=TOKEN``) shows the same run as outside actors would see
it, without controls. Long work (Play, run to month, branch) runs in a background thread that
changes only the run; every page polls the run's version and re-renders when it moves.
"""

from __future__ import annotations

import functools
import html
import os
import threading
import time
from collections.abc import Callable

import ipyvuetify
import ipywidgets as widgets
import markdown
import solara
import solara.lab

from ..catalogue import CATALOGUE
from ..errors import InputError
from ..export import events_bytes, scenario_toml, timeseries_bytes
from ..outcomes import CAVEAT
from ..params import Scenario
from ..plotting import STAGE_COLOURS
from ..scenario import available
from ..situation import drawn_fields as drawn_fields_of
from ..stages import Stage
from . import figures, rooms, story
from .rooms import Branch, Run
from .serve import POSTERIOR_ENV
from .session import EVENT_KINDS, TRAINER, Session, fork, intervention_facts
from .uploads import editable_fields, key_fields, load_shipped, load_upload, with_overrides

PARAMETER_SECTIONS = ("run", "government", "institutions", "events")
SPEEDS = {"slow (1 month/s)": 1.0, "normal (3 months/s)": 3.0, "fast (10 months/s)": 10.0}
UPLOADED = "(uploaded file)"
PROJECTOR_WIDTH = 1366
"""Projector mode is the default on screens at most this wide (px)."""
MAP_BESIDE = 1600
"""On screens at least this wide (px) the live map stands beside the plots; on narrower ones
it has its own tab."""
MAP_INTERVAL = 1.0
"""Seconds between redraws of the live map while background work steps the run."""
POLL_S = 0.25
"""How often a page looks for changes made by background work or by another page."""
TYPED = {"continuous_update": True}
"""Every number field's value is what is typed, keystroke by keystroke. The panels render again
at every change of the run (four times a second while Play or run-to-month works; also when the
map mounts), and each render sets every field to its value: a field that took what was typed
only on Enter or on leaving it was set back meanwhile (under load, "Run to month" 30 typed while
the map mounted ran to the old 24)."""
TABS = ("Injects", "Branch and compare", "Summary", "Map", "Event log", "Export", "Setup",
        "About")

CSS = """
.v-application, .v-application .v-input, .v-application .v-btn { font-size: 17px; }
.esim-month { font-size: 2.4rem; font-weight: 700; line-height: 1.1; white-space: nowrap; }
.esim-gauge { display: flex; gap: 4px; margin: 2px 0; }
.esim-gauge div { flex: 1; padding: 4px 4px; text-align: center; border-radius: 4px;
                  font-size: 20px; border-top: 6px solid transparent; }
.esim-gauge div.on { font-weight: 700; box-shadow: 0 0 0 3px currentColor inset; }
.esim-gauge .what { flex: 0 0 auto; font-weight: 700; border: none; }
.esim-caption { font-size: 20px; line-height: 1.3; margin: 4px 0; min-height: 1.3em; }
.esim-monitors { display: flex; gap: 18px; flex-wrap: wrap; font-size: 18px; }
.esim-monitors b { font-size: 22px; margin-left: 6px; }
.esim-log { max-height: 480px; overflow-y: auto; font-size: 16px; }
.esim-log p { margin: 0 0 4px 0; }
.esim-log .inject { color: #e6550d; font-weight: 600; }
.esim-md table { border-collapse: collapse; margin: 8px 0; }
.esim-md th, .esim-md td { border: 1px solid #999; padding: 4px 12px; text-align: left; }
.esim-timeline { position: relative; height: 46px; margin: 6px 0 2px 0; font-size: 13px; }
.esim-timeline .band { position: absolute; top: 0; height: 14px; }
.esim-timeline .track { position: absolute; top: 0; left: 0; right: 0; height: 14px;
                        border: 1px solid #888; }
.esim-timeline .mark { position: absolute; top: 0; height: 22px; width: 3px; }
.esim-timeline .mark.inject { background: #e6550d; }
.esim-timeline .mark.warning { background: #6a51a3; }
.esim-timeline .mark.onset { background: currentColor; width: 5px; height: 30px; }
.esim-timeline .mark.end { background: currentColor; width: 3px; height: 30px; opacity: 0.6; }
.esim-timeline .mark.stage { background: currentColor; width: 1px; }
.esim-timeline .label { position: absolute; top: 26px; white-space: nowrap; font-size: 13px; }
.esim-legend { display: flex; flex-wrap: wrap; gap: 4px 22px; font-size: 15px; margin: 4px; }
.esim-legend > div { display: flex; flex-wrap: wrap; align-items: center; gap: 2px 10px; }
.esim-legend .esim-entry { white-space: nowrap; }
.esim-swatch { display: inline-block; width: 14px; height: 14px; margin-right: 4px;
               vertical-align: -2px; border: 1px solid #888; }
.esim-glyph { margin-right: 4px; }
.esim-map-title { font-size: 18px; font-weight: 600; margin: 2px 0 0 4px; }
.esim-src { font-size: 13px; opacity: 0.85; margin: -6px 0 8px 0; }
.esim-fates li { margin-bottom: 4px; }
.esim-projector .v-toolbar { height: 48px !important; }
.esim-projector .v-toolbar__content { height: 48px !important; }
.esim-projector main.v-main { padding-top: 48px !important; }
"""


def Md(text: str, classes: tuple[str, ...] = ()):
    """Markdown rendered on the server (``solara.Markdown`` would fetch KaTeX and Mermaid from a
    CDN: nothing may leave the machine)."""
    return solara.HTML("div", md_html(text), classes=["esim-md", *classes])


@functools.lru_cache(maxsize=512)
def md_html(text: str) -> str:
    """``text`` as HTML; kept, since the panels show the same texts at every step."""
    return markdown.markdown(text, extensions=["tables"])


def plain(text: str) -> str:
    """Text from a scenario file, safe inside Markdown: no HTML, quotes left as they are."""
    return html.escape(text, quote=False)


def _scenario(name: str, uploaded):
    return uploaded if name == UPLOADED and uploaded is not None else load_shipped(name)


def posterior():
    """The posterior of ``escalation-sim ui --posterior FILE`` (the file the command line
    checked and named in :data:`~.serve.POSTERIOR_ENV`), or None: the declared values. Read
    at the first page and kept for the server's life; called by its file name only, so that
    no message on the page shows a path of the server. A file gone bad since the command
    line checked it is an :class:`InputError`."""
    return _read_posterior(os.environ.get(POSTERIOR_ENV, ""))


@functools.lru_cache(maxsize=2)
def _read_posterior(path: str):
    from dataclasses import replace

    from ..record.posterior import read_posterior

    if not path:
        return None
    name = os.path.basename(path)
    try:
        return replace(read_posterior(path), source=name)
    except InputError as e:
        raise InputError(name, e.problems) from None


def drawn(scenario: Scenario, seed: int) -> tuple[Scenario, int | None]:
    """``scenario`` as a run seeded ``seed`` takes it, and the parameter set it drew: with a
    posterior, the coefficients of that set (the run, and the scenario it exports, then hold
    the drawn values); without, the scenario itself and None. A set that makes the scenario
    invalid is an :class:`InputError` naming the posterior's row and the field."""
    p = posterior()
    if p is None:
        return scenario, None
    from ..record.posterior import drawn_scenario

    return drawn_scenario(p, scenario, seed)


def drawn_fields() -> tuple[str, ...]:
    """The scenario fields a run draws from the posterior (none without one): the parameter
    panel leaves them out, since each run takes its draw."""
    try:
        p = posterior()
    except InputError:
        return ()
    if p is None:
        return ()
    from ..record.posterior import scenario_columns

    return tuple(scenario_columns(p))


def drawn_note(scenario: Scenario, j: int | None) -> str:
    """What the page and the export say of the run's parameter set ``j`` (empty: none)."""
    if j is None:
        return ""
    p = posterior()
    return (f"Coefficients drawn from the posterior {p.source}: set {j + 1} of {len(p)}, by "
            "weight, from the seed — " + ", ".join(
                f"{n} = {functools.reduce(getattr, n.split('.'), scenario):.3g}"
                for n in drawn_fields()) + ".")


def situation_note(session: Session) -> str:
    """What the page and the export say of the run's drawn situation (empty with a spread of
    0): with ``situation.spread`` above 0 the run's government and groups differ from the
    values the parameter panel shows, so each drawn value is given beside the scenario's."""
    spread = session.scenario.situation.spread
    if spread == 0:
        return ""
    pairs = zip(drawn_fields_of(session.scenario), drawn_fields_of(session.model.params),
                strict=True)
    return (f"This run's situation is drawn around the scenario's values (situation.spread = "
            f"{spread:.3g}); the parameter panel shows the scenario in force — " + ", ".join(
                f"{name} = {value:.3g} (scenario {declared:.3g})"
                for (name, declared), (_, value) in pairs) + ".")


def origin(run: Run) -> str:
    """Where the run's values came from, for the summary and the export: the posterior's
    draw and the drawn situation (empty: the scenario's declared values)."""
    return " ".join(n for n in (drawn_note(run.session.scenario, run.drawn),
                                situation_note(run.session)) if n)


def new_run(name: str) -> Run:
    """A new page's run: seed 0 of the shipped scenario ``name``, with its draw from the
    posterior; if that fails, the declared values, and the page says why."""
    scenario = load_shipped(name)
    try:
        scenario, j = drawn(scenario, 0)
        error = ""
    except InputError as e:
        j, error = None, f"{e} The run uses the scenario's declared values."
    run = rooms.create(Session(scenario, 0), name)
    run.drawn, run.error = j, error
    return run


# ---- colours that read on a projector --------------------------------------------------------
def luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``."""
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever contrasts more with ``background``."""
    return max(("#000000", "#ffffff"), key=lambda c: contrast(c, background))


INACTIVE = {False: ("#eeeeee", "#222222"), True: ("#2b2b2b", "#e8e8e8")}
"""(background, text) of the stages not in force, light and dark theme."""


def gauge_html(stage: int, dark: bool, what: str) -> str:
    """Four stage cells: the one in force in its stage colour (text black or white, whichever
    contrasts more), the others neutral with the stage colour as a top border."""
    cells = []
    for k, colour in enumerate(STAGE_COLOURS):
        bg, fg = (colour, text_on(colour)) if k == stage else INACTIVE[dark]
        cells.append(f'<div class="{"on" if k == stage else ""}" data-stage="{k}" '
                     f'style="background:{bg};color:{fg};border-top-color:{colour}">'
                     f"{k} {html.escape(Stage(k).label)}</div>")
    return (f'<div class="esim-gauge" id="stage-gauge" data-testid="stage-gauge" '
            f'data-stage="{stage}"><div class="what">{html.escape(what)}</div>'
            f'{"".join(cells)}</div>')


def monitors_html(session: Session, truth: bool) -> str:
    """The monitors; the room's (``truth=False``) give deaths and displacement as reported
    (:meth:`Session.reported`), never the true counts."""
    if truth:
        items = [("deaths", f"{session.latest('deaths'):,.0f}", "people killed so far"),
                 ("displaced", f"{session.latest('displaced'):,.0f}", "people displaced now")]
    else:
        r = session.reported_month()
        items = [("deaths reported", f"{session.reported('deaths'):,.0f}",
                  f"people killed, as reported up to month {r}"),
                 ("displaced reported", f"{session.reported('displaced'):,.0f}",
                  f"people displaced, as reported up to month {r}"),
                 ("reports to month", f"{r}", "reports lag by early warning's delay")]
    items.append(("warning level", f"{int(session.latest('observed_stage'))}",
                  "what early warning sees"))
    if truth:
        items += [("mobilized", f"{100 * session.latest('mobilized'):.1f} %",
                   "of civilians mobilized"),
                  ("cost", f"{session.latest('cost'):,.0f}", "cost units of interventions")]
    return '<div class="esim-monitors" id="monitors">' + "".join(
        f'<div title="{html.escape(t)}">{html.escape(k)}<b>{html.escape(v)}</b></div>'
        for k, v, t in items) + "</div>"


ROOM_LOG = frozenset({"inject", "intervention", "resources", *EVENT_KINDS})
"""Kinds of log entries the room sees: public events, the trainer's injects and what became
of interventions; plus the formal warning. Never the true stage, the mass-atrocity or
mass-killing entries (they count true killings and name perpetrators) nor early warning's
comparisons with the true stage."""


def room_entry(e) -> bool:
    return e.kind in ROOM_LOG or (e.kind == "warning"
                                  and e.text.startswith("The special advisers"))


def log_html(session: Session, truth: bool) -> str:
    """The event log, newest first; the room's (``truth=False``) only :func:`room_entry`
    entries."""
    rows = [f'<p class="{"inject" if e.kind == "inject" else ""}"><b>Month {e.month}</b> — '
            f"{html.escape(e.text)}</p>" for e in reversed(session.log())
            if truth or room_entry(e)]
    return '<div class="esim-log" id="event-log">' + ("".join(rows) or
                                                    "<p>Nothing has happened yet.</p>") + "</div>"


def timeline_html(session: Session, truth: bool) -> str:
    """The whole horizon as a strip: the stage (or warning level) month by month, and a mark
    at every stage change, inject, warning and (facilitator) mass-killing onset, end and
    recurrence (:func:`story.timeline`)."""
    months = session.months
    series = session.series("stage" if truth else "observed_stage").astype(int)
    bands, start = [], 0
    for m in range(1, len(series) + 1):
        if m == len(series) or series[m] != series[start]:
            bands.append(f'<div class="band" style="left:{100 * start / months:.2f}%;'
                         f"width:{100 * (m - start) / months:.2f}%;"
                         f'background:{STAGE_COLOURS[series[start]]}"></div>')
            start = m
    marks, labels, last = [], [], -99.0
    for k in story.timeline(session, truth):
        x = 100 * k.month / months
        marks.append(f'<div class="mark {k.kind}" style="left:{x:.2f}%" '
                     f'title="month {k.month}: {html.escape(k.label)}"></div>')
        if k.kind != "stage" and x - last > 9:
            where = f"left:{x:.2f}%" if x < 60 else f"right:{100 - x:.2f}%"
            labels.append(f'<div class="label" style="{where}">'
                          f"{k.month}: {html.escape(k.label)}</div>")
            last = x
    return (f'<div class="esim-timeline" id="timeline" data-testid="timeline">'
            f'<div class="track"></div>{"".join(bands)}{"".join(marks)}{"".join(labels)}</div>')


def district_table(rows: list[dict], truth: bool) -> str:
    """The map's numbers, district by district (people); the room's are the reported ones."""
    armed = list(rows[0]["armed"]) if rows and truth else []
    what = "" if truth else " (reported)"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in (
        "district", "residents", f"killed{what}", f"displaced{what}", "protectors",
        *(a.replace("_", " ") for a in armed)))
    body = "".join(
        "<tr>" + "".join(f"<td>{v}</td>" for v in (
            f"D{r['district']}", f"{r['residents']:,.0f}", f"{r['killed']:,.0f}",
            f"{r['displaced']:,.0f}", f"{r['protection']:,.0f}",
            *(f"{r['armed'][a]:,.0f}" for a in armed))) + "</tr>" for r in rows)
    return f'<table id="district-table"><tr>{head}</tr>{body}</table>'


bump_context = solara.create_context(lambda: None)
"""Re-render this page now (after an action here), without waiting for the next poll."""


def use_changed(run: Run):
    """``changed()``: the run has changed; this page shows it at once, others at their poll."""
    bump = solara.use_context(bump_context)

    def changed() -> None:
        run.changed()
        bump()
    return changed


# ---- background work ------------------------------------------------------------------------
def start(run: Run, busy: str, work) -> bool:
    """Run ``work(run, cancel)`` in a background thread unless other work is running (or
    cancelled work still ending: then ``run.error`` says so and this returns False). Each
    work has its own ``cancel`` event: it checks it between months (or before it commits a
    result) and changes the run only under ``run.lock`` and only while not cancelled; it may
    set ``run.progress`` and calls ``run.changed()`` when it has something to show."""
    if run.abandoned is not None:   # cancelled work normally ends within a month's step
        run.abandoned.join(timeout=1.0)
    with run.lock:
        if run.busy or (run.abandoned is not None and run.abandoned.is_alive()):
            run.error = (f"Wait for the work in progress ({run.busy}) to finish." if run.busy
                         else "The cancelled work is still ending in the background (it will "
                              "be discarded); try again in a few seconds.")
            run.changed()
            return False
        run.busy, run.error, run.progress = busy, "", None
        cancel = run.cancel = threading.Event()
        run.work += 1
        ticket = run.work
        run.changed()

    def body():
        try:
            work(run, cancel)
        except Exception as e:   # shown on the page, never a dead thread with a silent page
            if not cancel.is_set():
                run.error = f"{busy} failed: {e}"
        finally:
            if run.work == ticket:
                run.busy, run.progress = "", None
            run.changed()

    run.thread = threading.Thread(target=body, daemon=True, name=f"esim-{busy}")
    run.thread.start()
    return True


def cancel_work(run: Run) -> None:
    """Stop the work in progress: the controls come back at once and the run stays as it was
    before the work (a finished month of Play or run-to-month is kept); work that cannot stop
    midway (building a population) ends in the background and its result is discarded."""
    run.cancel.set()
    with run.lock:
        if run.busy:
            run.abandoned = run.thread
            run.work += 1
            run.busy, run.progress = "", None
            run.changed()


def play(speed: float, pause_on_rise: bool):
    def work(run: Run, cancel: threading.Event) -> None:
        while not cancel.wait(1.0 / speed):
            with run.lock:
                s = run.session
                if s.ended or cancel.is_set():
                    return
                before = s.latest("observed_stage")
                s.step()
                now = int(s.latest("observed_stage"))
                run.changed()
                if pause_on_rise and now > before:
                    run.paused = (s.month, f"Paused at month {s.month}: the warning level rose "
                                           f"to {now} ({Stage(now).label}). Decide, then press "
                                           "Play.")
                    return
    return work


def run_to(target: int):
    def work(run: Run, cancel: threading.Event) -> None:
        first, goal = run.session.month, min(int(target), run.session.months)
        while run.session.month < goal and not cancel.is_set():
            with run.lock:
                if cancel.is_set():
                    return
                run.session.step()
                run.busy = f"Running to month {goal}: month {run.session.month}"
                run.progress = (run.session.month - first) / max(goal - first, 1)
                run.changed()
    return work


def branch(package: list[str]):
    def work(run: Run, cancel: threading.Event) -> None:
        with run.lock:   # the inputs only: the fork runs outside the lock
            s = run.session
            args = (s.scenario, s.seed, list(s.injects), s.month)

        def progress(share: float) -> None:
            if not cancel.is_set():
                run.progress = share
                run.changed()

        pair = fork(*args, [(k, 1.0, None) for k in package], cancel, progress)
        with run.lock:
            if pair is not None and not cancel.is_set():
                run.branch = Branch(*pair, tuple(package), args[3], len(args[2]))
    return work


def locked(component):
    """Render ``component`` holding its run's (or session's) lock, so that it never reads a
    month a background thread is half-way through."""
    @functools.wraps(component)
    def render(*args, **kwargs):
        owner = next(a for a in (*args, *kwargs.values()) if isinstance(a, Run | Session))
        with owner.lock:
            return component(*args, **kwargs)
    return render


# ---- panels -------------------------------------------------------------------------------
@solara.component
@locked
def StageGauge(session: Session, truth: bool, dark: bool, version: int):
    stage = int(session.latest("stage" if truth else "observed_stage"))
    solara.HTML("div", gauge_html(stage, dark, "True stage" if truth else "Warning level"))


@solara.component
@locked
def Controls(run: Run, projector: bool, version: int):
    s = run.session
    speed = solara.use_reactive(next(iter(SPEEDS)))
    pause_on_rise = solara.use_reactive(True)
    target = solara.use_reactive(24)
    busy = bool(run.busy)
    changed = use_changed(run)

    def step():
        with run.lock:
            if not s.ended and not run.busy:
                s.step()
                run.error = ""
                changed()

    def start_again():
        cancel_work(run)
        with run.lock:
            s.reset()
            run.branch = run.paused = None
            run.error = ""
            changed()

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap", "gap": "8px"}):
        solara.HTML("div", f"Month {s.month}", classes=["esim-month"],
                    attributes={"id": "month", "data-testid": "month"})
        solara.Text(f"of {s.months} — {s.scenario.name}, seed {s.seed}")
        solara.Button("Step", on_click=step, disabled=s.ended or busy, color="primary",
                      icon_name="mdi-skip-next")
        if run.busy:
            solara.Button("Pause" if run.busy == "Playing" else "Cancel",
                          on_click=lambda: (cancel_work(run), changed()),
                          icon_name="mdi-pause" if run.busy == "Playing" else "mdi-close",
                          color="warning")
        else:
            solara.Button("Play", disabled=s.ended, icon_name="mdi-play",
                          on_click=lambda: start(run, "Playing", play(
                              SPEEDS[speed.value], pause_on_rise.value)) and changed())
        solara.Select("Speed", values=list(SPEEDS), value=speed, style={"max-width": "11em"})
        solara.InputInt("Run to month", value=target, style={"max-width": "6.5em"}, **TYPED)
        # the button names the month the server holds: a click can overtake what was typed
        # (Advanced, "changed to"), so what Go will do is shown before it is pressed
        solara.Button(f"Go to {target.value}", disabled=s.ended or busy,
                      on_click=lambda: start(run, f"Running to month {target.value}",
                                             run_to(target.value)) and changed())
        solara.Button("Start again", on_click=start_again, icon_name="mdi-restart",
                      outlined=True, disabled=busy and run.busy != "Playing")
        if not projector:
            solara.Checkbox(label="Pause when the warning level rises", value=pause_on_rise)


@solara.component
@locked
def Banners(run: Run, truth: bool, version: int):
    """Messages that hold right now, each only while it is true."""
    s = run.session
    with solara.Column(classes=["esim-banners"], gap="2px"):
        if run.busy and run.busy != "Playing":
            with solara.Column(classes=["busy"], gap="0px"):
                solara.Info(f"{run.busy} … (other controls wait; Cancel stops it)")
                solara.ProgressLinear(True if run.progress is None else 100 * run.progress,
                                      classes=["busy-progress"])
        if s.ended:
            with run.lock:
                o = s.outcome()
            solara.Warning(f"The run has ended at month {s.month}. Highest stage "
                           f"{o.highest_stage}; {o.deaths:,.0f} deaths. See the Summary tab. "
                           f"{CAVEAT}" if truth else f"The run has ended at month {s.month}.",
                           classes=["run-ended"])
        if truth and run.paused is not None and run.paused[0] == s.month and not run.busy:
            solara.Info(run.paused[1], classes=["paused"])
        if truth and s.notice:
            solara.Info(s.notice)
        if truth and run.error:
            solara.Error(run.error, classes=["run-error"])


@solara.component
def Plots(session: Session, truth: bool, projector: bool, dark: bool, width: int,
          version: int):
    """The live plots, drawn once the browser has said how wide their box is (``width``, px;
    :class:`Viewport`): at the width they are shown at, so their text has its size in pixels
    (:attr:`figures.LivePlot.TEXT_PX`). The page (and its Step button) comes first."""
    with solara.v.Html(tag="div", attributes={"data-testid": "plots", "id": "plots"}):
        if width > 0:
            LivePlotImage(session, truth, projector, dark, width - width % PLOT_STEP, version)
        else:
            solara.Text("Drawing the plots …")


PLOT_STEP = 40
"""The plots are drawn again for a new box width only when it crosses a multiple of this
(px): a scroll bar coming or going does not redraw them."""


@solara.component
@locked
def LivePlotImage(session: Session, truth: bool, projector: bool, dark: bool, width: int,
                  version: int):
    panels = figures.DESK if truth and not projector else (
        figures.PROJECTOR if truth else figures.ROOM)
    # one live plot per run inputs (a Reset), theme, layout and width; not per inject or step
    plot = solara.use_memo(lambda: figures.LivePlot(session, dark, panels, projector, width),
                           [session.scenario, session.seed, dark, panels, projector, width])
    png = solara.use_memo(lambda: plot.png(session), [version, plot, session.month])
    with solara.v.Html(tag="div", attributes={"data-tick-px": str(plot.tick_px)}):
        solara.Image(png, format="png", width="100%")


@solara.component
def DistrictMap(run: Run, truth: bool, dark: bool, width: int, version: int):
    """The live map (plotly: zoom and pan in the browser, kept from month to month); the
    room's shows what is reported (:func:`figures.districts`).

    It mounts one render after the page, once the browser has said how wide its box is:
    plotly's widget code (about 5 MB) then reaches the browser after the controls, which are
    usable meanwhile."""
    mounted = solara.use_reactive(False)
    solara.use_effect(lambda: mounted.set(True), [])
    if mounted.value and width > 0:   # drawn at its box's width (reported by Viewport) only:
        LiveMap(run, truth, dark, width, version)   # plotly's default 700 px overflows it
    else:
        solara.v.Html(tag="div", attributes={"data-testid": "map", "id": "district-map"},
                      children=["Loading the map …"])


@solara.component
def LiveMap(run: Run, truth: bool, dark: bool, width: int, version: int):
    """One plotly widget per mount, theme and map layout; each month changes the values of its
    traces in place (:func:`figures.update_map`: one message, one redraw in the browser). The
    axes' ranges are never sent again, so the trainer's zoom stays, however soon after it a
    month comes."""
    from plotly.graph_objects import FigureWidget

    s = run.session
    # while Play or run-to-month steps, the map is redrawn at most every MAP_INTERVAL seconds
    # (a plotly redraw each month kept the page's own clicks, Pause among them, waiting)
    shown = solara.use_ref((-1.0, None))   # (when drawn, version drawn)
    now = time.monotonic()
    if not run.busy or now - shown.current[0] >= MAP_INTERVAL or shown.current[1] is None:
        shown.current = (now, version)
    stamp = shown.current[1]

    def draw():
        with run.lock:
            rows = figures.districts(s, truth)
            return rows, figures.map_spec(s, rows, truth, dark, s.reported_month(), width), \
                figures.map_title(s.month, truth, s.reported_month())
    rows, spec, title = solara.use_memo(draw, [stamp, dark, truth, width])
    # one widget per theme and set of traces (another scenario): plotly changes the values of
    # a widget's traces, never their number ...
    layout_key = repr((dark, *(t.get("name") for t in spec["data"])))
    widget = solara.use_memo(FigureWidget, [layout_key])
    solara.use_effect(lambda: widget.close, [widget])   # closed when replaced or unmounted
    heading = solara.use_memo(lambda: ipyvuetify.Html(tag="div", class_="esim-map-title"), [])
    on_screen = solara.use_ref((None, None))   # (the widget, the spec it shows)

    def update() -> None:   # ... filled once, then changed in place
        if on_screen.current[0] is not widget:
            widget.add_traces(spec["data"])
            widget.layout = spec["layout"]
        else:   # nothing is sent (nor drawn) when no district's numbers changed
            figures.update_map(widget, on_screen.current[1], spec)
        on_screen.current = (widget, spec)
        # the title (the month shown) goes after the figure's change: the browser shows it
        # once it has drawn the figure of that month
        heading.children = [title]
    solara.use_effect(update, [widget, spec, title])   # compared by value: both
    solara.v.Html(tag="div", attributes={"data-testid": "map", "id": "district-map"},
                  children=[heading, widget])
    legend = solara.use_memo(lambda: figures.map_legend_html(s, truth), [s.scenario, truth])
    solara.HTML("div", legend)
    Fold("Numbers by district (people)",
         lambda: solara.HTML("div", district_table(rows, truth), classes=["esim-md"]))


@solara.component
def Fold(summary: str, content: Callable[[], object], expand: bool = False):
    """``solara.Details`` whose content (``content()``, which renders it) is rendered only
    while it is open. Reacton reconciles every widget of the page at every render, changed or
    not, so a folded parameter list (about 200 widgets) cost each month's step as much as
    the rest of the page; folded, it holds none."""
    open_ = solara.use_reactive(expand)
    with solara.v.ExpansionPanels(v_model=0 if open_.value else None,
                                  on_v_model=lambda v: open_.set(v == 0)), \
            solara.v.ExpansionPanel():
        solara.v.ExpansionPanelHeader(children=[summary])
        with solara.v.ExpansionPanelContent():
            if open_.value:
                content()


@solara.component
@locked
def InjectPanel(run: Run, version: int):
    s = run.session
    labels = {story.name(k): k for k in CATALOGUE}
    events = {story.name(k): k for k in EVENT_KINDS}
    iv = solara.use_reactive(next(iter(labels)))
    iv_intensity = solara.use_reactive(1.0)
    iv_duration = solara.use_reactive(0)
    ev = solara.use_reactive(next(iter(events)))
    ev_magnitude = solara.use_reactive(1.0)
    changed = use_changed(run)

    def inject(kind, strength, duration=None):
        cancel_work(run)
        with run.lock:
            try:
                s.inject(kind, strength, duration)
            except (RuntimeError, ValueError) as e:
                run.error = str(e)
            else:
                run.error = ""
            changed()

    with solara.Columns([1, 1]):
        with solara.Column():
            Md("### Deploy an intervention")
            solara.Select("Intervention", values=list(labels), value=iv)
            kind = labels[iv.value]
            facts = intervention_facts(kind)
            Md(f"*{story.describe(kind)}*\n\n" + "\n".join(
                f"- **{k}**: {v}" for k, v in facts.items()))
            solara.InputFloat("Intensity (0–5)", value=iv_intensity, **TYPED)
            solara.InputInt("Duration in months (0: to the end)", value=iv_duration, **TYPED)
            # the choice is read at the click, not at the render: a click that reaches the
            # server after the select's change but before the page redraws deploys the choice
            solara.Button(f"Deploy from month {s.month + 1}", disabled=s.ended or bool(run.busy),
                          on_click=lambda: inject(labels[iv.value], iv_intensity.value,
                                                  iv_duration.value or None), color="warning")
        with solara.Column():
            Md("### Trigger an event")
            solara.Select("Event", values=list(events), value=ev)
            Md(f"*{story.describe(events[ev.value])}*")
            solara.InputFloat("Magnitude (0–5)", value=ev_magnitude, **TYPED)
            solara.Button(f"Trigger in month {s.month + 1}", disabled=s.ended or bool(run.busy),
                          on_click=lambda: inject(events[ev.value], ev_magnitude.value),
                          color="warning")
            Fates(s, version)


@solara.component
@locked
def Fates(session: Session, version: int = 0):
    fates = story.fates(session)
    Md("### What became of the injects")
    items = "".join(f"<li><b>{html.escape(story.name(f.inject.kind))}</b> (month "
                    f"{f.inject.month - 1}): <b>{html.escape(f.outcome)}</b> — "
                    f"{html.escape(f.why)}</li>" for f in fates)
    solara.HTML("div", f'<ul class="esim-fates" id="fates">{items or "<li>none yet</li>"}</ul>')


@solara.component
@locked
def BranchPanel(run: Run, dark: bool, version: int):
    s = run.session
    labels = {story.name(k): k for k in CATALOGUE}
    package = solara.use_reactive([])
    changed = use_changed(run)
    b = run.branch
    label = " + ".join(story.name(k) for k in b.package) if b else ""
    png = solara.use_memo(lambda: None if b is None else figures.png(
        figures.comparison(b.as_is, b.with_package, label, dark)), [b, dark])

    def go():
        if not package.value:
            run.error = "Choose at least one intervention for the package."
            changed()
            return
        start(run, "Branching", branch([labels[p] for p in package.value]))
        changed()

    Md(f"Fork at month {s.month}: **as is** versus **with this package** (from next month, "
       "intensity 1), on the same random numbers, both to the end.")
    solara.SelectMultiple("Package", values=package, all_values=list(labels))
    solara.Button("Branch and compare", on_click=go, color="primary",
                  disabled=s.ended or bool(run.busy))
    if b is None:
        return
    if b.stale(s):
        solara.Warning(f"This comparison is from month {b.month}; the run has moved on since. "
                       "Branch again to compare from now.", classes=["stale"])
    solara.Image(png, format="png", width="100%")
    as_is, with_p = b.as_is, b.with_package
    rows = [("deaths", "deaths"), ("displaced (end)", "displaced"), ("cost", "cost")]
    Md(f"| at month {as_is.months} | as is | with package | difference |\n"
       "|---|---|---|---|\n" + "\n".join(
           f"| {t} | {as_is.latest(k):,.0f} | {with_p.latest(k):,.0f} | "
           f"{with_p.latest(k) - as_is.latest(k):+,.0f} |" for t, k in rows)
       + f"\n| highest stage | {int(as_is.series('stage').max())} | "
         f"{int(with_p.series('stage').max())} | |")
    Fates(with_p)


@solara.component
@locked
def SummaryPanel(run: Run, truth: bool, version: int):
    s = run.session
    b = run.branch
    pair = None if b is None or b.stale(s) else (b.as_is, b.with_package)
    with run.lock:   # a consistent run, not one a background step is half-way through
        summary = story.summary(s, pair, origin(run))
        if not truth:   # the room sees the posterior's draw, not the drawn situation's truth
            summary = story.room_summary(s, drawn_note(s.scenario, run.drawn))
    solara.HTML("div", story.summary_html(summary),
                attributes={"id": "end-summary", "data-testid": "end-summary"},
                classes=["esim-md"])
    name = f"{s.scenario.name}-seed{s.seed}-month{s.month}-summary"
    with solara.Row():
        solara.FileDownload(lambda: figures.png(story.summary_figure(summary, s)),
                            filename=f"{name}.png", label="Summary slide (PNG)")
        solara.FileDownload(lambda: pdf(story.summary_figure(summary, s)),
                            filename=f"{name}.pdf", label="Summary slide (PDF)")


def pdf(fig) -> bytes:
    import io

    out = io.BytesIO()
    fig.savefig(out, format="pdf")
    return out.getvalue()


@solara.component
@locked
def ExportPanel(session: Session, plot_png_of, version: int, origin: str = ""):
    """The run's files; ``origin``: where its coefficients came from (a posterior's draw),
    said in the scenario file's header."""
    s = session
    base = f"{s.scenario.name}-seed{s.seed}-month{s.month}"
    Md("The scenario file holds the injects (events in `events.scheduled`, interventions in "
       f"the policy `{TRAINER}`). Reproduce the run with `escalation-sim run {base}.toml "
       f"--seed {s.seed} --policy {TRAINER}` (its first months equal this run's months so far).")
    with solara.Row(style={"flex-wrap": "wrap"}):
        solara.FileDownload(lambda: scenario_toml(s.full_scenario(), header=(
            f"Exported by the escalation-sim trainer at month {s.month}.\n"
            f"Reproduce: escalation-sim run FILE --seed {s.seed} --policy {TRAINER}\n"
            + (f"{origin}\n" if origin else "") + CAVEAT)),
            filename=f"{base}.toml", label="Scenario + injects (TOML)")
        solara.FileDownload(lambda: timeseries_bytes(s.model, "csv"),
                            filename=f"{base}-timeseries.csv", label="Time series (CSV)")
        solara.FileDownload(lambda: timeseries_bytes(s.model, "parquet"),
                            filename=f"{base}-timeseries.parquet", label="Time series (Parquet)")
        solara.FileDownload(lambda: events_bytes(s.log(), "csv"),
                            filename=f"{base}-events.csv", label="Event log (CSV)")
        solara.FileDownload(lambda: events_bytes(s.log(), "parquet"),
                            filename=f"{base}-events.parquet", label="Event log (Parquet)")
        solara.FileDownload(plot_png_of, filename=f"{base}.png", label="Figure (PNG)")


@solara.component
def ParameterPanel(scenario, edits: solara.Reactive, drawn: tuple[str, ...] = ()):
    """The scenario's key parameters (its ``key_parameters``: the few that matter for its
    brief) as sliders, the rest by section under "Advanced", each with its unit, meaning and
    source on the page; edits apply on Reset. Fields in ``drawn`` (from the posterior: each
    run takes its draw) are left out."""
    def editable():
        return {section: [f for f in items if f[0] not in drawn]
                for section, items in editable_fields(scenario, PARAMETER_SECTIONS).items()}
    fields = solara.use_memo(editable, [scenario, drawn])
    keys = solara.use_memo(lambda: [f for f in key_fields(scenario) if f[0] not in drawn],
                           [scenario, drawn])

    def setter(path, value):
        def set_value(v):
            new = dict(edits.value)
            if v is None or v == value:
                new.pop(path, None)
            else:
                new[path] = v
            edits.value = new
        return set_value

    Md("**Key parameters of this scenario** — changes apply on **Reset**.")
    for path, value, description, unit, provenance, low, high, is_int in keys:
        current = edits.value.get(path, value)
        changed = f" — changed (scenario: {value:g})" if path in edits.value else ""
        label = (f"{path.rsplit('.', 1)[-1].replace('_', ' ')}: "
                 f"{current if is_int else format(current, '.2f')} {unit}{changed}")
        with solara.Div(classes=["esim-key"], attributes={"data-path": path}):
            if is_int:
                solara.SliderInt(label, value=current, min=low, max=high,
                                 on_value=setter(path, value), thumb_label=False)
            else:
                solara.SliderFloat(label, value=current, min=low, max=high,
                                   step=(high - low) / 100, on_value=setter(path, value),
                                   thumb_label=False)
            solara.Text(f"{path}: {description}; source: {provenance or 'not given'}",
                        classes=["esim-src"])
    shown = {k[0] for k in keys}

    def section(items) -> None:
        for path, value, description, unit, provenance, low, high, is_int in items:
            if path in shown:
                continue
            current = edits.value.get(path, value)
            bounds = (f" [{low:g}–{high:g}]" if low is not None and high is not None
                      else "")
            label = f"{path.split('.', 1)[1]} ({unit}){bounds}" + (
                f" — changed to {current:g} (scenario: {value:g})"
                if path in edits.value else "")
            widget = solara.InputInt if is_int else solara.InputFloat
            with solara.Div(style={"margin": "10px 0 0 0"}):
                widget(label, value=current, on_value=setter(path, value), **TYPED)
            solara.Text(f"{description}; source: {provenance or 'not given'}",
                        classes=["esim-src"])

    Fold("Advanced", lambda: [Fold(name.replace("_", " ").capitalize(),
                                   functools.partial(section, items))
                              for name, items in fields.items()])


@solara.component
@locked
def SetupPanel(run: Run, busy: bool, shown: Scenario, seed_shown: int = 0):
    """Scenario (shipped or uploaded), its brief, seed, parameters: they apply on Reset.

    It takes what it shows of the run (whether work is in progress, the scenario in force and
    its seed, from which a spread draws the situation), not the run's version: a step leaves
    it alone. In the sidebar that matters twice over: the sidebar's content goes to the layout
    through a portal, and new content there would render the whole layout again, every widget
    of the page, at every month."""
    names = solara.use_memo(available, [])
    scenario_name = solara.use_reactive(run.scenario_name)
    uploaded = solara.use_reactive(run.uploaded)
    upload_error = solara.use_reactive("")
    seed = solara.use_reactive(run.session.seed)
    edits = solara.use_reactive(dict(run.edits))
    base = solara.use_memo(lambda: _scenario(scenario_name.value, uploaded.value),
                           [scenario_name.value, uploaded.value])
    changed = use_changed(run)

    def reset():
        cancel_work(run)   # Play, or an earlier build
        try:
            source = _scenario(scenario_name.value, uploaded.value)
            scenario, j = drawn(with_overrides(source, edits.value, source.name), seed.value)
        except InputError as e:
            run.error = str(e)
            changed()
            return
        choice = (scenario_name.value, uploaded.value, dict(edits.value), seed.value)

        def build(run: Run, cancel: threading.Event) -> None:   # seconds when large
            fresh = Session(scenario, choice[3])      # outside the lock: pages still render
            with run.lock:
                if cancel.is_set():                   # cancelled: discarded
                    return
                run.session.take(fresh)
                run.scenario_name, run.uploaded, run.edits = choice[:3]
                run.drawn = j
                run.branch = run.paused = None
            rooms.trim()   # a larger population may push older runs out

        start(run, f"Building {scenario.name} ({scenario.run.n_civilians:,} civilians)", build)
        changed()   # the build's banner, or why it cannot start now

    def on_upload(files):
        if not files:
            return
        try:
            scenario = load_upload(files[0]["name"], bytes(files[0]["content"]))
        except InputError as e:
            upload_error.value = str(e)
            return
        upload_error.value = ""
        uploaded.value = scenario
        scenario_name.value = UPLOADED
        edits.value = {}
        reset()

    def pick(name):
        scenario_name.value = name
        edits.value = {}
        reset()

    choices = [*names, *([UPLOADED] if uploaded.value is not None else [])]
    solara.Select("Scenario", values=choices, value=scenario_name.value, on_value=pick,
                  disabled=busy)
    Md(f"**{plain(shown.title or shown.name)}**")
    note = drawn_note(shown, run.drawn)
    if note:
        with solara.Details("Coefficients drawn from the posterior", expand=True):
            solara.Text(note, classes=["posterior-note"])
    situated = situation_note(run.session)
    if situated:
        with solara.Details("This run's situation (drawn)", expand=True):
            solara.Text(situated, classes=["situation-note"])
    with solara.Details("Brief", expand=True):
        Md(plain(shown.brief or "(no brief)"))
    solara.InputInt("Seed (applies on Reset)", value=seed, **TYPED)
    solara.Button("Reset", on_click=reset, color="primary", icon_name="mdi-restart",
                  disabled=busy)
    ParameterPanel(base, edits, drawn_fields())
    Md("**Upload a scenario** (TOML; validated like the command line)")
    widgets.FileUpload.element(accept=".toml", multiple=False, description="Upload .toml",
                               on_value=on_upload)
    if upload_error.value:
        solara.Error(upload_error.value, classes=["upload-error"])


@solara.component
def RoomLink(run: Run):
    Md(f"**The room's view** (only what outside actors see: the warning level, reported deaths "
       f"and displacement, no controls): open `?room={run.room}` on the projector. This page's "
       f"own address (`?run=…`) is the facilitator's: keep it private.")
    solara.HTML("a", f"Open the room's view (?room={run.room})",
                attributes={"href": f"?room={run.room}", "target": "_blank",
                            "id": "room-link"})


@solara.component_vue("viewport.vue")
def Viewport(width: int = 0, on_width=None, map_width: int = 0, on_map_width=None,
             plot_width: int = 0, on_plot_width=None, search: str = ""):
    """Reports the browser window's width once, when mounted, and the live map's and the
    plots' box widths whenever they change (plotly's widget does not fit itself to its box;
    the plots are drawn at theirs); puts ``search`` (the run's key) in the address bar
    without reloading."""


# ---- the page ----------------------------------------------------------------------------
def use_run(router) -> tuple[Run | None, bool]:
    """The run this page shows (from the URL, or a new one) and whether it is the room's."""
    query = rooms.parse(router.search)

    def find():
        if "run" in query:
            run = rooms.find(query["run"])
            if run is not None:
                return run, False
        elif "room" in query:
            return rooms.find_room(query["room"]), True
        names = available()
        name = "default" if "default" in names else names[0]
        return new_run(name), False

    return solara.use_memo(find, [])


def use_version(run: Run):
    """The run's version, polled: a change by background work or another page re-renders;
    and a function that shows a change made by this page at once."""
    version = solara.use_reactive(run.version)

    def poll(cancel: threading.Event):
        while not cancel.wait(POLL_S):
            if run.version != version.value:
                version.value = run.version
    solara.use_thread(poll, dependencies=[], intrusive_cancel=False)
    return version.value, lambda: version.set(run.version)


@solara.component
def Page():
    solara.Style(CSS)
    router = solara.use_router()
    run, room = use_run(router)
    if run is None:
        solara.Error("This room link is not (or no longer) valid: ask the facilitator for the "
                     "current one.")
        return
    RunPage(run, truth=not room)


@solara.component
@locked
def RunPage(run: Run, truth: bool):
    version, bump = use_version(run)
    bump_context.provide(bump)
    width = solara.use_reactive(0)
    projector = solara.use_reactive(None)
    tab = solara.use_reactive(0)
    dark = solara.lab.use_dark_effective()
    on_projector = projector.value if projector.value is not None else (
        0 < width.value <= PROJECTOR_WIDTH or not truth)
    s = run.session
    map_width = solara.use_reactive(0)
    plot_width = solara.use_reactive(0)
    Viewport(width=width.value, on_width=width.set, map_width=map_width.value,
             on_map_width=map_width.set, plot_width=plot_width.value,
             on_plot_width=plot_width.set,
             search=f"?run={run.key}" if truth else f"?room={run.room}")
    with solara.Column(style={"padding": "4px 8px"}, gap="2px",
                       classes=["esim-projector"] if on_projector else []):
        if truth:
            Controls(run, on_projector, version)
        else:
            solara.HTML("div", f"Month {s.month}", classes=["esim-month"],
                        attributes={"id": "month", "data-testid": "month"})
        if width.value == 0:   # the rest depends on the screen: it waits for its width (one
            solara.Text("Loading …")   # message), the controls (the same then) do not
            return
        StageGauge(s, truth, dark, version)
        Banners(run, truth, version)
        solara.HTML("div", html.escape(story.caption(s, truth=truth)),
                    classes=["esim-caption"], attributes={"id": "caption",
                                                          "data-testid": "caption"})
        solara.HTML("div", monitors_html(s, truth))
        beside = width.value >= MAP_BESIDE
        if beside:   # the live map beside the plots
            with solara.Columns([3, 2]):
                Plots(s, truth, on_projector, dark, plot_width.value, version)
                with solara.Column(gap="4px"):
                    DistrictMap(run, truth, dark, map_width.value, version)
                    if truth and not on_projector:   # the facilitator's desk: the log too
                        Md("**Event log**")
                        solara.HTML("div", log_html(s, truth))
        elif on_projector:
            Plots(s, truth, True, dark, plot_width.value, version)
        else:
            with solara.Columns([3, 1]):
                Plots(s, truth, False, dark, plot_width.value, version)
                with solara.Column():
                    Md("**Event log**")
                    solara.HTML("div", log_html(s, truth))
        solara.HTML("div", timeline_html(s, truth))
        tabs = [t for t in (TABS if truth else ("Summary", "Map", "Event log", "About"))
                if not (beside and t == "Map")]
        with solara.lab.Tabs(value=tab, lazy=True):
            for name in tabs:
                with solara.lab.Tab(name):
                    if name == "Injects":
                        InjectPanel(run, version)
                    elif name == "Branch and compare":
                        BranchPanel(run, dark, version)
                    elif name == "Summary":
                        SummaryPanel(run, truth, version)
                    elif name == "Map":
                        DistrictMap(run, truth, dark, map_width.value, version)
                    elif name == "Event log":
                        solara.HTML("div", log_html(s, truth).replace('id="event-log"',
                                                                      'id="event-log-tab"'))
                    elif name == "Export":
                        ExportPanel(s, lambda: figures.LivePlot(s).png(s), version,
                                    origin(run))
                    elif name == "Setup":
                        if on_projector:
                            SetupPanel(run, bool(run.busy), s.scenario, s.seed)
                        RoomLink(run)
                    elif name == "About":
                        Md(ABOUT)
    # after the page's column, so that the controls keep their place when these come
    with solara.AppBar():
        solara.AppBarTitle("escalation-sim — " + ("facilitator" if truth else "the room"))
        solara.v.Html(tag="div", attributes={"data-testid": "projector-toggle"}, children=[
            solara.Switch(label="Projector", value=on_projector, on_value=projector.set,
                          classes=["projector-toggle"])])
        solara.lab.ThemeToggle(enable_auto=False)
    if truth and not on_projector:
        with solara.Sidebar():
            SetupPanel(run, bool(run.busy), s.scenario, s.seed)


ABOUT = f"""
### What this is
An agent-based simulation of how a stylized country slides from general risk into atrocity
crimes, and of what stops the slide, after the UN Secretary-General's reports on the
Responsibility to Protect of 2014 and 2016 (R14, R16). One step is one month.

### How it works
Civilians of several identity groups carry grievance, fear and exposure to hate speech; leaders,
armed groups, the government and seven institutional "brakes" (security sector, electoral body,
judiciary, early warning, local mediation, media, transitional justice) act each month. The
**stage** (0 no significant risk, 1 general risk, 2 specific threat, 3 imminent or ongoing
atrocity) comes from indicators of the UN Framework of Analysis; early warning sees it with noise
and delay (the *warning level*). Interventions from the catalogue pass through warning, agenda,
Security Council decision (veto), consent, funding and a deployment lag before they act.

### The facilitator and the room
This page (its address ends in `?run=…`) is the facilitator's: it shows the true stage and
holds the controls; a reload keeps the run. The room's link (`?room=…`, under Setup) shows the
same run as outside actors would see it: the warning level, reported deaths and displacement.

### Things to try
- Step to the election (month 18 in `default`) and watch hate speech and the stage.
- Deploy preventive diplomacy early, then a peacekeeping mission late: compare lags and costs.
- Branch at the first stage-2 month with and without a package; note the difference in deaths.
- Change the seed: the same inputs give the same run; a different seed, a different history.

### Limits
Stylized and illustrative: coefficients are assumptions chosen to reproduce the reports'
qualitative patterns, not estimates from data. **{CAVEAT}**
"""
