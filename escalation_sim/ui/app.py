"""The trainer page (Solara). Start it with ``escalation-sim ui``.

A plain Solara page whose own controls drive a :class:`~escalation_sim.ui.session.Session`
built inside the page component, so every browser session has its own run.
"""

from __future__ import annotations

import html
import threading
import time

import ipywidgets as widgets
import markdown
import solara
import solara.lab

from ..catalogue import CATALOGUE
from ..errors import InputError
from ..export import events_bytes, scenario_toml, timeseries_bytes
from ..outcomes import CAVEAT
from ..plotting import STAGE_COLOURS
from ..scenario import available
from ..stages import Stage
from ..submodels.observation import INDICATORS
from . import figures
from .session import EVENT_KINDS, TRAINER, Session, intervention_facts
from .uploads import editable_fields, load_shipped, load_upload, with_overrides

PARAMETER_SECTIONS = ("run", "government", "institutions", "events")
SPEEDS = {"slow (1 month/s)": 1.0, "normal (3 months/s)": 3.0, "fast (10 months/s)": 10.0}
UPLOADED = "(uploaded file)"

CSS = """
.v-application, .v-application .v-input, .v-application .v-btn { font-size: 17px; }
.esim-month { font-size: 2.4rem; font-weight: 700; line-height: 1.1; }
.esim-gauge { display: flex; gap: 4px; margin: 4px 0; }
.esim-gauge div { flex: 1; padding: 6px 4px; text-align: center; border-radius: 4px;
                  color: #111; opacity: 0.35; font-size: 0.9rem; }
.esim-gauge div.on { opacity: 1; font-weight: 700; outline: 3px solid #111; }
.esim-monitors { display: flex; gap: 12px; flex-wrap: wrap; }
.esim-monitors div { min-width: 9em; }
.esim-monitors b { display: block; font-size: 1.6rem; }
.esim-log { max-height: 560px; overflow-y: auto; font-size: 15px; }
.esim-log p { margin: 0 0 4px 0; }
.esim-log .inject { color: #e6550d; font-weight: 600; }
.esim-md table { border-collapse: collapse; margin: 8px 0; }
.esim-md th, .esim-md td { border: 1px solid #999; padding: 4px 12px; text-align: right; }
.esim-map { display: grid; gap: 6px; max-width: 900px; }
.esim-map .cell { border: 1px solid #888; border-radius: 6px; padding: 6px; color: #111;
                  font-size: 14px; min-height: 96px; }
.esim-map .bar { display: flex; height: 14px; margin: 4px 0; border: 1px solid #555; }
.esim-map .pk { font-weight: 700; color: #08519c; }
.esim-legend span { display: inline-block; padding: 0 8px; margin-right: 6px; color: #111; }
"""


def Md(text: str, classes: tuple[str, ...] = ()):
    """Markdown rendered on the server (``solara.Markdown`` would fetch KaTeX and Mermaid from a
    CDN: nothing may leave the machine)."""
    return solara.HTML("div", markdown.markdown(text, extensions=["tables"]),
                       classes=["esim-md", *classes])


def _scenario(name: str, uploaded):
    return uploaded if name == UPLOADED and uploaded is not None else load_shipped(name)


def gauge_html(stage: int) -> str:
    cells = "".join(
        f'<div class="{"on" if k == stage else ""}" style="background:{c}">'
        f"{k} {html.escape(Stage(k).label)}</div>" for k, c in enumerate(STAGE_COLOURS))
    return f'<div class="esim-gauge" id="stage-gauge" data-stage="{stage}">{cells}</div>'


def monitors_html(session: Session) -> str:
    items = [("deaths", f"{session.latest('deaths'):,.0f}", "people killed so far"),
             ("displaced", f"{session.latest('displaced'):,.0f}", "people displaced now"),
             ("mobilized", f"{100 * session.latest('mobilized'):.1f} %", "of civilians mobilized"),
             ("warning level", f"stage {int(session.latest('observed_stage'))}",
              "what early warning sees"),
             ("cost so far", f"{session.latest('cost'):,.0f}", "cost units of interventions")]
    return '<div class="esim-monitors">' + "".join(
        f'<div title="{html.escape(t)}">{html.escape(k)}<b>{html.escape(v)}</b></div>'
        for k, v, t in items) + "</div>"


def log_html(session: Session) -> str:
    rows = [f'<p class="{"inject" if e.kind == "inject" else ""}"><b>Month {e.month}</b> — '
            f"{html.escape(e.text)}</p>" for e in reversed(session.log())]
    return '<div class="esim-log" id="event-log">' + ("".join(rows) or
                                                    "<p>Nothing has happened yet.</p>") + "</div>"


GROUP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666", "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6")


def indicator_legend_html() -> str:
    return "Risk-factor indicators: " + "".join(
        f'<span style="border-left: 14px solid {c}; color: inherit">{n.replace("_", " ")}</span>'
        for n, c in zip(INDICATORS, figures.INDICATOR_COLOURS, strict=False))


def map_html(session: Session) -> str:
    """The districts as a grid: background red with victimization, a bar of group composition,
    displacement and protective presence; every cell has a tooltip with the numbers."""
    rows = figures.districts(session)
    worst = max([r["victimization"] for r in rows] + [1e-9])
    width = session.scenario.space.width
    cells = []
    for r in sorted(rows, key=lambda r: (-r["y"], r["x"])):
        alive = sum(r["groups"].values()) or 1.0
        bar = "".join(f'<div style="width:{100 * v / alive:.1f}%;background:'
                      f'{GROUP_COLOURS[i % len(GROUP_COLOURS)]}"></div>'
                      for i, v in enumerate(r["groups"].values()))
        heat = r["victimization"] / worst if r["victimization"] > 0 else 0.0
        tip = (f"District {r['district']} ({r['x']}, {r['y']}): "
               + ", ".join(f"group {n} {v:,.0f}" for n, v in r["groups"].items())
               + f"; victimization index {r['victimization']:.3f}; "
               f"{100 * r['displaced_share']:.0f} % of residents displaced; "
               f"international protection {r['protection']:.2f}")
        pk = f'<div class="pk">protection {r["protection"]:.1f}</div>' if r["protection"] else ""
        cells.append(f'<div class="cell" title="{html.escape(tip)}" '
                     f'style="background:rgba(179,0,0,{0.08 + 0.7 * heat:.2f})">'
                     f"<b>District {r['district']}</b><div class=\"bar\">{bar}</div>"
                     f"displaced {100 * r['displaced_share']:.0f} %{pk}</div>")
    legend = "".join(f'<span style="background:{GROUP_COLOURS[i % len(GROUP_COLOURS)]}">'
                     f"group {html.escape(g.name)}</span>"
                     for i, g in enumerate(session.scenario.groups))
    return (f'<div class="esim-legend">{legend} — red: victimization (darkest = worst '
            f'district); hover a district for its numbers</div>'
            f'<div class="esim-map" id="district-map" '
            f'style="grid-template-columns:repeat({width},1fr)">{"".join(cells)}</div>')


@solara.component
def ParameterPanel(scenario, edits):
    """Numeric parameters by section; edits apply on Reset."""
    fields = solara.use_memo(lambda: editable_fields(scenario, PARAMETER_SECTIONS), [scenario])
    Md("**Parameters** — changes apply on **Reset**.")
    for section, items in fields.items():
        with solara.Details(section.replace("_", " ").capitalize()):
            for path, value, description, unit, provenance, low, high, is_int in items:
                current = edits.value.get(path, value)

                def set_value(v, path=path, value=value):
                    new = dict(edits.value)
                    if v is None or v == value:
                        new.pop(path, None)
                    else:
                        new[path] = v
                    edits.value = new

                bounds = f" [{low:g}–{high:g}]" if low is not None and high is not None else ""
                label = f"{path.split('.', 1)[1]} ({unit}){bounds}" + (
                    f" — changed (scenario: {value:g})"
                    if path in edits.value else "")
                widget = solara.InputInt if is_int else solara.InputFloat
                tip = f"{description}. Unit: {unit}. Source: {provenance}."
                with solara.Tooltip(tip), solara.Div(style={"margin": "10px 0"}):
                    widget(label, value=current, on_value=set_value)


@solara.component
def Page():  # noqa: C901 - one page, its parts are small closures over the session
    solara.Style(CSS)
    names = solara.use_memo(available, [])
    scenario_name = solara.use_reactive("default" if "default" in names else names[0])
    uploaded = solara.use_reactive(None)
    upload_error = solara.use_reactive("")
    seed = solara.use_reactive(0)
    edits = solara.use_reactive({})
    session = solara.use_memo(lambda: Session(load_shipped(scenario_name.value), 0), [])
    lock = solara.use_memo(threading.Lock, [])
    version = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(next(iter(SPEEDS)))
    pause_on_rise = solara.use_reactive(True)
    message = solara.use_reactive("")
    error = solara.use_reactive("")
    target = solara.use_reactive(24)
    iv_kind = solara.use_reactive(next(iter(CATALOGUE)))
    iv_intensity = solara.use_reactive(1.0)
    iv_duration = solara.use_reactive(0)
    ev_kind = solara.use_reactive(EVENT_KINDS[0])
    ev_magnitude = solara.use_reactive(1.0)
    package = solara.use_reactive([])
    branches = solara.use_reactive(None)
    dark = solara.lab.use_dark_effective()
    _ = version.value  # every change of the run bumps the version: re-render

    def changed():
        version.value += 1

    def reset():
        playing.value = False
        error.value = message.value = ""
        branches.value = None
        try:
            source = _scenario(scenario_name.value, uploaded.value)
            scenario = with_overrides(source, edits.value, source.name)
        except InputError as e:
            error.value = str(e)
            return
        with lock:
            session.reset(scenario, seed.value)
        changed()

    def step():
        with lock:
            if not session.ended:
                session.step()
        changed()

    def run_to():
        playing.value = False
        with lock:
            session.run_to(target.value)
        changed()

    def play_loop():
        while playing.value:
            time.sleep(1.0 / SPEEDS[speed.value])
            if not playing.value:
                break
            with lock:
                if session.ended:
                    playing.value = False
                    break
                before = session.latest("observed_stage")
                session.step()
                rose = session.latest("observed_stage") > before
                now = int(session.latest("observed_stage"))
            changed()
            if rose and pause_on_rise.value:
                playing.value = False
                message.value = (f"Paused at month {session.month}: the observed stage rose to "
                                 f"{now} ({Stage(now).label}). Decide, then press Play.")
            if session.ended:
                playing.value = False

    solara.lab.use_task(play_loop, dependencies=[playing.value], prefer_threaded=True)

    def inject(kind, strength, duration=None):
        playing.value = False
        try:
            with lock:
                session.inject(kind, strength, duration)
        except (RuntimeError, ValueError) as e:
            error.value = str(e)
            return
        error.value = ""
        message.value = session.notice or ""
        branches.value = None
        changed()

    def branch():
        playing.value = False
        if not package.value:
            error.value = "Choose at least one intervention for the package."
            return
        with lock:
            branches.value = session.branch([(k, 1.0, None) for k in package.value])
        error.value = ""

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

    shown = session.scenario
    # the picked (or uploaded) scenario without the trainer's parameter edits
    base = solara.use_memo(lambda: _scenario(scenario_name.value, uploaded.value),
                           [scenario_name.value, uploaded.value])
    # one live plot per (title, horizon, theme): exactly what LivePlot.__init__ draws once (the
    # y-ranges follow the data at every png); redrawn fast on every step, inject and Reset
    plot = solara.use_memo(lambda: figures.LivePlot(session, dark),
                           [shown.name, session.months, session.seed, dark])
    plot_png = solara.use_memo(lambda: plot.png(session), [version.value, plot])
    package_label = " + ".join(package.value) or "package"
    # the comparison is drawn once per branch (and theme), not on every re-render
    comparison_png = solara.use_memo(
        lambda: None if branches.value is None else figures.png(
            figures.comparison(*branches.value, package_label, dark)),
        [branches.value, package_label, dark])

    # ---- sidebar: scenario, seed, parameters, reset -------------------------------------
    with solara.AppBar():
        solara.AppBarTitle("escalation-sim — trainer")
        solara.lab.ThemeToggle(enable_auto=False)
    with solara.Sidebar():
        choices = [*names, *([UPLOADED] if uploaded.value is not None else [])]
        solara.Select("Scenario", values=choices, value=scenario_name.value, on_value=pick)
        Md(f"**{html.escape(shown.title or shown.name)}**")
        with solara.Details("Brief", expand=True):
            Md(html.escape(shown.brief or "(no brief)"))
        solara.InputInt("Seed (applies on Reset)", value=seed)
        solara.Button("Reset", on_click=reset, color="primary", icon_name="mdi-restart")
        ParameterPanel(base, edits)
        Md("**Upload a scenario** (TOML; validated like the command line)")
        widgets.FileUpload.element(accept=".toml", multiple=False, description="Upload .toml",
                                   on_value=on_upload)
        if upload_error.value:
            solara.Error(upload_error.value, classes=["upload-error"])

    # ---- main: month, controls, gauge, monitors ----------------------------------------
    with solara.Column(style={"padding": "8px"}):
        with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.HTML("div", f"Month {session.month}",
                        classes=["esim-month"], attributes={"id": "month"})
            solara.Text(f"of {session.months} — {shown.name}, seed {session.seed}")
            solara.Button("Step", on_click=step, disabled=session.ended or playing.value,
                          color="primary", icon_name="mdi-skip-next")
            solara.Button("Pause" if playing.value else "Play",
                          on_click=lambda: playing.set(not playing.value),
                          disabled=session.ended,
                          icon_name="mdi-pause" if playing.value else "mdi-play")
            solara.Select("Speed", values=list(SPEEDS), value=speed,
                          style={"max-width": "13em"})
            solara.InputInt("Run to month", value=target, style={"max-width": "9em"})
            solara.Button("Go", on_click=run_to, disabled=session.ended)
            solara.Checkbox(label="Pause when the observed stage rises", value=pause_on_rise)
        if session.ended:
            o = session
            solara.Warning(f"The run has ended at month {o.month}. Highest stage "
                           f"{int(o.series('stage').max())}; {o.latest('deaths'):,.0f} deaths. "
                           f"{CAVEAT}", classes=["run-ended"])
        if message.value:
            solara.Info(message.value)
        if error.value:
            solara.Error(error.value)
        solara.HTML("div", gauge_html(int(session.latest("stage"))))
        changes = session.stage_changes()
        solara.Text("Stage changes: " + (", ".join(
            f"month {m}: {a} → {b}" for m, a, b in changes) or "none yet"))
        solara.HTML("div", monitors_html(session))
        with solara.Columns([3, 1]):
            with solara.Column():
                solara.Image(plot_png, format="png", width="100%")
                solara.HTML("div", indicator_legend_html(), classes=["esim-legend"])
            with solara.Column():
                Md("**Event log**")
                solara.HTML("div", log_html(session))

        with solara.lab.Tabs():
            with solara.lab.Tab("Injects"), solara.Columns([1, 1]):
                with solara.Column():
                    Md("### Deploy an intervention")
                    solara.Select("Intervention", values=list(CATALOGUE), value=iv_kind)
                    facts = intervention_facts(iv_kind.value)
                    Md("\n".join(f"- **{k}**: {v}" for k, v in facts.items()))
                    solara.InputFloat("Intensity (0–5)", value=iv_intensity)
                    solara.InputInt("Duration in months (0: to the end)", value=iv_duration)
                    solara.Button(f"Deploy from month {session.month + 1}",
                                  on_click=lambda: inject(iv_kind.value, iv_intensity.value,
                                                          iv_duration.value or None),
                                  disabled=session.ended, color="warning")
                with solara.Column():
                    Md("### Trigger an event")
                    solara.Select("Event", values=list(EVENT_KINDS), value=ev_kind)
                    solara.InputFloat("Magnitude (0–5)", value=ev_magnitude)
                    solara.Button(f"Trigger in month {session.month + 1}",
                                  on_click=lambda: inject(ev_kind.value, ev_magnitude.value),
                                  disabled=session.ended, color="warning")
                    Md(
                        "Every inject is logged and marked on the plots (orange). The run "
                        "is always replayed from its inputs: scenario, seed and injects.")
            with solara.lab.Tab("Branch and compare"):
                Md(f"Fork at month {session.month}: **as is** versus **with this "
                                "package** (from next month, intensity 1), on the same random "
                                "numbers, both to the end.")
                solara.SelectMultiple("Package", values=package, all_values=list(CATALOGUE))
                solara.Button("Branch and compare", on_click=branch, color="primary",
                              disabled=session.ended)
                if branches.value is not None:
                    as_is, with_p = branches.value
                    solara.Image(comparison_png, format="png", width="100%")
                    rows = [("deaths", "deaths"), ("displaced (end)", "displaced"),
                            ("cost", "cost")]
                    Md(f"| at month {as_is.months} | as is | with package | difference |\n"
                                    "|---|---|---|---|\n" + "\n".join(
                                        f"| {t} | {as_is.latest(k):,.0f} | "
                                        f"{with_p.latest(k):,.0f} | "
                                        f"{with_p.latest(k) - as_is.latest(k):+,.0f} |"
                                        for t, k in rows) +
                                    f"\n| highest stage | {int(as_is.series('stage').max())} | "
                                    f"{int(with_p.series('stage').max())} | |")
            with solara.lab.Tab("Export"):
                base = f"{shown.name}-seed{session.seed}-month{session.month}"
                Md(
                    "The scenario file holds the injects (events in `events.scheduled`, "
                    f"interventions in the policy `{TRAINER}`). Reproduce the run with "
                    f"`escalation-sim run {base}.toml --seed {session.seed} --policy {TRAINER}` "
                    "(its first months equal this run's months so far).")
                with solara.Row(style={"flex-wrap": "wrap"}):
                    solara.FileDownload(lambda: scenario_toml(session.full_scenario(), header=(
                        f"Exported by the escalation-sim trainer at month {session.month}.\n"
                        f"Reproduce: escalation-sim run FILE --seed {session.seed} "
                        f"--policy {TRAINER}\n{CAVEAT}")),
                        filename=f"{base}.toml", label="Scenario + injects (TOML)")
                    solara.FileDownload(lambda: timeseries_bytes(session.model, "csv"),
                                        filename=f"{base}-timeseries.csv",
                                        label="Time series (CSV)")
                    solara.FileDownload(lambda: timeseries_bytes(session.model, "parquet"),
                                        filename=f"{base}-timeseries.parquet",
                                        label="Time series (Parquet)")
                    solara.FileDownload(lambda: events_bytes(session.log(), "csv"),
                                        filename=f"{base}-events.csv", label="Event log (CSV)")
                    solara.FileDownload(lambda: events_bytes(session.log(), "parquet"),
                                        filename=f"{base}-events.parquet",
                                        label="Event log (Parquet)")
                    # the image on the page (drawn for the run as it is now)
                    solara.FileDownload(lambda: plot_png,
                                        filename=f"{base}.png", label="Figure (PNG)")
            with solara.lab.Tab("Map"):
                solara.HTML("div", map_html(session))
            with solara.lab.Tab("About"):
                Md(ABOUT)


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

### Things to try
- Step to the election (month 18 in `default`) and watch hate speech and the stage.
- Deploy preventive diplomacy early, then a peacekeeping mission late: compare lags and costs.
- Branch at the first stage-2 month with and without a package; note the difference in deaths.
- Change the seed: the same inputs give the same run; a different seed, a different history.

### Limits
Stylized and illustrative: coefficients are assumptions chosen to reproduce the reports'
qualitative patterns, not estimates from data. **{CAVEAT}**
"""
