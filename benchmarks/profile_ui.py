"""Where the trainer page's server time goes, without a browser: page render, plots, steps.

Run from the repository root (needs the 'ui' extra)::

    uv run python benchmarks/profile_ui.py [WIDTH]    # window width in px, default 1600

Renders the page in-process (Solara's dummy kernel context, as ``tests/test_ui_session.py``
does) inside Solara's default layout (``AppLayout``, as ``solara run`` serves it: the sidebar
and the app bar are part of every render), reports the browser's widths as the page's
``Viewport`` would, clicks Step 20 times and prints milliseconds per step spent in each
component function of ``escalation_sim.ui.app`` (its own time: children render separately),
in ``LivePlot.png`` (and its PNG encoding), the map's helpers and the model's step; the rest
is Solara's reconciliation of widgets and effects.
One untimed page first (imports, font caches). Wall-clock and this process's CPU time (the
latter less sensitive to other work on the machine); note the load average.
"""

from __future__ import annotations

import collections
import os
import statistics
import sys
import time

import ipyvuetify
import reacton
import solara
import solara.lab
from solara.server import kernel_context

from escalation_sim.ui import app, figures, rooms
from escalation_sim.ui.session import Session
from escalation_sim.ui.uploads import load_shipped

STEPS = 20
spent: dict[str, float] = collections.defaultdict(float)


def timed(name: str, f):
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return f(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - t
    return wrapper


def instrument() -> None:
    for name in dir(app):
        component = getattr(app, name)
        if isinstance(component, reacton.core.ComponentFunction):
            component.f = timed(f"component {name}", component.f)
    figures.LivePlot.png = timed("LivePlot.png", figures.LivePlot.png)
    figures.png_rgb = timed("  png_rgb (within LivePlot.png)", figures.png_rgb)
    for name in ("districts", "map_spec", "update_map"):
        setattr(figures, name, timed(name, getattr(figures, name)))
    Session.step = timed("Session.step", Session.step)


def page(scenario, width: int):
    """A rendered page, and the ms to render it after the window's width, then after the
    plots' and the map's box widths (as the browser reports them)."""
    run = rooms.create(Session(scenario, 0), "default")
    _, rc = solara.render(solara.AppLayout(children=[app.RunPage(run, True)]),
                          handle_error=False)
    viewport = next(w for w in rc.find(ipyvuetify.VuetifyTemplate).widgets
                    if w.has_trait("plot_width"))
    t = time.perf_counter()
    viewport.width = width
    first = time.perf_counter() - t
    t = time.perf_counter()
    viewport.plot_width, viewport.map_width = int(width * 0.55), int(width * 0.35)
    return run, rc, 1000 * first, 1000 * (time.perf_counter() - t)


def report(per: float) -> None:
    for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        if seconds / per > 0.0005:
            print(f"  {1000 * seconds / per:8.1f} ms  {name}")


def main() -> None:
    width = int(sys.argv[1]) if len(sys.argv) > 1 else 1600
    solara.lab.use_dark_effective = lambda: False   # no app theme outside a browser
    instrument()
    scenario = load_shipped("default")
    print(f"load average {os.getloadavg()}")
    with kernel_context.create_dummy_context():
        _, rc, _, _ = page(scenario, width)   # untimed: imports, font caches
        rc.close()
    with kernel_context.create_dummy_context():
        spent.clear()
        run, rc, first, second = page(scenario, width)
        print(f"page at width {width}: {first:.0f} ms to render its layout (the controls "
              f"come before), then {second:.0f} ms for the plots and the map")
        report(1.0)
        step = next(w for w in rc.find(ipyvuetify.Btn).widgets if "Step" in w.children)
        step.fire_event("click", {})   # untimed
        spent.clear()
        times, cpu = [], []
        for _ in range(STEPS):
            t, c = time.perf_counter(), time.process_time()
            step.fire_event("click", {})
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        inside = sum(v for k, v in spent.items() if k.startswith("component"))
        print(f"Step, months 2-{run.session.month}: median {1000 * statistics.median(times):.0f}"
              f" ms, mean {1000 * sum(times) / STEPS:.0f} ms (CPU: median "
              f"{1000 * statistics.median(cpu):.0f} ms, mean {1000 * sum(cpu) / STEPS:.0f} ms); "
              "per step (wall):")
        report(STEPS)
        print(f"  {1000 * (sum(times) - inside) / STEPS:8.1f} ms  outside component functions "
              "(reconciliation, widgets, effects)")
        rc.close()
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
