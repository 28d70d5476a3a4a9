"""Engine benchmark: speed, memory and scaling of the escalation model, against a Mesa reference.

Run from the repository root::

    uv run python benchmarks/bench_engine.py           # full run, about a minute
    uv run python benchmarks/bench_engine.py --quick   # smoke test, skips 10^6 civilians

Everything is measured in one run of this script, on the current machine:

1. **Step throughput** — civilian-steps per second of one full model step (``m.step()``; model
   construction excluded) at 10^3, 10^4, 10^5 and 10^6 civilians. Per size: build a model with
   the default scenario and ``run.n_civilians=N``, warm up a few steps (untimed), then take
   several repeats, each of at least ``min_steps`` steps *and* at least ``min_time`` seconds
   (``time.perf_counter`` around each ``m.step()``; when the 1,200-month horizon runs out a fresh
   model is built and warmed up, untimed). The headline is the **best** repeat (least affected by
   other processes on the machine); the median repeat is reported alongside.
2. **Default run** — seconds for construction + ``run()`` of the default scenario (10^4
   civilians, 120 months), median over many seeds (after one untimed warm-up run).
3. **Memory per civilian** — ``m.civilians.nbytes() / n``; the peak of ``tracemalloc``'s traced
   memory during model construction, divided by n (and what construction leaves allocated); and
   the growth of peak RSS across model construction in a fresh child process, divided by n (on
   Linux the kernel's peak-RSS mark VmHWM, reset through ``/proc/self/clear_refs`` just before
   construction, minus RSS before; elsewhere ``resource.getrusage(...).ru_maxrss`` after - before).
   The headline, compared with the target, is ``nbytes() / n``.
4. **Linearity** — the ratio of time per civilian-step between successive sizes (10^5 vs 10^4,
   10^6 vs 10^5). A ratio of 1 is exactly linear; the log-log slope is ``1 + log10(ratio)``.
5. **Mesa reference** — agent-steps per second of Mesa's bundled Epstein civil violence model
   (``EpsteinCivilViolence()`` with its default parameters; agents counted as
   ``len(model.agents)``, ``model.step()`` timed the same way), measured in the same run. Every
   throughput is also given as a ratio to it.

Results are printed as a table and written as JSON to ``benchmarks/results/engine.json``
(``engine_quick.json`` with ``--quick``, so a smoke test does not overwrite full results). Targets
are printed next to the numbers; the script exits 0 whatever they say (a benchmark, not a test).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from escalation_sim import EscalationModel, load_scenario

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "results" / "engine.json"
QUICK_OUTPUT = HERE / "results" / "engine_quick.json"  # so a smoke test keeps the full results

MAX_MONTHS = 1200  # the schema's cap on run.months: the longest a single model can be stepped

TARGET_THROUGHPUT = 10e6      # civilian-steps per second, from TARGET_FROM civilians up
TARGET_FROM = 100_000
TARGET_DEFAULT_RUN = 0.1      # seconds per default run (construction + 120 months)
TARGET_BYTES = 200.0          # bytes per civilian
TARGET_LINEAR = 1.25          # max ratio of time per civilian-step from one size to 10x that size


@dataclass(frozen=True)
class Config:
    sizes: tuple[int, ...]
    repeats: int
    warmup: int
    min_steps: int
    min_time: float
    default_runs: int
    memory_n: int


FULL = Config(sizes=(1_000, 10_000, 100_000, 1_000_000), repeats=5, warmup=3, min_steps=10,
              min_time=1.0, default_runs=20, memory_n=1_000_000)
QUICK = Config(sizes=(1_000, 10_000, 100_000), repeats=3, warmup=2, min_steps=10, min_time=0.2,
               default_runs=5, memory_n=100_000)


# ---- timing helpers ---------------------------------------------------------------------------
def timed_repeats(make, cfg: Config, horizon: int | None = None) -> tuple[list[float], list[int]]:
    """Seconds per step of ``cfg.repeats`` repeats, and the number of steps in each.

    ``make()`` returns a fresh model (already built, not yet warmed up); ``horizon`` is the last
    month a model may step to (compared with ``model.steps``): a model that reaches it is
    replaced by a fresh, warmed-up one, untimed. Only ``model.step()`` is inside the timed region.
    """

    def fresh():
        m = make()
        for _ in range(cfg.warmup):
            m.step()
        return m

    def spent(m) -> bool:
        return horizon is not None and m.steps >= horizon

    model = fresh()
    per_step: list[float] = []
    steps: list[int] = []
    for _ in range(cfg.repeats):
        gc.collect()
        total, k = 0.0, 0
        while k < cfg.min_steps or total < cfg.min_time:
            if spent(model):
                model = fresh()
            t0 = time.perf_counter()
            model.step()
            total += time.perf_counter() - t0
            k += 1
        per_step.append(total / k)
        steps.append(k)
    return per_step, steps


def summary(values: list[float]) -> dict[str, float | list[float]]:
    return {"best": min(values), "median": statistics.median(values), "worst": max(values),
            "all": values}


def scenario_for(n: int, months: int = MAX_MONTHS):
    return load_scenario("default", [f"run.n_civilians={n}", f"run.months={months}"])


# ---- 1. step throughput -----------------------------------------------------------------------
def bench_steps(n: int, cfg: Config) -> dict:
    scenario = scenario_for(n)
    build: list[float] = []
    nbytes: list[int] = []

    def make():
        t0 = time.perf_counter()
        m = EscalationModel(scenario, seed=1)
        build.append(time.perf_counter() - t0)
        nbytes.append(m.civilians.nbytes())
        return m

    per_step, steps = timed_repeats(make, cfg, horizon=MAX_MONTHS)
    s = summary(per_step)
    return {
        "n": n,
        "repeats": cfg.repeats,
        "steps_per_repeat": steps,
        "sec_per_step": s,
        "civilian_steps_per_s": {"best": n / s["best"], "median": n / s["median"]},
        "construction_s": build[0],
        "nbytes_per_civilian": nbytes[0] / n,
    }


# ---- 5. the Mesa reference --------------------------------------------------------------------
def bench_mesa(cfg: Config) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence

        agents: list[int] = []

        def make():
            m = EpsteinCivilViolence()  # defaults: 40x40 von Neumann torus, densities 0.7 / 0.074
            agents.append(len(m.agents))
            return m

        per_step, steps = timed_repeats(make, cfg)
    n = agents[0]
    s = summary(per_step)
    return {
        "model": "mesa.examples.advanced.epstein_civil_violence.model.EpsteinCivilViolence()",
        "agents": n,
        "repeats": cfg.repeats,
        "steps_per_repeat": steps,
        "sec_per_step": s,
        "agent_steps_per_s": {"best": n / s["best"], "median": n / s["median"]},
    }


# ---- 2. the default run -----------------------------------------------------------------------
def bench_default_run(cfg: Config) -> dict:
    scenario = load_scenario("default")
    EscalationModel(scenario, seed=0).run()  # warm-up, untimed
    build, total = [], []
    for seed in range(1, cfg.default_runs + 1):
        gc.collect()
        t0 = time.perf_counter()
        m = EscalationModel(scenario, seed=seed)
        t1 = time.perf_counter()
        m.run()
        t2 = time.perf_counter()
        build.append(t1 - t0)
        total.append(t2 - t0)
    n, months = scenario.run.n_civilians, scenario.run.months
    med = statistics.median(total)
    # the month's steps timed one by one (model.timings), in separate runs of the same seeds so
    # that the timer's own cost stays out of the run times above
    per_step: dict[str, float] = {}
    for seed in range(1, cfg.default_runs + 1):
        m = EscalationModel(scenario, seed=seed)
        m.timings = per_step
        m.run()
    stepped = sum(per_step.values())
    return {
        "step_shares": {name: t / stepped for name, t in per_step.items()},
        "n": n,
        "months": months,
        "runs": cfg.default_runs,
        "seeds": [1, cfg.default_runs],
        "sec_per_run": summary(total),
        "construction_s_median": statistics.median(build),
        "civilian_steps_per_s_median": n * months / med,
    }


# ---- 3. memory --------------------------------------------------------------------------------
def bench_tracemalloc(n: int) -> dict:
    scenario = scenario_for(n)
    gc.collect()
    tracemalloc.start()
    try:
        m = EscalationModel(scenario, seed=1)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {"n": n, "peak_bytes_per_civilian": peak / n, "retained_bytes_per_civilian": current / n,
            "nbytes_per_civilian": m.civilians.nbytes() / n}


def _proc_status_kib(field: str) -> int | None:
    """A ``kB`` field of /proc/self/status (Linux), in bytes; None elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) of this process; False where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def rss_child(n: int) -> None:
    """In a fresh process: growth of peak RSS across construction of a model of ``n`` civilians.

    On Linux the peak-RSS mark (VmHWM) is reset just before construction, so the peak of the
    imports does not hide a smaller construction peak; elsewhere ``ru_maxrss`` is used as it is.
    """
    import resource

    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    scenario = scenario_for(n)
    gc.collect()
    reset = _reset_peak_rss() and _proc_status_kib("VmHWM") is not None
    rss0 = _proc_status_kib("VmRSS")
    hwm0 = _proc_status_kib("VmHWM") if reset else None
    maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    m = EscalationModel(scenario, seed=1)
    rss1 = _proc_status_kib("VmRSS")
    hwm1 = _proc_status_kib("VmHWM") if reset else None
    maxrss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * unit
    if reset and rss0 is not None:
        method = "VmHWM (reset via /proc/self/clear_refs) after construction - VmRSS before"
        peak_growth = hwm1 - rss0
    else:
        method = "resource.getrusage(RUSAGE_SELF).ru_maxrss after - before construction"
        peak_growth = maxrss1 - maxrss0
    print(json.dumps({"n": n, "method": method, "peak_growth": peak_growth,
                      "rss_before": rss0, "rss_after": rss1, "vmhwm_before": hwm0,
                      "vmhwm_after": hwm1, "ru_maxrss_before": maxrss0,
                      "ru_maxrss_after": maxrss1, "nbytes": m.civilians.nbytes()}))


def bench_rss(n: int) -> dict:
    try:
        out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--rss-child", str(n)],
                             capture_output=True, text=True, check=True, timeout=600)
        r = json.loads(out.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as e:
        return {"n": n, "error": repr(e)}
    result = {"n": n, "method": r["method"], "peak_rss_growth_per_civilian": r["peak_growth"] / n}
    if r["rss_before"] is not None and r["rss_after"] is not None:
        result["retained_rss_growth_per_civilian"] = (r["rss_after"] - r["rss_before"]) / n
    result["raw"] = r
    return result


# ---- reporting --------------------------------------------------------------------------------
def mark(ok: bool | None) -> str:
    return "  -  " if ok is None else ("PASS" if ok else "FAIL")


def fmt_rate(x: float) -> str:
    return f"{x / 1e6:8.2f} M" if x >= 1e5 else f"{x / 1e3:8.1f} k"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("escalation-sim", "mesa", "numpy", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "?"
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: skip 10^6 civilians, fewer repeats and runs (< ~30 s)")
    ap.add_argument("--output", type=Path, default=None,
                    help=f"JSON results file (default: {DEFAULT_OUTPUT.relative_to(HERE.parent)}, "
                         f"with --quick {QUICK_OUTPUT.relative_to(HERE.parent)})")
    ap.add_argument("--rss-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.rss_child is not None:
        rss_child(args.rss_child)
        return 0

    cfg = QUICK if args.quick else FULL
    output = args.output or (QUICK_OUTPUT if args.quick else DEFAULT_OUTPUT)
    started = time.perf_counter()
    load0 = os.getloadavg() if hasattr(os, "getloadavg") else None
    vers = versions()
    print(f"escalation_sim engine benchmark ({'quick' if args.quick else 'full'}) — "
          + ", ".join(f"{k} {v}" for k, v in vers.items())
          + f"; {os.cpu_count()} CPUs"
          + (f"; load avg {load0[0]:.2f}" if load0 else ""), flush=True)

    print("measuring: Mesa reference ...", flush=True)
    mesa = bench_mesa(cfg)
    ref = mesa["agent_steps_per_s"]
    steps = []
    for n in cfg.sizes:
        print(f"measuring: step throughput at n={n:,} ...", flush=True)
        steps.append(bench_steps(n, cfg))
    print(f"measuring: default run x {cfg.default_runs} ...", flush=True)
    default = bench_default_run(cfg)
    print(f"measuring: memory at n={cfg.memory_n:,} (tracemalloc; peak RSS in a child) ...",
          flush=True)
    traced = bench_tracemalloc(cfg.memory_n)
    rss = bench_rss(cfg.memory_n)
    load1 = os.getloadavg() if hasattr(os, "getloadavg") else None

    for r in steps:
        r["ratio_to_mesa"] = {k: r["civilian_steps_per_s"][k] / ref[k] for k in ("best", "median")}
        r["meets_target"] = (r["civilian_steps_per_s"]["best"] >= TARGET_THROUGHPUT
                             if r["n"] >= TARGET_FROM else None)
    default["ratio_to_mesa_median"] = default["civilian_steps_per_s_median"] / ref["median"]
    default["meets_target"] = default["sec_per_run"]["median"] <= TARGET_DEFAULT_RUN
    by_n = {r["n"]: r for r in steps}
    linearity = []
    for small, large in ((1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000)):
        if small in by_n and large in by_n:
            ratio = (by_n[small]["civilian_steps_per_s"]["best"]
                     / by_n[large]["civilian_steps_per_s"]["best"])
            linearity.append({"from_n": small, "to_n": large, "time_per_civilian_step_ratio": ratio,
                              "loglog_slope": 1.0 + math.log10(ratio),
                              "meets_target": ratio <= TARGET_LINEAR if small >= 10_000 else None})
    mem_n = cfg.memory_n
    memory = {
        "n": mem_n,
        "nbytes_per_civilian": by_n[mem_n]["nbytes_per_civilian"],
        "tracemalloc": traced,
        "rss": rss,
    }
    memory["meets_target"] = memory["nbytes_per_civilian"] <= TARGET_BYTES

    # ---- table --------------------------------------------------------------------------------
    w = 100
    print()
    print("=" * w)
    print(f"Mesa reference: Epstein civil violence, {mesa['agents']} agents, "
          f"{mesa['sec_per_step']['best'] * 1e3:.2f} ms/step best "
          f"({mesa['sec_per_step']['median'] * 1e3:.2f} median) = "
          f"{ref['best'] / 1e3:.1f} k agent-steps/s best ({ref['median'] / 1e3:.1f} k median)")
    print("-" * w)
    print(f"Step throughput: m.step() only; warm-up {cfg.warmup} steps; {cfg.repeats} repeats of "
          f">= {cfg.min_steps} steps and >= {cfg.min_time:g} s; best repeat (median)")
    print(f"{'civilians':>10} {'steps/rep':>9} {'ms/step':>9} {'(median)':>9} "
          f"{'civ-steps/s':>12} {'(median)':>11} {'x Mesa':>8} {'target >=10M/s':>15} "
          f"{'build s':>8} {'B/civ':>6}")
    for r in steps:
        sps = r["civilian_steps_per_s"]
        tgt = mark(r["meets_target"])
        print(f"{r['n']:>10,} {min(r['steps_per_repeat']):>9} "
              f"{r['sec_per_step']['best'] * 1e3:>9.3f} {r['sec_per_step']['median'] * 1e3:>9.3f} "
              f"{fmt_rate(sps['best']):>12} {fmt_rate(sps['median']):>11} "
              f"{r['ratio_to_mesa']['best']:>8.0f} {tgt:>15} {r['construction_s']:>8.3f} "
              f"{r['nbytes_per_civilian']:>6.1f}")
    print("-" * w)
    d = default
    print(f"Default run ({d['n']:,} civilians, {d['months']} months, construction + run), "
          f"median of {d['runs']} seeds: {d['sec_per_run']['median']:.4f} s "
          f"(best {d['sec_per_run']['best']:.4f}, worst {d['sec_per_run']['worst']:.4f}; "
          f"construction {d['construction_s_median']:.4f})  target <= {TARGET_DEFAULT_RUN} s: "
          f"{mark(d['meets_target'])}")
    print(f"  = {fmt_rate(d['civilian_steps_per_s_median']).strip()} civilian-steps/s, "
          f"{d['ratio_to_mesa_median']:.0f} x Mesa reference (medians)")
    print("  share of step time by module (model.timings): " + ", ".join(
        f"{name} {share:.0%}" for name, share in d["step_shares"].items()))
    print("-" * w)
    print(f"Memory per civilian at n={mem_n:,} (target <= {TARGET_BYTES:.0f} B):")
    rows = [("civilians.nbytes() / n  [headline]", memory["nbytes_per_civilian"]),
            ("tracemalloc peak during construction / n", traced["peak_bytes_per_civilian"]),
            ("tracemalloc retained after construction / n", traced["retained_bytes_per_civilian"])]
    if "peak_rss_growth_per_civilian" in rss:
        rows.append(("peak RSS growth across construction / n",
                     rss["peak_rss_growth_per_civilian"]))
        if "retained_rss_growth_per_civilian" in rss:
            rows.append(("RSS retained after construction / n",
                         rss["retained_rss_growth_per_civilian"]))
    for label, value in rows:
        print(f"  {label:<46} {value:8.1f} B  {mark(value <= TARGET_BYTES)}")
    if "peak_rss_growth_per_civilian" in rss:
        print(f"  (RSS in a fresh child process: {rss['method']})")
    else:
        print(f"  peak RSS growth: not measured ({rss.get('error')})")
    print("-" * w)
    print(f"Linearity: time per civilian-step, larger size / smaller (best repeats; "
          f"target <= {TARGET_LINEAR} from 10^4 up)")
    for li in linearity:
        print(f"  {li['to_n']:>9,} vs {li['from_n']:>7,}: "
              f"ratio {li['time_per_civilian_step_ratio']:6.3f}  "
              f"log-log slope {li['loglog_slope']:5.2f}  {mark(li['meets_target'])}")
    print("=" * w)
    elapsed = time.perf_counter() - started
    print(f"benchmark wall time {elapsed:.1f} s"
          + (f"; load avg {load0[0]:.2f} -> {load1[0]:.2f}" if load0 and load1 else ""))

    result = {
        "meta": {
            "timestamp_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "mode": "quick" if args.quick else "full",
            "versions": vers,
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "loadavg_start": load0,
            "loadavg_end": load1,
            "wall_time_s": elapsed,
            "config": cfg.__dict__,
        },
        "method": {
            "step_throughput": "m.step() timed with time.perf_counter per step, construction "
                               "excluded; warm-up steps untimed; each repeat >= min_steps steps "
                               "and >= min_time s; headline = best repeat, median also given",
            "default_run": "construction + run() of the default scenario, median over seeds "
                           "after one untimed warm-up run",
            "memory": "civilians.nbytes()/n (headline); tracemalloc traced peak and retained "
                      "memory across model construction / n; growth of peak RSS across model "
                      "construction in a fresh child process / n (see memory.rss.method)",
            "mesa_reference": "EpsteinCivilViolence() defaults, agents = len(model.agents), "
                              "model.step() timed as above",
            "linearity": "time per civilian-step at the larger size / at the smaller (best "
                         "repeats); log-log slope = 1 + log10(ratio)",
        },
        "targets": {
            "civilian_steps_per_s_min": TARGET_THROUGHPUT, "throughput_from_n": TARGET_FROM,
            "default_run_s_max": TARGET_DEFAULT_RUN, "bytes_per_civilian_max": TARGET_BYTES,
            "linearity_ratio_max": TARGET_LINEAR,
        },
        "mesa_reference": mesa,
        "step_throughput": steps,
        "default_run": default,
        "memory": memory,
        "linearity": linearity,
        "targets_met": {
            "throughput": all(r["meets_target"] for r in steps if r["meets_target"] is not None),
            "default_run": default["meets_target"],
            "bytes_per_civilian": memory["meets_target"],
            "linear": all(li["meets_target"] for li in linearity
                          if li["meets_target"] is not None),
        },
    }
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {output}")
    except OSError as e:
        print(f"could not write {output}: {e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
