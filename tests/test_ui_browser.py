"""The trainer UI in a real browser: Debian's Chromium driven by Playwright against
``escalation-sim ui`` started on 127.0.0.1.

Skipped (with the reason) only when Chromium, Playwright or the 'ui' extra is missing on this
machine; ``.ci/run`` installs all three and sets ``ESCALATION_SIM_REQUIRE_BROWSER=1``, which
turns the skip off, so in CI these tests run (and fail if anything is missing). Screenshots of
each view go to ``output/test-artifacts/ui/``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from escalation_sim.ui import story
from escalation_sim.ui.serve import CHROMIUM_FLAGS, free_port, stop, wait_until_up
from escalation_sim.ui.session import Session, intervention_facts
from escalation_sim.ui.uploads import load_shipped

CHROMIUM = shutil.which("chromium")
MISSING = [m for m in ("solara", "solara_assets", "playwright")
           if importlib.util.find_spec(m) is None]
REQUIRED = os.environ.get("ESCALATION_SIM_REQUIRE_BROWSER") == "1"
pytestmark = [pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None and not REQUIRED,
                       reason="Debian's chromium is not installed "
                              "(as root: apt-get install -y chromium; .ci/run does this)"),
    pytest.mark.skipif(bool(MISSING) and not REQUIRED, reason=f"missing {', '.join(MISSING)}: "
                       "uv sync --all-extras (the 'ui' extra and the dev group)"),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "output" / "test-artifacts" / "ui"
START_TIMEOUT = 120   # s; the server imports Mesa, Solara and the model (slow on a busy machine)
UI_TIMEOUT = 60_000   # ms for anything the page shows after an action (run-to-month under
#                       the full suite's load once took over 30 s)


@contextmanager
def ui_server(logs: Path, *options: str):
    """``escalation-sim ui [OPTIONS]`` on a free port of 127.0.0.1; yields (url, stderr path)."""
    port = free_port()
    out, err = (logs / "stdout").open("wb"), (logs / "stderr").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "escalation_sim.cli", "ui", "--port", str(port),
                             *options], stdout=out, stderr=err, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        try:
            wait_until_up(url, proc, START_TIMEOUT, logs / "stderr")
        except RuntimeError as e:
            pytest.fail(f"escalation-sim ui did not start: {e}")
        yield url, logs / "stderr"
    finally:
        stop(proc)
        out.close()
        err.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``escalation-sim ui`` on a free port of 127.0.0.1; yields (url, stderr path)."""
    with ui_server(tmp_path_factory.mktemp("ui-server")) as started:
        yield started


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


def track_hosts(page) -> set[str]:
    """The set (filled as the page runs) of scheme://host:port of every request it makes."""
    hosts: set[str] = set()

    def request(request) -> None:
        url = urlparse(request.url)
        if url.scheme not in ("data", "blob"):   # in-page data, not network requests
            hosts.add(f"{url.scheme}://{url.netloc}")
    page.on("request", request)
    return hosts


def assert_local(hosts: set[str], url: str) -> None:
    """Every request went to the server on 127.0.0.1 (HTTP or its websocket)."""
    host = urlparse(url).netloc
    allowed = {f"http://{host}", f"ws://{host}"}
    assert hosts and hosts <= allowed, f"requests left 127.0.0.1: {hosts - allowed}"


class Tab:
    """One browser tab on the app, recording console messages and requested hosts."""

    def __init__(self, context, url: str):
        self.page = context.new_page()
        self.console: list[tuple[str, str]] = []
        self.hosts = track_hosts(self.page)
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.set_default_timeout(UI_TIMEOUT)
        started = time.perf_counter()
        self.page.goto(url)
        self.button("Step").wait_for()
        self.ready_s = time.perf_counter() - started

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def see(self, text: str, exact: bool = True):
        try:
            self.page.get_by_text(text, exact=exact).first.wait_for()
        except Exception:   # what the page showed instead, for the artifacts
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=ARTIFACTS / f"failed-{re.sub(r'\W+', '-', text)}.png")
            raise

    def select(self, label: str, option: str) -> None:
        """Choose ``option`` in the select ``label`` and wait until the select shows it and
        its menu has closed (a click made while the menu closes can land on the menu)."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        select = self.page.locator(".v-select", has_text=label).first
        choice = self.page.get_by_role("option", name=option, exact=True)
        # a click that lands while the page re-renders (e.g. just after another button's) can
        # leave the menu shut: open it again, up to three times, before giving up (CI failed
        # once so on 2026-12-06, the option awaited for the whole 60 s)
        for attempt in range(3):
            select.click()
            try:
                choice.wait_for(timeout=UI_TIMEOUT / 4)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                self.page.keyboard.press("Escape")
        choice.click()
        select.locator(".v-select__selections", has_text=option).wait_for()
        self.page.locator(".menuable__content__active").first.wait_for(state="detached")

    def choose(self, label: str, kind: str) -> None:
        """Choose the intervention or event ``kind`` in the select ``label`` and wait until the
        server has drawn its description: a button clicked before that redraw can be replaced
        under the click (a deploy was lost so once under load on 2026-12-07)."""
        self.select(label, story.name(kind))
        self.see(story.describe(kind), exact=False)

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def log_text(self) -> str:
        return self.page.locator("#event-log").inner_text()

    def wait_log(self, text: str) -> None:
        """Wait until the event log holds ``text``; on a timeout, keep a screenshot and say
        what the log held instead."""
        try:
            self.page.wait_for_function(
                "(t) => { const log = document.querySelector('#event-log');"
                " return log !== null && log.innerText.includes(t); }", arg=text)
        except Exception as e:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=ARTIFACTS / f"failed-log-{re.sub(r'\W+', '-', text)}.png")
            log = self.page.locator("#event-log")
            held = log.inner_text(timeout=1000) if log.count() else "(no event log)"
            raise AssertionError(f"the event log never held {text!r}; it held:\n{held}") from e

    def run_to(self, month: int, shows: int | None = None) -> None:
        """Type ``month`` into "Run to month", press "Go to ``month``" once its label says
        the server has the month (as a user sees it; see :meth:`set_field`) and wait for the
        month display (``shows``: the month the run stops at, if not ``month``)."""
        field = self.page.get_by_label("Run to month")
        field.fill(str(month))
        field.press("Enter")
        self.button(f"Go to {month}").click()
        self.see(f"Month {month if shows is None else shows}")

    def set_field(self, label: str, value: str) -> None:
        """Type ``value`` into the Advanced parameter field ``label`` and wait until its label
        says the server has it. A typed value reaches the server as a state update, which the
        browser holds back while an earlier update of the field awaits its reply, whereas a
        button's click is sent at once: a click made sooner can overtake what was typed (a
        user sees the label's "changed to" before pressing Reset)."""
        field = self.page.get_by_label(label, exact=False)
        field.fill(value)
        field.press("Enter")
        shown = f"{float(value):g}"
        self.page.wait_for_function(
            "([l, v]) => [...document.querySelectorAll('label')].some("
            "e => e.innerText.startsWith(l) && e.innerText.includes(`changed to ${v} `))",
            arg=[label, shown])

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": size["width"], "height": 2600})  # the whole page
        settle(self.page)
        self.page.screenshot(path=path)
        self.page.set_viewport_size(size)
        assert path.stat().st_size > 20_000   # a rendered page, not a blank one
        return path


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000}, accept_downloads=True)
    yield ctx
    ctx.close()


def test_page_loads_offline_without_console_errors(server, context):
    url, stderr = server
    tab = Tab(context, url)
    tab.see("Month 0")
    tab.see("1 general risk")
    tab.page.locator("[data-testid=map] .js-plotly-plot").wait_for()   # plotly: last to load
    tab.page.wait_for_timeout(1000)   # late requests (fonts, widgets) would show up here
    errors = [text for kind, text in tab.console if kind == "error"]
    assert errors == []
    assert_local(tab.hosts, url)
    # the server itself must not reach out either (Solara proxies CDN assets it lacks)
    assert "Could not load URL" not in stderr.read_text(errors="replace")
    tab.shot("01-start")
    tab.tab("About")
    tab.see("results are the model's", exact=False)
    tab.shot("02-about")
    light = tab.page.locator("main img").first.get_attribute("src")
    tab.page.locator(".v-app-bar button").last.click()   # the theme toggle
    tab.page.locator(".v-application.theme--dark").wait_for()
    # the plots follow the theme
    tab.page.wait_for_function("(b) => document.querySelector('main img').src !== b", arg=light)
    tab.shot("02b-dark")


def test_pick_scenario_step_and_stage_change(server, context):
    tab = Tab(context, server[0])
    tab.select("Scenario", "resilient")
    tab.see("The same at-risk country, with strong brakes")
    tab.select("Scenario", "default")
    tab.see("An at-risk country with an exclusionary leader", exact=False)
    tab.see("Month 0")
    tab.button("Step").click()
    tab.see("Month 1")
    # months are the run's own (the model's dynamics move): read from the same run built
    # here, seed 0 of default: the last rise of the warning level before month 75, and the
    # stage changes before it
    expected = Session(load_shipped("default"), 0, month=120)
    seen = expected.series("observed_stage")
    rises = [m for m in range(2, 75) if seen[m] > seen[m - 1]]
    assert rises, "seed 0 of default: the warning level no longer rises before month 75"
    start = rises[-1] - 1
    tab.run_to(start)
    changes = [c for c in expected.stage_changes() if c[0] <= start]
    for m, a, b in changes:
        word = "Escalation: stage" if b > a else "De-escalation: back to stage"
        tab.wait_log(f"Month {m} — {word} {b}")   # the log redraws after the month display
    tab.shot("03-stepped")
    tab.select("Speed", "fast (10 months/s)")
    month = "parseInt(document.querySelector('#month').innerText.split(' ')[1])"
    # Play pauses by itself when the observed stage rises (ticked by default)
    tab.button("Play").click()
    tab.see("the warning level rose to", exact=False)
    tab.button("Play").wait_for()
    assert tab.page.evaluate(f"() => {month}") == rises[-1]
    tab.page.get_by_text("Pause when the warning level rises").click()   # untick
    # slower now: Pause must come before the end, at whatever pace the page keeps under load
    # (at 10 months/s, 45 months or more are 4.5 s, less than a click's latency at load 8)
    tab.select("Speed", "normal (3 months/s)")
    tab.button("Play").click()
    tab.page.wait_for_function(f"() => {month} >= {rises[-1] + 5}")
    tab.button("Pause").click()
    tab.button("Play").wait_for()
    paused = tab.page.evaluate(f"() => {month}")
    assert paused < 120, "Play reached the end before Pause: the test needs a slower speed"
    tab.page.wait_for_timeout(1500)
    assert tab.page.evaluate(f"() => {month}") == paused   # pause holds
    tab.run_to(200, shows=120)
    tab.see("The run has ended at month 120", exact=False)
    assert tab.button("Step").is_disabled()


def test_inject_is_logged_and_marked_on_the_plot(server, context):
    tab = Tab(context, server[0])
    tab.run_to(12)
    plot = tab.page.locator("main img").first
    before = plot.get_attribute("src")
    tab.choose("Intervention", "peacekeeping")
    tab.see("consent: needs the government's consent", exact=False)
    facts = intervention_facts("peacekeeping")   # e.g. "lag: 6 months from decision to effect"
    tab.see(f"lag: {facts['lag']}", exact=False)
    tab.see(f"who: {facts['who']}", exact=False)
    tab.button("Deploy from month 13").click()
    tab.wait_log("Trainer decides to deploy peacekeeping")
    assert re.search(r"Month 12 — Trainer decides to deploy peacekeeping", tab.log_text())
    # nothing else changed (no step): a different image is the inject's marker
    tab.page.wait_for_function("(b) => document.querySelector('main img').src !== b", arg=before)
    # at 1600 px and wider the map stands beside the plots (no tab), drawn by plotly
    assert tab.page.get_by_role("tab", name="Map").count() == 0
    tab.page.locator("[data-testid=map] .js-plotly-plot").wait_for()
    tab.page.get_by_text("Numbers by district (people)").click()
    rows = tab.page.locator("#district-table tr")
    rows.nth(1).wait_for()
    assert rows.count() == 1 + 16   # default: 4 × 4 districts
    assert "militia" in rows.first.inner_text()   # the facilitator sees the armed groups
    tab.shot("04b-map")
    both_sizes(tab.page.context.browser, tab.page.url, "04c-map", tab="Map",
               show="[data-testid=map]")
    tab.tab("Injects")
    tab.choose("Event", "coup")
    tab.button("Trigger in month 13").click()
    tab.button("Step").click()
    tab.see("Month 13")
    tab.wait_log("Trainer injects an event: coup")
    tab.shot("04-injects")


def test_branch_and_compare_shows_both_trajectories(server, context):
    tab = Tab(context, server[0])
    tab.run_to(20)
    tab.tab("Branch and compare")
    tab.page.locator(".v-select", has_text="Package").first.click()
    tab.page.get_by_role("option", name="Cut off arms supplies", exact=True).click()
    tab.page.keyboard.press("Escape")
    tab.button("Branch and compare").click()
    table = tab.page.locator("table", has_text="with package")
    table.wait_for()
    cost_row = table.locator("tr", has_text="cost").inner_text().split("\t")
    assert cost_row[1].strip() == "0" and cost_row[2].strip() != "0"   # only one branch pays
    assert tab.page.locator("main img").count() >= 2   # the comparison figure
    tab.see("Month 20")   # the trainer's own run did not move
    tab.shot("05-branch")


def test_export_reproduces_the_run_through_the_cli(server, context, tmp_path):
    tab = Tab(context, server[0])
    tab.run_to(15)
    tab.choose("Event", "election")
    tab.button("Trigger in month 16").click()
    tab.choose("Intervention", "sanctions")
    tab.button("Deploy from month 16").click()
    tab.wait_log("Trainer decides to deploy sanctions")
    tab.run_to(50)
    tab.tab("Export")
    files = {}
    for label in ("Scenario + injects (TOML)", "Time series (CSV)", "Event log (CSV)",
                  "Figure (PNG)"):
        with tab.page.expect_download() as dl:
            tab.page.get_by_text(label).click()
        files[label] = tmp_path / dl.value.suggested_filename
        dl.value.save_as(files[label])
    tab.shot("06-export")
    out = tmp_path / "cli"
    run = subprocess.run([sys.executable, "-m", "escalation_sim.cli", "run",
                          str(files["Scenario + injects (TOML)"]), "--seed", "0",
                          "--policy", "trainer", "--out", str(out)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    ui_rows = files["Time series (CSV)"].read_text().splitlines()
    cli_rows = (out / "timeseries.csv").read_text().splitlines()
    assert len(ui_rows) == 1 + 51
    assert ui_rows == cli_rows[:52]   # bit-identical: floats are written by repr
    assert "sanctions" in files["Event log (CSV)"].read_text()
    assert files["Figure (PNG)"].read_bytes()[:4] == b"\x89PNG"


def test_two_tabs_are_isolated(server, context):
    first = Tab(context, server[0])
    for month in (1, 2, 3):
        first.button("Step").click()
        first.see(f"Month {month}")
    second = Tab(context, server[0])
    second.see("Month 0")
    second.button("Step").click()
    second.see("Month 1")
    first.see("Month 3")
    assert first.page.locator("#month").inner_text() == "Month 3"
    assert second.page.locator("#month").inner_text() == "Month 1"
    second.shot("07-second-tab")


def test_invalid_upload_shows_a_readable_error(server, context):
    tab = Tab(context, server[0])
    with tab.page.expect_file_chooser() as chooser:
        tab.page.get_by_role("button", name=re.compile("Upload .toml")).click()
    chooser.value.set_files(files=[{
        "name": "bad.toml", "mimeType": "application/toml",
        "buffer": b'extends = "default"\n[government]\npolitical_will = 7\n'}])
    error = tab.page.locator(".upload-error")
    error.wait_for()
    assert "bad.toml: government.political_will: " in error.inner_text()
    assert "less than or equal to 1" in error.inner_text()
    tab.shot("08-upload-error")


@pytest.mark.parametrize("name,body,shown", [
    ("evil.toml", b'extends = "/etc/passwd"\n',
     "evil.toml: extends: '/etc/passwd' is not a shipped scenario"),
    ("deep.toml", b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",
     "deep.toml: nested too deeply (more than 32 levels of tables and arrays)"),
])
def test_hostile_uploads_are_one_message_and_read_no_server_file(server, context, name, body,
                                                                 shown):
    """Issue 15: an upload's extends was followed to any file on the server, and a 5,000-deep
    array escaped the handler as a RecursionError."""
    tab = Tab(context, server[0])
    with tab.page.expect_file_chooser() as chooser:
        tab.page.get_by_role("button", name=re.compile("Upload .toml")).click()
    chooser.value.set_files(files=[{"name": name, "mimeType": "application/toml",
                                    "buffer": body}])
    error = tab.page.locator(".upload-error")
    error.wait_for()
    assert shown in error.inner_text() and "root:" not in error.inner_text()
    assert "RecursionError" not in server[1].read_text(errors="replace")


def test_parameter_edits_apply_on_reset_and_are_validated(server, context):
    tab = Tab(context, server[0])
    # a key parameter: a slider with its value, unit and source on the page
    tab.see("political will: 0.35 level", exact=False)
    tab.see("source: R14 §1, §16", exact=False)
    tab.page.locator(".v-input__slider", has_text="political will").first.locator(
        "[role=slider]").focus()
    tab.page.keyboard.press("ArrowRight")
    tab.see("political will: 0.36 level — changed (scenario: 0.35)", exact=False)
    # the rest under "Advanced", validated on Reset
    tab.page.get_by_text("Advanced", exact=True).click()
    tab.page.get_by_text("Institutions", exact=True).click()
    tab.set_field("judiciary.capacity (level) [0–1]", "7")
    tab.see("changed to 7 (scenario: 0.35)", exact=False)
    tab.button("Reset").click()
    tab.see("institutions.judiciary.capacity: Input should be less than or equal to 1",
            exact=False)
    tab.set_field("judiciary.capacity (level) [0–1]", "0.9")
    tab.button("Reset").click()
    tab.page.get_by_text("institutions.judiciary.capacity: Input should be").wait_for(
        state="detached")
    tab.shot("09-parameters")
    # ... and the rebuilt run uses both: only the run's scenario (Reset) reaches the export
    tab.tab("Export")
    with tab.page.expect_download() as dl:
        tab.page.get_by_text("Scenario + injects (TOML)").click()
    exported = tomllib.loads(Path(dl.value.path()).read_text())
    assert exported["institutions"]["judiciary"]["capacity"] == 0.9
    assert exported["government"]["political_will"] == 0.36


# ---- the trainer's room: projector, stable view, reload, the room's view, the summary -------
def rgb(css: str) -> str:
    """``rgb(r, g, b)`` / ``rgba(...)`` as ``#rrggbb``."""
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", css)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def gauge_contrasts(tab: Tab) -> list[float]:
    """WCAG contrast of each stage label, from the colours the browser rendered."""
    from escalation_sim.ui.app import contrast

    cells = tab.page.locator("[data-testid=stage-gauge] [data-stage]")
    styles = cells.evaluate_all("els => els.map(e => [getComputedStyle(e).color, "
                                "getComputedStyle(e).backgroundColor, getComputedStyle(e).opacity,"
                                " parseFloat(getComputedStyle(e).fontSize)])")
    assert len(styles) == 4 and all(float(o) == 1 and size >= 18 for _, _, o, size in styles)
    return [contrast(rgb(fg), rgb(bg)) for fg, bg, _, _ in styles]


def inside(tab: Tab, selector: str) -> bool:
    box = tab.page.locator(selector).first.bounding_box()
    size = tab.page.viewport_size
    return (box is not None and box["x"] >= 0 and box["y"] >= 0 and box["height"] > 10
            and box["x"] + box["width"] <= size["width"] + 1
            and box["y"] + box["height"] <= size["height"] + 1)


SETTLED = """() => [...document.querySelectorAll('main img')].every(
    i => i.complete && i.naturalWidth > 0)
    && [...document.querySelectorAll('[data-testid=plots]')].every(
    p => p.querySelector('img') !== null)
    && [...document.querySelectorAll('[data-testid=map]')].every(
    m => m.querySelector('.js-plotly-plot .main-svg') !== null
    && m.querySelector('.js-plotly-plot')._fullLayout.width
    <= m.getBoundingClientRect().width + 1)"""
"""The page has drawn what it shows: its plots (drawn once their box's width is known) as
decoded images and its maps drawn by plotly at the width of their column. (While a page lays
itself out, the sidebar sliding in, the boxes are wider for a moment: a map drawn then is
drawn again at the right width once the browser reports it.)"""


def tick_px(tab: Tab) -> float:
    """The plots' tick labels as shown, in CSS pixels: their size in the image times the
    image's scale on the page, once the plots are drawn for the width of their box (after a
    change of layout they are drawn at the old width first, then again at the new one)."""
    tab.page.wait_for_function(
        "() => { const e = document.querySelector('[data-tick-px]');"
        " const i = e && e.querySelector('img');"
        " return i && i.complete && i.naturalWidth <= e.clientWidth"
        " && i.naturalWidth > e.clientWidth - 40; }")
    return tab.page.locator("[data-tick-px]").first.evaluate(
        "e => { const i = e.querySelector('img');"
        " return e.dataset.tickPx * i.clientWidth / i.naturalWidth; }")


def settle(page) -> None:
    """Wait until the page is drawn (:data:`SETTLED`), then for two frames more."""
    page.wait_for_function(SETTLED)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def view_shot(tab: Tab, name: str) -> None:
    """The viewport as a room sees it (no scrolling), once drawn."""
    view_shot_page(tab.page, name)


def view_shot_page(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settle(page)
    page.screenshot(path=ARTIFACTS / f"{name}.png")


def both_sizes(browser, url: str, name: str, tab: str | None = None,
               show: str | None = None) -> None:
    """Screenshots of ``url`` loaded at 1280×720 and at 1920×1080, each in a browser window
    of that size from the start (the page lays itself out for the screen it loads on), once
    it shows its month and has drawn its plots and map; ``tab``: a tab to open first, if the
    layout at that size has it (the map has one only below 1600 px); ``show``: a selector to
    wait for and scroll into view."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 720), (1920, 1080)):
        ctx = browser.new_context(viewport={"width": width, "height": height})
        try:
            page = ctx.new_page()
            page.set_default_timeout(UI_TIMEOUT)
            page.goto(url)
            page.locator("[data-testid=caption]").wait_for()
            if tab is not None and page.get_by_role("tab", name=tab).count():
                page.get_by_role("tab", name=tab).click()
            if show is not None:
                page.locator(show).first.wait_for()
                page.locator(show).first.scroll_into_view_if_needed()
            view_shot_page(page, f"{name}-{width}x{height}")
        finally:
            ctx.close()


@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)], ids=["1280x720", "1920x1080"])
def test_projector_view_fits_and_reads(server, browser, size):
    width, height = size
    ctx = browser.new_context(viewport={"width": width, "height": height})
    try:
        tab = Tab(ctx, server[0])
        toggle = tab.page.locator("[data-testid=projector-toggle] input")
        assert toggle.is_checked() == (width <= 1366)   # the default follows the screen
        tab.run_to(30)
        tab.page.locator("#caption", has_text="Month 30").wait_for()
        for selector in ("[data-testid=month]", "[data-testid=stage-gauge]",
                         "[data-testid=caption]", "main img"):
            assert inside(tab, selector), f"{selector} is not inside {width}x{height}"
        assert tab.page.get_by_text("runs on Solara", exact=False).count() == 0
        size_px = tab.page.locator(".esim-monitors div").first.evaluate(
            "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size_px >= 18
        assert min(gauge_contrasts(tab)) >= 4.5
        # the plots are drawn at the width they are shown (rounded down to 40 px), their
        # ticks at 18 px on the projector, 14 px at the desk
        settle(tab.page)
        assert tick_px(tab) >= (17 if width <= 1366 else 13)
        view_shot(tab, f"10-facilitator-{width}x{height}-light")
        light_plot = tab.page.locator("main img").first.get_attribute("src")
        tab.page.locator(".v-app-bar button").last.click()   # the theme toggle
        tab.page.locator(".v-application.theme--dark").wait_for()
        # the page re-renders for the dark theme: a stage not in force turns dark grey, the
        # plot is redrawn on a dark background
        tab.page.wait_for_function(
            "() => getComputedStyle(document.querySelector("
            "'[data-testid=stage-gauge] [data-stage]:not(.on)')).backgroundColor"
            " === 'rgb(43, 43, 43)'")
        tab.page.wait_for_function("(b) => document.querySelector('main img').src !== b",
                                   arg=light_plot)
        assert min(gauge_contrasts(tab)) >= 4.5
        view_shot(tab, f"11-facilitator-{width}x{height}-dark")
        # the toggle switches the layout either way (and its plot: other panels, other fonts)
        before = tab.page.locator("main img").first.get_attribute("src")
        toggle.click(force=True)
        tab.page.wait_for_function("(p) => !!document.querySelector('.esim-projector') === p",
                                   arg=width > 1366)
        tab.page.wait_for_function("(b) => document.querySelector('main img').src !== b",
                                   arg=before)
        settle(tab.page)
        assert tick_px(tab) >= (13 if width <= 1366 else 17)
        view_shot(tab, f"12-toggled-{width}x{height}")
    finally:
        ctx.close()


def test_tabs_hold_and_banners_clear(server, context):
    tab = Tab(context, server[0])
    tab.run_to(20)
    tab.tab("Branch and compare")
    tab.page.locator(".v-select", has_text="Package").first.click()
    tab.page.get_by_role("option", name="Preventive diplomacy", exact=True).click()
    tab.page.keyboard.press("Escape")
    tab.button("Branch and compare").click()
    tab.page.locator("table", has_text="with package").wait_for()
    assert tab.page.locator(".stale").count() == 0
    tab.button("Step").click()
    tab.see("Month 21")
    tab.page.locator(".stale", has_text="from month 20").wait_for()   # marked, still shown
    tab.tab("Summary")
    tab.select("Speed", "fast (10 months/s)")
    tab.button("Play").click()   # pauses itself when the warning level rises
    tab.page.locator(".paused").wait_for()
    assert tab.page.get_by_role("tab", name="Summary").get_attribute("aria-selected") == "true"
    paused_text = tab.page.locator(".paused").inner_text()
    tab.button("Step").click()
    tab.page.locator(".paused").wait_for(state="detached")   # no longer true: gone
    assert tab.page.get_by_text(paused_text).count() == 0
    tab.run_to(200, shows=120)
    tab.page.locator(".run-ended").wait_for()
    assert tab.page.get_by_role("tab", name="Summary").get_attribute("aria-selected") == "true"
    tab.page.locator("[data-testid=end-summary]").wait_for()
    tab.shot("13-ended-summary-tab-kept")


def test_reload_keeps_the_run_and_start_again_clears_it(server, context):
    tab = Tab(context, server[0])
    tab.run_to(6)
    tab.choose("Intervention", "human_rights_monitoring")
    tab.button("Deploy from month 7").click()
    tab.wait_log("Trainer decides to deploy human rights monitoring")
    assert "?run=" in tab.page.url
    url = tab.page.url
    tab.page.reload()
    tab.button("Step").wait_for()
    tab.see("Month 6")
    tab.wait_log("Trainer decides to deploy human rights monitoring")
    assert tab.page.url == url
    tab.button("Start again").click()
    tab.see("Month 0")
    tab.page.wait_for_function("() => { const log = document.querySelector('#event-log');"
                               " return log !== null && !log.innerText.includes("
                               "'Trainer decides'); }")   # the log redraws after the month


def room_month() -> tuple[Session, int]:
    """Seed 0 of default and a month in which early warning starts to differ from the true
    stage while reports still lag the true deaths (read from the run itself: the dynamics
    move)."""
    s = Session(load_shipped("default"), 0, month=120)
    stage, seen, deaths = s.series("stage"), s.series("observed_stage"), s.series("deaths")
    months = [m for m in range(1, 121) if stage[m] != seen[m] and stage[m - 1] == seen[m - 1]
              and s.reported("deaths", m) < deaths[m]]
    assert months, "seed 0 of default has no month whose reports lag a true stage change"
    return Session(load_shipped("default"), 0, month=months[0]), months[0]


def test_room_view_shows_only_what_outside_actors_see(server, browser, context):
    expected, month = room_month()
    tab = Tab(context, server[0])
    tab.run_to(month)
    tab.tab("Setup")
    href = tab.page.locator("#room-link").get_attribute("href")
    assert href.startswith("?room=") and "run=" not in href
    kind = "a false alarm" if expected.latest("observed_stage") > expected.latest("stage") \
        else "a missed signal"
    tab.page.locator("#caption", has_text=kind).wait_for()   # the facilitator's teaching moment
    stage = int(expected.latest("stage"))
    assert tab.page.locator("[data-testid=stage-gauge]").get_attribute("data-stage") == str(stage)
    room_ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        room = room_ctx.new_page()
        hosts = track_hosts(room)
        room.set_default_timeout(UI_TIMEOUT)
        room.goto(server[0] + href)
        room.locator("[data-testid=month]", has_text=f"Month {month}").wait_for()
        gauge = room.locator("[data-testid=stage-gauge]")
        assert gauge.get_attribute("data-stage") == str(int(expected.latest("observed_stage")))
        assert "Warning level" in gauge.inner_text() and "True stage" not in gauge.inner_text()
        assert room.get_by_role("button", name="Step", exact=True).count() == 0
        caption = room.locator("[data-testid=caption]").inner_text()
        assert kind not in caption and "true stage" not in caption.lower()
        # the monitors and the map give what is reported, never the true deaths
        monitors = room.locator("#monitors").inner_text()
        assert f"{expected.reported('deaths'):,.0f}" in monitors
        assert expected.reported("deaths") < expected.latest("deaths")
        room.locator("[data-testid=map] .js-plotly-plot").wait_for()
        assert "as reported" in room.locator("[data-testid=map]").inner_text()
        view_shot_page(room, "14a-room-1920x1080")
        room.get_by_text("Numbers by district (people)").click()
        table = room.locator("#district-table")
        assert "killed (reported)" in table.inner_text()
        killed = sum(int(row.split("\t")[2].replace(",", ""))
                     for row in table.inner_text().splitlines()[1:])
        assert killed == expected.reported("deaths")
        room.get_by_role("tab", name="Event log").click()
        log = room.locator("#event-log-tab").inner_text()
        assert "Escalation: stage" not in log and "true stage" not in log
        # nowhere on the room's page: a perpetrator, an armed group, the true stage
        text = room.locator("body").inner_text().lower()
        for secret in ("state forces", "true stage", "mass-killing",
                       *(a.name for a in expected.scenario.armed_groups)):
            assert secret not in text, secret
        tab.button("Step").click()   # the facilitator moves on; the room follows
        room.locator("[data-testid=month]", has_text=f"Month {month + 1}").wait_for()
        settle(room)   # the map (plotly: the last to load) is drawn: its requests are in
        assert_local(hosts, server[0])
    finally:
        room_ctx.close()
    both_sizes(browser, server[0] + href, "14-room")
    tab.shot("15-facilitator-setup")


def test_end_summary_and_its_slide(server, context, tmp_path):
    tab = Tab(context, server[0])
    tab.run_to(200, shows=120)
    tab.tab("Summary")
    summary = tab.page.locator("[data-testid=end-summary]")
    summary.wait_for()
    assert "people killed" in summary.inner_text() and "first action" in summary.inner_text()
    for label, magic in (("Summary slide (PNG)", b"\x89PNG"), ("Summary slide (PDF)", b"%PDF")):
        with tab.page.expect_download() as dl:
            tab.page.get_by_text(label).click()
        path = tmp_path / dl.value.suggested_filename
        dl.value.save_as(path)
        assert path.read_bytes()[:4] == magic
        if magic == b"\x89PNG":
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "16-summary-slide.png").write_bytes(path.read_bytes())
    tab.page.locator("[data-testid=timeline]").wait_for()
    tab.shot("17-summary")
    both_sizes(tab.page.context.browser, tab.page.url, "17b-summary", tab="Summary",
               show="[data-testid=end-summary]")


def test_building_a_large_scenario_shows_progress_and_locks_controls(server, context):
    tab = Tab(context, server[0])
    tab.page.get_by_text("Advanced", exact=True).click()
    tab.page.get_by_text("Run", exact=True).click()
    tab.set_field("n_civilians (agents)", "2000000")   # seconds to build: long enough to see
    tab.button("Reset").click()
    busy = tab.page.locator(".busy", has_text="Building default (2,000,000 civilians)")
    busy.wait_for()
    # while the banner and its progress bar show, the controls that would conflict are
    # disabled: the page draws the banner and the buttons in separate passes, so wait (up to
    # 10 s, the build lasts longer) for one snapshot in which all hold, then check it
    snapshot = """() => {
        const named = (n) => [...document.querySelectorAll('button')].find(
            b => b.innerText.trim().toLowerCase() === n);
        return [document.querySelector('.busy') !== null,
                document.querySelector('.busy-progress') !== null,
                ...['step', 'go to 24', 'reset', 'branch and compare'].map(
                    n => named(n) === undefined || named(n).disabled)];
    }"""
    tab.page.wait_for_function(f"() => ({snapshot})().every(Boolean)", timeout=10_000)
    state = tab.page.evaluate(snapshot)
    assert state == [True] * 6, state
    busy.wait_for(state="detached", timeout=120_000)
    tab.see("Month 0")
    tab.button("Step").click()
    tab.see("Month 1")


def test_long_work_can_be_cancelled(server, context):
    """Branching a large run, then building a larger population: each shows its progress,
    disables the controls that would conflict, and Cancel gives the controls back at once,
    leaving the run as it was. "At once" is checked against the work itself, not a clock (a
    loaded machine slows both): the run steps while the cancelled build is still running."""
    tab = Tab(context, server[0])
    month = tab.page.get_by_test_id("month")   # the run's month display, not the event log
    tab.button("Step").click()   # so that the rebuilt run's "Month 0" shows the build ended
    month.filter(has_text=re.compile(r"^Month 1$")).wait_for()
    tab.page.get_by_text("Advanced", exact=True).click()
    tab.page.get_by_text("Run", exact=True).click()
    tab.set_field("n_civilians (agents)", "300000")   # branching 2 × 120 months: seconds
    tab.button("Reset").click()
    # not its "Building" banner: this build takes well under a second, and the banner can
    # come and go between two looks of the browser (the 3,000,000 build below shows it)
    month.filter(has_text=re.compile(r"^Month 0$")).wait_for()
    tab.page.locator(".busy").wait_for(state="detached", timeout=120_000)
    tab.page.wait_for_function("() => [...document.querySelectorAll('button')].some("
                               "b => b.innerText.trim() === 'GO TO 24' && !b.disabled)")
    tab.run_to(3)
    tab.tab("Branch and compare")
    tab.page.locator(".v-select", has_text="Package").first.click()
    tab.page.get_by_role("option", name="Preventive diplomacy", exact=True).click()
    tab.page.keyboard.press("Escape")
    tab.button("Branch and compare").click()
    tab.page.locator(".busy", has_text="Branching").wait_for()
    # progress as a share of the months: a determinate bar that moves
    bar = tab.page.locator(".busy-progress")
    tab.page.wait_for_function("() => { const b = document.querySelector('.busy-progress');"
                               " return b !== null && parseFloat(b.getAttribute("
                               "'aria-valuenow')) > 0; }")
    assert tab.button("Step").is_disabled() and tab.button("Branch and compare").is_disabled()
    assert bar.count() == 1
    tab.button("Cancel").click()
    tab.page.locator(".busy").wait_for(state="detached")
    tab.page.wait_for_timeout(1500)   # a cancelled branch never shows up later
    assert tab.page.locator("table", has_text="with package").count() == 0
    assert not tab.button("Step").is_disabled()
    # building a larger population: cannot stop midway, so it is discarded when it ends
    tab.set_field("n_civilians (agents)", "3000000")
    tab.button("Reset").click()
    tab.page.locator(".busy", has_text="Building default (3,000,000 civilians)").wait_for()
    tab.page.wait_for_function(   # the buttons may be drawn a message after the banner
        "() => ['step', 'go to 3'].every(n => [...document.querySelectorAll('button')].find("
        "b => b.innerText.trim().toLowerCase() === n).disabled)", timeout=10_000)
    tab.button("Cancel").click()
    tab.page.locator(".busy").wait_for(state="detached")
    tab.see("Month 3")   # the old run, untouched (a new build would be at month 0)
    tab.button("Step").click()
    tab.see("Month 4")
    # all that while, the discarded build went on in the background: a new Reset says so
    tab.button("Reset").click()
    tab.page.locator(".run-error", has_text="still ending in the background").wait_for()
    tab.see("Month 4")
    tab.shot("18-cancelled")


def test_map_zooms_and_keeps_its_view(server, browser):
    """The live map beside the plots at 1920×1080: plotly's zoom works, and the view is kept
    when the run moves on, even when Step follows the zoom at once (a month changes the map's
    values in place and never sends the axes' ranges, so no zoom can be lost in flight)."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        tab = Tab(ctx, server[0])
        tab.run_to(12)
        plot = tab.page.locator("[data-testid=map] .js-plotly-plot")
        plot.wait_for()
        settle(tab.page)   # drawn at its column's width (:data:`SETTLED`)
        assert inside(tab, "[data-testid=map]") and inside(tab, "main img")
        # the legend (HTML, below the figure) wraps inside the map's column: nothing cut off
        legend = tab.page.locator("[data-testid=map-legend]")
        assert legend.evaluate("e => e.scrollWidth <= e.clientWidth + 1")
        column = tab.page.locator("[data-testid=map]").bounding_box()
        box = legend.bounding_box()
        assert box["x"] >= column["x"] - 1 and \
            box["x"] + box["width"] <= column["x"] + column["width"] + 1
        assert legend.get_by_text("militia (members)").count() == 1
        # the figure fits its column (plotly's default is 700 px, wider than the column)
        tab.page.wait_for_function(
            "() => { const m = document.querySelector('[data-testid=map]');"
            " const w = m.querySelector('.js-plotly-plot')._fullLayout.width;"
            " return w !== 700 && w <= m.getBoundingClientRect().width + 1; }")
        x_range = "() => document.querySelector('[data-testid=map] .js-plotly-plot')" \
                  "._fullLayout.xaxis.range.slice()"
        before = tab.page.evaluate(x_range)
        box = plot.locator(".nsewdrag").first.bounding_box()
        tab.page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
        tab.page.mouse.down()
        tab.page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6,
                            steps=8)
        tab.page.mouse.up()
        tab.page.wait_for_function(f"(b) => ({x_range})()[0] !== b[0]", arg=before)
        zoomed = tab.page.evaluate(x_range)
        assert zoomed[1] - zoomed[0] < 0.6 * (before[1] - before[0])
        tab.button("Step").click()   # at once: the zoom may not have reached the server yet
        tab.page.locator("[data-testid=map]", has_text="Month 13").wait_for()
        assert tab.page.evaluate(x_range) == zoomed   # the view is kept
        view_shot(tab, "19-map-zoomed-1920x1080")
    finally:
        ctx.close()


def test_a_posterior_given_to_the_ui_shows_its_draw(context, tmp_path):
    """``ui --posterior FILE`` (issue 13, part 4), through the command line and the server's
    environment: the page says which parameter set the run drew and its values, and, the set
    having a spread, the run's drawn situation (the draw's rule, other seeds and the export:
    tests/test_ui_session.py)."""
    import numpy as np

    from escalation_sim.record.posterior import draw_seed, read_posterior, write_posterior

    path = tmp_path / "posterior.parquet"
    write_posterior(path, ["violence.state_orders", "situation.spread"],
                    np.array([[0.1, 0.5], [0.4, 0.5], [0.9, 0.5]]), np.array([0.3, 0.3, 0.4]),
                    {"note": "test"})
    j = read_posterior(path).draw(draw_seed(0, 0))   # the first page's run: seed 0
    logs = tmp_path / "logs"
    logs.mkdir()
    with ui_server(logs, "--posterior", str(path)) as (url, _):
        tab = Tab(context, url)
        note = tab.page.locator(".posterior-note")
        note.wait_for()
        assert (f"set {j + 1} of 3, by weight, from the seed — violence.state_orders = "
                f"{[0.1, 0.4, 0.9][j]:.3g}") in note.inner_text()
        tab.shot("posterior-note")
        # the drawn spread draws the run's situation: the page gives its values
        situation = tab.page.locator(".situation-note")
        situation.wait_for()
        text = situation.inner_text()
        assert "situation.spread = 0.5" in text and "government.complicity = " in text
