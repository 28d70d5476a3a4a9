"""Trainer-UI benchmark: page ready, step + redraw, memory per session, against a bare Solara page.

Run from the repository root (needs the 'ui' extra, the dev group and Debian's chromium)::

    uv run python benchmarks/bench_ui.py            # about two minutes
    uv run python benchmarks/bench_ui.py --quick    # fewer repeats

Measured in one run of this script, each for the trainer page (``escalation-sim ui``) and for a
reference page served the same way (a bare Solara page with one "Step" button and a "Month N"
text, no model, no figure):

1. **Page ready** — seconds from ``page.goto`` to the "Step" button being visible and enabled,
   in a fresh browser context each time (no cache); median over the repeats after one untimed
   warm-up load (the server's first page builds its caches). Then, as a second row, the same
   for ``page.reload()`` in one context (the browser's cache warm: a trainer's second load,
   or F5); the target is the issue's cold figure, shown against both.
2. **Step + redraw** — seconds from clicking "Step" to the page showing the next month *and*, for
   the trainer page, a new plot image (the figure is redrawn on every step) and the live map
   beside it titled with the new month (the viewport is 1600×1000; the page changes the map's
   title after the map, so the browser has drawn the map's change, if any, by then); median
   over the repeats (months 2 to 21), at the default scenario size (10^4 civilians, 4 × 4
   districts). One wait for all three, as the reference page's one wait for its text.
   The live map (plotly) mounts one render after the page; the time until it shows is reported
   beside (no target).
3. **Memory per session** — growth of the server process's resident memory (``VmRSS`` from
   ``/proc``; the Solara server and its kernels live in one process) after opening ``k`` more
   tabs (10; 3 with ``--quick``) and stepping each once, divided by ``k``.

Targets (issue 14): page ready ≤ 2 s, step + redraw ≤ 0.25 s, ≤ 15 MiB per session. The script
prints a table with PASS/FAIL marks and the ratio to the reference, writes JSON to
``benchmarks/results/ui.json`` (``ui_quick.json`` with ``--quick``) and always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from escalation_sim.ui.serve import (
    CHROMIUM_FLAGS,
    ENV,
    free_port,
    solara_command,
    stop,
    wait_until_up,
)

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_APP = '''
import solara

@solara.component
def Page():
    month = solara.use_reactive(0)
    solara.Text(f"Month {month.value}")
    solara.Button("Step", on_click=lambda: month.set(month.value + 1))
'''


@contextmanager
def serve(app: str, timeout: float = 180):
    """``solara run APP`` on 127.0.0.1 as ``escalation-sim ui`` runs it; yields (url, pid)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as tmp:
        stderr = Path(tmp) / "stderr"
        with stderr.open("wb") as err:
            proc = subprocess.Popen(solara_command(app, "127.0.0.1", port),
                                    env={**os.environ, **ENV}, stdout=subprocess.DEVNULL,
                                    stderr=err, start_new_session=True, cwd=ROOT)
            try:
                try:
                    wait_until_up(url, proc, timeout, stderr)
                except RuntimeError as e:
                    raise SystemExit(f"server for {app} did not start: {e}") from None
                yield url, proc.pid
            finally:
                stop(proc, 20)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure(browser, url: str, pid: int, loads: int, steps: int, sessions: int,
            has_plot: bool) -> dict:
    def step_usable(page) -> None:
        step = page.get_by_role("button", name="Step", exact=True)
        step.wait_for()
        page.wait_for_function("(b) => !b.disabled", arg=step.element_handle())

    def open_tab():
        ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
        page = ctx.new_page()
        page.set_default_timeout(60_000)
        t = time.perf_counter()
        page.goto(url)
        step_usable(page)
        return ctx, page, time.perf_counter() - t, t

    ctx, page, _, _ = open_tab()   # warm-up load
    ctx.close()
    ready, map_shown, reload = [], [], []
    for _ in range(loads):
        ctx, page, seconds, started = open_tab()
        ready.append(seconds)
        if has_plot:   # the live map (beside the plots at this width) mounts after the page
            page.locator("[data-testid=map] .js-plotly-plot").wait_for()
            map_shown.append(time.perf_counter() - started)
        ctx.close()
    ctx, page, _, _ = open_tab()   # reloads in one context: the browser's cache is warm
    if has_plot:
        page.locator("[data-testid=map] .js-plotly-plot").wait_for()
    for _ in range(loads):
        t = time.perf_counter()
        page.reload()
        step_usable(page)
        reload.append(time.perf_counter() - t)
    ctx.close()
    ctx, page, _, _ = open_tab()
    step_s = []
    for month in range(1, steps + 2):
        src = page.locator("main img").first.get_attribute("src") if has_plot else None
        t = time.perf_counter()
        page.get_by_role("button", name="Step", exact=True).click()
        if has_plot:   # one wait for all three (a wait of its own each would add its round
            # trips to the time): the month display (not an event-log line), a new plot and
            # the live map's title beside the plots (at 1600 px and wider), which the page
            # changes after the map's own change, so once the browser has drawn it
            page.wait_for_function(
                "([m, b]) => { const month = document.querySelector('#month');"
                " const t = document.querySelector('[data-testid=map] .esim-map-title');"
                " return month !== null && month.innerText === m"
                " && document.querySelector('main img').src !== b"
                " && (t === null ? document.querySelector('[data-testid=map]') === null"
                " : t.textContent.startsWith(m + ':')); }", arg=[f"Month {month}", src])
        else:
            page.get_by_text(f"Month {month}", exact=True).wait_for()
        if month > 1:   # the first step after load is a warm-up
            step_s.append(time.perf_counter() - t)
    ctx.close()
    time.sleep(3)
    before = rss_mib(pid)
    opened = []
    for _ in range(sessions):
        c, p, _, _ = open_tab()
        p.get_by_role("button", name="Step", exact=True).click()
        p.get_by_text("Month 1", exact=True).first.wait_for()
        opened.append(c)
    time.sleep(2)
    after = rss_mib(pid)
    for c in opened:
        c.close()
    return {"ready_s": ready, "ready_median_s": statistics.median(ready),
            "reload_s": reload, "reload_median_s": statistics.median(reload),
            "map_shown_s": map_shown,
            "map_shown_median_s": statistics.median(map_shown) if map_shown else None,
            "step_s": step_s, "step_median_s": statistics.median(step_s),
            "rss_before_mib": before, "rss_after_mib": after, "sessions": sessions,
            "mib_per_session": (after - before) / sessions}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--output", type=Path, default=None, help="JSON output path")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Debian's chromium (as root: apt-get install -y chromium)")
    loads, steps, sessions = (3, 5, 3) if args.quick else (7, 20, 10)
    results = {"load_average_start": os.getloadavg(), "loads": loads, "steps": steps}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        ref_app = Path(tmp) / "reference_app.py"
        ref_app.write_text(REFERENCE_APP)
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        with serve(str(ref_app)) as (url, pid):
            results["reference"] = measure(browser, url, pid, loads, steps, sessions, False)
        with serve("escalation_sim.ui.app") as (url, pid):
            results["trainer"] = measure(browser, url, pid, loads, steps, sessions, True)
        browser.close()
    results["load_average_end"] = os.getloadavg()
    t, r = results["trainer"], results["reference"]
    rows = [("page ready (median)", t["ready_median_s"], r["ready_median_s"], "s", 2.0),
            ("page reload, warm cache", t["reload_median_s"], r["reload_median_s"], "s", 2.0),
            ("step + redraw (median)", t["step_median_s"], r["step_median_s"], "s", 0.25),
            ("memory per session", t["mib_per_session"], r["mib_per_session"], "MiB", 15.0)]
    print(f"{'measure':<24}{'trainer':>10}{'reference':>11}{'ratio':>8}  target")
    for name, tv, rv, unit, target in rows:
        ratio = f"{tv / rv:.1f}" if rv > 0 else "-"
        mark = "PASS" if tv <= target else "FAIL"
        print(f"{name:<24}{tv:>8.2f} {unit:<3}{rv:>7.2f} {unit:<3}{ratio:>6}  ≤ {target:g} {unit} "
              f"{mark}")
    if t.get("map_shown_median_s") is not None:
        print(f"{'live map shown (median)':<24}{t['map_shown_median_s']:>8.2f} s   (after the "
              "page is ready: it mounts one render later; no target)")
    print(f"load average {results['load_average_start']} → {results['load_average_end']}")
    out = args.output or ROOT / "benchmarks" / "results" / (
        "ui_quick.json" if args.quick else "ui.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written {out}")


if __name__ == "__main__":
    main()
