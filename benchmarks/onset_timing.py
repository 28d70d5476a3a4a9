"""When in a run the calibration sample's onsets come, and what that does to the annual rates.

    uv run python benchmarks/onset_timing.py [--fit calibration/past] [--file F] [--runs 10]

Simulates a fit's calibration sample (its ``record.json`` rows, as the fit does) once, at the
fit's weighted posterior median of every parameter (held ones included), ``--runs`` runs a
row, in this process. Prints the onsets by quarter of the 24-month run; the first-onset and
after-episode rates per country-year as the calibration computes them (both run years at
risk); the same rates counting the second year alone (the first as a warm-up); and the plain
two-year rate of the rows with and without a past episode. The model's numbers, for stylized
anonymous profiles. JSON to ``benchmarks/results/onset_timing-<fit name>.json``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from escalation_sim.record import calibrate
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.posterior import read_posterior, weighted_summary
from escalation_sim.record.profiles import read_profiles


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
    a = ap.parse_args()
    fit = Path(a.fit)
    config = calibrate.load_calibration(a.file)
    config = config.model_copy(update={"sample": config.sample.model_copy(
        update={"runs": a.runs})})
    record = calibrate.Record.from_dict(json.loads((fit / "record.json").read_text()))
    simulator = calibrate.Simulator(config, read_profiles(data_dir() / PREDICTORS_FILE), record)
    episodes, rows = simulator.episodes(median_set(fit / "posterior.parquet"), a.seed)
    both = calibrate.statistics(episodes, config.sample.months, rows, record)
    months = [s for eps in episodes for s, _ in eps]
    quarters = np.histogram(months, bins=range(1, 26, 3))[0].tolist()   # months 1-3, ..., 22-24
    event = np.array([any(s <= 24 for s, _ in eps) for eps in episodes])
    first_year = np.array([any(s <= 12 for s, _ in eps) for eps in episodes])
    outside = np.array([record.episode_table[k] for k in rows])
    prior = np.array([record.prior[k] for k in rows])
    # the second year alone: runs with no onset in the first (the warm-up) are at risk in it
    second = {}
    for name, past in (("first_onset_rate", ~prior), ("onset_rate_after_episode", prior)):
        at_risk = outside & past & ~first_year
        second[name] = float(event[at_risk].mean())
    out = {
        "fit": str(fit), "runs": a.runs, "seed": a.seed, "onsets": len(months),
        "onsets_by_quarter": quarters,
        "first_onset_rate": both["first_onset_rate"],
        "first_onset_rate_second_year": second["first_onset_rate"],
        "onset_rate_after_episode": both["onset_rate_after_episode"],
        "onset_rate_after_episode_second_year": second["onset_rate_after_episode"],
        "two_year_rate_no_past": float(event[outside & ~prior].mean()),
        "two_year_rate_past": float(event[outside & prior].mean()),
        "record": {n: record.targets[n].value for n in ("first_onset_rate",
                                                        "onset_rate_after_episode")},
    }
    print(f"{fit}: {len(rows)} runs, {len(months)} onsets; by quarter of the run "
          f"(months 1-3, ..., 22-24): {quarters}")
    for name in ("first_onset_rate", "onset_rate_after_episode"):
        print(f"  {name}: both years {100 * both[name]:.2f} %, second year alone "
              f"{100 * second[name]:.2f} % (the record's {100 * out['record'][name]:.2f} %)")
    print(f"  within two years: {100 * out['two_year_rate_no_past']:.2f} % of runs without a "
          f"past episode, {100 * out['two_year_rate_past']:.2f} % with one")
    print("the model's numbers, for stylized anonymous profiles")
    path = Path(__file__).parent / "results" / f"onset_timing-{fit.name}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
