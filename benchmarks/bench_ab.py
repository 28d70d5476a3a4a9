"""CPU time of default runs, this checkout against another one, in alternating rounds.

    git worktree add --detach ../old REV && (cd ../old && uv sync --locked)
    uv run python benchmarks/bench_ab.py --other ../old [--rounds 10] [--runs 15] [--forecast]

Each round runs ``--runs`` default-scenario runs (seeds 1..runs, after one untimed warm-up) in a
fresh process of each checkout, in the order AB, BA, AB, ...; the ratio this/other of the
process CPU time is printed per round with its median, and their geometric mean with a 95 %
t-interval (``bench_sweep.ratios``: the rounds are paired). CPU time, not wall time, and
alternation, because the speed of the same code drifts from minute to minute on a shared machine.

``--forecast`` times forecast-shaped runs instead: 20 seeded rows of the shipped predictors
file as profile scenarios (24 months at 1,000 civilians, as ``forecast`` runs them), ``--runs``
seeds each, model building included (both checkouts need :mod:`escalation_sim.record`).

``--batched`` times a forecast's work as it is now done: 20 seeded rows, ``--runs`` batches of
25 runs each, every run under a parameter set drawn from the shipped posterior (as
``forecast`` draws them), one scenario built per row and distinct drawn set (at ``--runs 4``,
a forecast's 100 runs a row, as many as a forecast builds; the parent's share until
2026-12-07, the workers' since) and each batch's runs stepped together
(``escalation_sim.batch``), in one process, without their monthly series where the checkout
has ``series=False`` (since 2026-12-07; before, the forecast recorded it too). The build is
written out here rather than calling ``forecast``'s, so that it runs on older checkouts too.

``--instructions`` counts instructions instead of timing (needs valgrind; a few minutes): the
same code runs once per checkout under valgrind's cachegrind without cache simulation, with
``--runs`` runs and with none, and the ratio this/other of the differences (the runs' own
instructions: the interpreter's start, the imports and the warm-up run cancel) is printed.
A count, not a time: it does not move with the machine's load, but it weighs every instruction
alike (memory stalls and the cost of each kind of instruction do not count), so read it beside
the CPU-time ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
from pathlib import Path

from bench_sweep import ratios  # this script's folder is on the path

CODE = """
import time
from escalation_sim import EscalationModel, load_scenario
s = load_scenario("default")
EscalationModel(s, 0).run()
t0 = time.process_time()
for seed in range(1, {runs} + 1):
    EscalationModel(s, seed).run()
print(time.process_time() - t0)
"""


FORECAST_CODE = """
import time
import numpy as np
from escalation_sim import EscalationModel
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.profiles import profile_at, read_profiles
table = read_profiles(data_dir() / PREDICTORS_FILE)
rows = sorted(int(r) + 1 for r in np.random.default_rng(0).choice(len(table), 20, replace=False))
scenarios = [profile_at(table, r, months=24, n_civilians=1000).scenario for r in rows]
EscalationModel(scenarios[0], 0).run()
t0 = time.process_time()
for s in scenarios:
    for seed in range(1, {runs} + 1):
        EscalationModel(s, seed).run()
print(time.process_time() - t0)
"""


BATCHED_CODE = """
import inspect
import time
import numpy as np
from escalation_sim.batch import run_together
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.posterior import draw_seed, read_posterior, shipped_posterior, split
from escalation_sim.record.profiles import profile_at, read_profiles
from escalation_sim.rng import run_seed
table = read_profiles(data_dir() / PREDICTORS_FILE)
posterior = read_posterior(shipped_posterior())
rows = sorted(int(r) + 1 for r in np.random.default_rng(0).choice(len(table), 20, replace=False))
# without the monthly series, as forecast runs them, where the checkout can
bare = {{"series": False}} if "series" in inspect.signature(run_together).parameters else {{}}


def batch(row, b, built):
    indices = range(25 * b, 25 * (b + 1))
    scenarios = []
    for i in indices:   # one scenario per row and distinct drawn set, as forecast builds them
        j = posterior.draw(draw_seed(row, i))
        if j not in built:
            links, overrides = split(posterior.parameters(j))
            built[j] = profile_at(table, row, links, 24, 1000, overrides).scenario
        scenarios.append(built[j])
    run_together(scenarios, [run_seed(row, i) for i in indices], **bare)


batch(rows[0], 99, {{}})
t0 = time.process_time()
for row in rows:
    built = {{}}
    for b in range({runs}):
        batch(row, b, built)
print(time.process_time() - t0)
"""


def cpu_seconds(checkout: Path, runs: int, code: str = CODE) -> float:
    out = subprocess.run(["uv", "run", "--project", str(checkout), "python", "-c",
                          code.format(runs=runs)], capture_output=True, text=True,
                         cwd=checkout, env=dict(os.environ), check=True)
    return float(out.stdout.strip())


def instructions(checkout: Path, runs: int, code: str = CODE) -> int:
    """Instructions the runs execute (valgrind's cachegrind, no cache simulation): the count
    with ``runs`` runs less the count with none."""
    def count(n: int) -> int:
        out = subprocess.run(["uv", "run", "--project", str(checkout), "valgrind",
                              "--tool=cachegrind", "--cache-sim=no",
                              "--cachegrind-out-file=/dev/null", "python", "-c",
                              code.format(runs=n)], capture_output=True, text=True,
                             cwd=checkout, env={**os.environ, "PYTHONHASHSEED": "0"},
                             check=True)
        return int(re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)[1].replace(",", ""))
    return count(runs) - count(0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--other", type=Path, required=True, help="the other checkout")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--forecast", action="store_true",
                    help="forecast-shaped runs (20 profile rows, 24 months, 1,000 civilians)")
    ap.add_argument("--batched", action="store_true",
                    help="a forecast's work as it is done: 20 profile rows, --runs batches of "
                         "25 runs each under parameter sets drawn from the shipped posterior, "
                         "each batch's scenarios built and its runs stepped together")
    ap.add_argument("--instructions", action="store_true",
                    help="count instructions under valgrind instead of timing (one round)")
    args = ap.parse_args()
    code, what = ((BATCHED_CODE, "x 25 x 20 batched forecast") if args.batched
                  else (FORECAST_CODE, "x 20 forecast-shaped") if args.forecast
                  else (CODE, "default"))
    here = Path(__file__).resolve().parents[1]
    if args.instructions:
        a, b = instructions(here, args.runs, code), instructions(args.other, args.runs, code)
        print(f"this / other, instructions of {args.runs} {what} runs: {a / b:.4f} "
              f"({a:,} / {b:,})")
        return
    this, other = [], []
    for r in range(args.rounds):
        order = (here, args.other) if r % 2 == 0 else (args.other, here)
        t = {path: cpu_seconds(path, args.runs, code) for path in order}
        this.append(t[here])
        other.append(t[args.other])
    per_round = [a / b for a, b in zip(this, other, strict=True)]
    print("this / other, CPU time of", args.runs, what, "runs, per round:",
          " ".join(f"{x:.3f}" for x in per_round))
    g = ratios(this, other)
    interval = "" if g["low"] is None else f" [{1 + g['low']:.3f}, {1 + g['high']:.3f}]"
    print(f"median {statistics.median(per_round):.3f} (min {min(per_round):.3f}, "
          f"max {max(per_round):.3f}); geometric mean {1 + g['mean']:.3f}{interval} (95 %); "
          f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
