"""How far below their thresholds are civilians' motives where a profile excludes no group?

    uv run python benchmarks/motive_gap.py [--sample 60] [--seed 0] [--set FIELD=VALUE ...]

A diagnostic of why the model gives so few onsets in the record's rows that exclude no group
(README, "The fit that freed fear of a coup regime and repression together"). The calibration-year
rows (1960-1993) ``risk_factors.py`` runs (every predictor the profiles read, and the outcome,
known) in three classes: excluding no group after a coup in the last five years, excluding no group
without one, and excluding a group; ``--sample`` rows of each (fixed seed), one 24-month run each at
1,000 civilians with the declared values (no posterior: the shipped posterior's weight of grievance
is at most the declared 0.4; ``--set`` holds a scenario field at a value). After each month the
motive of the civilians who may mobilize is computed from the month's end state with the
mobilization module's own ``current_motive`` and ``able`` (the module computes it mid-month, so the
two differ by a month's updates), and compared with each one's threshold: printed per class are the
medians over rows of the largest 99th-percentile gap (motive minus threshold) in any month and of
the civilians' mean grievance at the last month, the share of rows in which anyone mobilized, and of
those with an onset. Results are the model's, for stylized anonymous profiles; aggregate only.
"""

from __future__ import annotations

import argparse

import numpy as np

from escalation_sim.model import EscalationModel
from escalation_sim.record.data import OUTCOME, PREDICTORS_FILE, data_dir, load_predictors
from escalation_sim.record.forecast import new_onset, ongoing_perpetrator
from escalation_sim.record.profiles import COLUMNS, excludes, profile_at, read_profiles

LAST_ROW_YEAR = 1993


def largest_gap(model: EscalationModel) -> float:
    """The 99th percentile of motive minus threshold over the civilians who may mobilize,
    now (the module's own ``current_motive`` and ``able``)."""
    mob = model.mobilization
    gap = mob.current_motive() - model.civilians.threshold
    return float(np.percentile(gap[mob.able()], 99))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=60, help="rows per class")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                    help="hold a scenario field at a value in every row (repeatable)")
    a = ap.parse_args()
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    df = table.table
    # the rows risk_factors.py runs: every predictor the profiles read, and the outcome, known
    df = df[(df.year <= LAST_ROW_YEAR).to_numpy()
            & df[list(COLUMNS)].notna().all(axis=1).to_numpy()
            & load_predictors()[OUTCOME].notna().to_numpy()]
    none = ~excludes(df.discrimpop.to_numpy(), df.minorityrule.to_numpy())
    coup = (df["coup.try.5yr"] == 1).to_numpy()
    classes = {"excludes no group, after a coup": none & coup,
               "excludes no group, no coup": none & ~coup,
               "excludes a group": ~none}
    print(f"{'rows':34s} {'n':>4s} {'gap p99 (median)':>17s} {'grievance':>10s} "
          f"{'any mobilized':>14s} {'onset':>6s}")
    for name, mask in classes.items():
        rows = df[mask].sample(min(a.sample, int(mask.sum())), random_state=a.seed)
        gaps, grievance, mobilized, onsets = [], [], [], []
        for i, r in enumerate(rows.index):
            prof = profile_at(table, int(r) + 1, months=24, n_civilians=1000,
                              overrides=a.set)
            model = EscalationModel(prof.scenario, a.seed * 100_000 + i)
            gap, anyone = -np.inf, False
            for _ in range(prof.scenario.run.months):
                model.step()
                gap = max(gap, largest_gap(model))
                anyone = anyone or bool(model.civilians.mobilized.any())
            gaps.append(gap)
            grievance.append(float(model.civilians.grievance.mean()))
            mobilized.append(anyone)
            onsets.append(new_onset(model.violence.episodes,
                                    ongoing_perpetrator(prof.values, prof.history)))
        print(f"{name:34s} {len(rows):4d} {np.median(gaps):+17.3f} {np.median(grievance):10.3f} "
              f"{np.mean(mobilized):14.1%} {np.mean(onsets):6.1%}")
    held = f"; {', '.join(a.set)}" if a.set else ""
    print(f"the model's numbers, for stylized anonymous profiles (declared values{held}; "
          "one run a row)")


if __name__ == "__main__":
    main()
