"""When in a run the calibration sample's onsets come, and what that does to the annual rates.

    uv run python benchmarks/onset_timing.py [--fit calibration/past] [--file F] [--runs 10]
        [--months 24] [--warmup 0] [--workers 1]

Simulates a fit's calibration sample (its ``record.json`` rows, as the fit does) once, at the
fit's weighted posterior median of every parameter (held ones included), ``--runs`` runs a
row of ``--months`` months. Prints the onsets by quarter of the run; the first-onset and
after-episode rates per country-year as the calibration computes them over the first 24
months (both years at risk); the same rates counting the second year alone (the first as a
warm-up); the plain two-year rate of the rows with and without a past episode; and, by year of
the run, the share of the runs still without an onset that have their first in that year
(rows with and without a past episode). With ``--warmup W`` (a multiple of 12, at most
``--months`` - 24), also every statistic the calibration computes with that warm-up, counting the
``months - W`` after it (``calibrate.statistics``). The model's numbers, for stylized
anonymous profiles. JSON to ``benchmarks/results/onset_timing-<fit name>[-<months>m][-w<W>].json``.
"""

from __future__ import annotations

import argparse
import json
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from escalation_sim.record import calibrate
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.posterior import read_posterior, weighted_summary
from escalation_sim.record.profiles import read_profiles
from escalation_sim.runner import local_pool


def median_set(path: Path) -> dict[str, float]:
    """Each parameter's weighted median in a posterior file."""
    p = read_posterior(path)
    return {n: weighted_summary(p.values[:, j], p.weights)["median"]
            for j, n in enumerate(p.names)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", default="calibration/past", help="a fit's output directory")
    ap.add_argument("--file", default="experiments/calibration_past.toml",
                    help="the fit's calibration file")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--months", type=int, default=24, help="months a run (a multiple of 12)")
    ap.add_argument("--warmup", type=int, default=0,
                    help="months of warm-up for the calibration's statistics (0: none)")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    if a.months % 12 or a.months < 24 or a.warmup % 12 or not 0 <= a.warmup <= a.months - 24:
        ap.error("--months: a multiple of 12, at least 24; --warmup: a multiple of 12, at "
                 "most --months - 24")
    fit = Path(a.fit)
    config = calibrate.load_calibration(a.file)
    config = config.model_copy(update={"sample": config.sample.model_copy(
        update={"runs": a.runs, "months": a.months, "warmup": 0})})
    record = calibrate.Record.from_dict(json.loads((fit / "record.json").read_text()))
    with local_pool(a.workers) if a.workers > 1 else nullcontext() as pool:
        simulator = calibrate.Simulator(config, read_profiles(data_dir() / PREDICTORS_FILE),
                                        record, pool, a.workers)
        episodes, rows = simulator.episodes(median_set(fit / "posterior.parquet"), a.seed)
    # without a warm-up the calibration counts the first 24 months (statistics ignores later
    # years; its gradient, later onsets)
    both = calibrate.statistics(episodes, 24, rows, record)
    months = [s for eps in episodes for s, _ in eps]
    quarters = np.histogram(months, bins=range(1, a.months + 2, 3))[0].tolist()
    first = np.array([min((s for s, _ in eps), default=a.months + 1) for eps in episodes])
    outside = np.array([record.episode_table[k] for k in rows])
    prior = np.array([record.prior[k] for k in rows])
    # by year of the run: first onsets among the runs still without one; year 2's is the
    # second year alone, the first taken as a warm-up
    by_year = {}
    for name, past in (("no_past", ~prior), ("past", prior)):
        still = [outside & past & (first > 12 * y) for y in range(a.months // 12)]
        by_year[name] = [float((first[r] <= 12 * (y + 1)).mean()) for y, r in enumerate(still)]
    out = {
        "fit": str(fit), "runs": a.runs, "seed": a.seed, "onsets": len(months),
        "onsets_by_quarter": quarters,
        "first_onset_rate": both["first_onset_rate"],
        "first_onset_rate_second_year": by_year["no_past"][1],
        "onset_rate_after_episode": both["onset_rate_after_episode"],
        "onset_rate_after_episode_second_year": by_year["past"][1],
        "two_year_rate_no_past": float((first[outside & ~prior] <= 24).mean()),
        "two_year_rate_past": float((first[outside & prior] <= 24).mean()),
        "record": {n: record.targets[n].value for n in ("first_onset_rate",
                                                        "onset_rate_after_episode")},
    }
    label = fit.name
    if a.months != 24:
        out["months"] = a.months
        out["first_onset_by_year"] = by_year
        label += f"-{a.months}m"
    if a.warmup:
        out["warmup"] = a.warmup
        out["with_warmup"] = calibrate.statistics(episodes, a.months - a.warmup, rows, record,
                                                  a.warmup)
        label += f"-w{a.warmup}"
    print(f"{fit}: {len(rows)} runs, {len(months)} onsets; by quarter of the run "
          f"(months 1-3, 4-6, ...): {quarters}")
    for name in ("first_onset_rate", "onset_rate_after_episode"):
        print(f"  {name}: both years {100 * both[name]:.2f} %, second year alone "
              f"{100 * out[name + '_second_year']:.2f} % (the record's "
              f"{100 * out['record'][name]:.2f} %)")
    print(f"  within two years: {100 * out['two_year_rate_no_past']:.2f} % of runs without a "
          f"past episode, {100 * out['two_year_rate_past']:.2f} % with one")
    for name, hazard in out.get("first_onset_by_year", {}).items():
        print(f"  {name.replace('_', ' ')}: first onset by year of the run, among runs with none "
              "before: " + ", ".join(f"{100 * h:.2f} %" for h in hazard))
    if a.warmup:
        print(f"  the calibration's statistics after a {a.warmup}-month warm-up, counting "
              f"{a.months - a.warmup} months:")
        for name, value in out["with_warmup"].items():
            known = name in record.targets.names()
            print(f"    {name}: {value:.4f}"
                  + (f" (record {record.targets[name].value:.4f})" if known else ""))
    print("the model's numbers, for stylized anonymous profiles")
    path = Path(__file__).parent / "results" / f"onset_timing-{label}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
