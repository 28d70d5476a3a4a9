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
from pathlib import Path
from urllib.parse import urlparse

import pytest

from escalation_sim.ui.serve import CHROMIUM_FLAGS, free_port, stop, wait_until_up
from escalation_sim.ui.session import intervention_facts

CHROMIUM = shutil.which("chromium")
MISSING = [m for m in ("solara", "solara_assets", "playwright")
           if importlib.util.find_spec(m) is None]
REQUIRED = os.environ.get("ESCALATION_SIM_REQUIRE_BROWSER") == "1"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None and not REQUIRED,
                       reason="Debian's chromium is not installed "
                              "(as root: apt-get install -y chromium; .ci/run does this)"),
    pytest.mark.skipif(bool(MISSING) and not REQUIRED, reason=f"missing {', '.join(MISSING)}: "
                       "uv sync --all-extras (the 'ui' extra and the dev group)"),
]

ARTIFACTS = Path(__file__).resolve().parents[1] / "output" / "test-artifacts" / "ui"
START_TIMEOUT = 120   # s; the server imports Mesa, Solara and the model (slow on a busy machine)
UI_TIMEOUT = 30_000   # ms for anything the page shows after an action


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``escalation-sim ui`` on a free port of 127.0.0.1; yields (url, stderr path)."""
    port = free_port()
    logs = tmp_path_factory.mktemp("ui-server")
    out, err = (logs / "stdout").open("wb"), (logs / "stderr").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "escalation_sim.cli", "ui", "--port", str(port)],
                            stdout=out, stderr=err, start_new_session=True)
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
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield b
        b.close()


class Tab:
    """One browser tab on the app, recording console messages and requested hosts."""

    def __init__(self, context, url: str):
        self.page = context.new_page()
        self.console: list[tuple[str, str]] = []
        self.hosts: set[str] = set()
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("request", self._request)
        self.page.set_default_timeout(UI_TIMEOUT)
        started = time.perf_counter()
        self.page.goto(url)
        self.button("Step").wait_for()
        self.ready_s = time.perf_counter() - started

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme not in ("data", "blob"):   # in-page data, not network requests
            self.hosts.add(f"{url.scheme}://{url.netloc}")

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def see(self, text: str, exact: bool = True):
        self.page.get_by_text(text, exact=exact).first.wait_for()

    def select(self, label: str, option: str) -> None:
        self.page.locator(".v-select", has_text=label).first.click()
        self.page.get_by_role("option", name=option, exact=True).click()

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def log_text(self) -> str:
        return self.page.locator("#event-log").inner_text()

    def wait_log(self, text: str) -> None:
        """Wait until the event log holds ``text``."""
        self.page.wait_for_function("(t) => { const log = document.querySelector('#event-log');"
                                    " return log !== null && log.innerText.includes(t); }",
                                    arg=text)

    def run_to(self, month: int, shows: int | None = None) -> None:
        """Type ``month`` into "Run to month", press Go and wait for the month display
        (``shows``: the month the run stops at, if not ``month``)."""
        field = self.page.get_by_label("Run to month")
        field.fill(str(month))
        field.press("Enter")
        self.button("Go").click()
        self.see(f"Month {month if shows is None else shows}")

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        size = self.page.viewport_size
        self.page.set_viewport_size({"width": size["width"], "height": 2600})  # the whole page
        self.page.wait_for_timeout(300)
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
    tab.page.wait_for_timeout(1000)   # late requests (fonts, widgets) would show up here
    errors = [text for kind, text in tab.console if kind == "error"]
    assert errors == []
    host = urlparse(url).netloc
    allowed = {f"http://{host}", f"ws://{host}"}
    assert tab.hosts <= allowed, f"requests left 127.0.0.1: {tab.hosts - allowed}"
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
    tab.see("Month 0")
    tab.button("Step").click()
    tab.see("Month 1")
    tab.run_to(40)
    # seed 0 of default rises to stage 2 in month 19 and falls back in month 35
    tab.see("Stage changes: month 19: 1 → 2, month 35: 2 → 1")
    assert "Month 19 — Escalation: stage 2 (specific threat)" in tab.log_text()
    tab.shot("03-stepped")
    tab.select("Speed", "fast (10 months/s)")
    month = "parseInt(document.querySelector('#month').innerText.split(' ')[1])"
    # Play pauses by itself when the observed stage rises (ticked by default)
    tab.button("Play").click()
    tab.see("the observed stage rose to", exact=False)
    tab.button("Play").wait_for()
    assert tab.page.evaluate(f"() => {month}") > 40
    tab.page.get_by_text("Pause when the observed stage rises").click()   # untick
    tab.button("Play").click()
    tab.page.wait_for_function(f"() => {month} >= 75")
    tab.button("Pause").click()
    tab.button("Play").wait_for()
    paused = tab.page.evaluate(f"() => {month}")
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
    tab.select("Intervention", "peacekeeping")
    tab.see("consent: needs the government's consent", exact=False)
    facts = intervention_facts("peacekeeping")   # e.g. "lag: 6 months from decision to effect"
    tab.see(f"lag: {facts['lag']}", exact=False)
    tab.see(f"who: {facts['who']}", exact=False)
    tab.button("Deploy from month 13").click()
    tab.wait_log("Trainer decides to deploy peacekeeping")
    assert re.search(r"Month 12 — Trainer decides to deploy peacekeeping", tab.log_text())
    # nothing else changed (no step): a different image is the inject's marker
    tab.page.wait_for_function("(b) => document.querySelector('main img').src !== b", arg=before)
    tab.tab("Map")
    tab.page.locator("#district-map .cell").first.wait_for()
    assert tab.page.locator("#district-map .cell").count() == 16   # default: 4 × 4 districts
    assert "victimization index" in tab.page.locator("#district-map .cell").first.get_attribute(
        "title")
    tab.shot("04b-map")
    tab.tab("Injects")
    tab.select("Event", "coup")
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
    tab.page.get_by_role("option", name="deny_means", exact=True).click()
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
    tab.select("Event", "election")
    tab.button("Trigger in month 16").click()
    tab.select("Intervention", "sanctions")
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
    tab.page.get_by_text("Government", exact=True).click()
    field = tab.page.get_by_label("political_will (level) [0–1]")
    field.fill("7")
    field.press("Enter")
    tab.see("changed (scenario: 0.35)", exact=False)
    field = tab.page.get_by_label("political_will (level) [0–1]", exact=False)
    tab.button("Reset").click()
    tab.see("government.political_will: Input should be less than or equal to 1", exact=False)
    field.fill("0.9")
    field.press("Enter")
    tab.button("Reset").click()
    tab.page.get_by_text("government.political_will: Input should be").wait_for(state="detached")
    tab.see("changed (scenario: 0.35)", exact=False)   # the edit stays (label shown since fill)
    tab.shot("09-parameters")
    # ... and the rebuilt run uses it: only the run's scenario (Reset) reaches the export
    tab.tab("Export")
    with tab.page.expect_download() as dl:
        tab.page.get_by_text("Scenario + injects (TOML)").click()
    exported = tomllib.loads(Path(dl.value.path()).read_text())
    assert exported["government"]["political_will"] == 0.9
