"""Where the model's onsets come from: the state's killing of whole groups, and population.

    uv run python benchmarks/whole_group.py [--sample 800] [--seed 1] [--set FIELD=VALUE ...]

A diagnostic behind organized killing (``violence.organized_at``; README, "The next fit:
organized killing, group sizes and the past's toll"). ``--sample`` calibration-year rows
(1960-1993) outside an episode, with every predictor the profiles read and the outcome known,
drawn with ``--seed``; one 24-month run each at 1,000 civilians, with values near the
eight-parameter fit's means (shipped until 2026-12-07; ``LINKS`` and ``SETS``; ``--set`` adds
scenario fields). After each month the state's killing of all of a group's members per member
and month (the hate and orders terms of :func:`~escalation_sim.submodels.violence.state_pressure`,
before any organizing) is read from the month's end state; printed: the onsets by band of its
highest value in the run, by perpetrator, and by quarter of the people a simulated civilian
stands for. Results are the model's, for stylized anonymous profiles; aggregate only.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from escalation_sim.model import EscalationModel
from escalation_sim.record.data import OUTCOME, PREDICTORS_FILE, data_dir, load_predictors
from escalation_sim.record.profiles import COLUMNS, ProfileLinks, profile_at, read_profiles
from escalation_sim.submodels.violence import state_pressure, state_targets

LAST_ROW_YEAR = 1993
LINKS = ProfileLinks(excluded_share_min=0.12, excluded_share_max=0.3,
                     prior_episode_deaths=1e5, population_elasticity=0.42,
                     status_per_imr=0.27, excluded_share_uneven_rights=0.19)
SETS = ("mobilization.w_grievance=0.23", "situation.spread=1.1")
BANDS = (0.0, 1e-7, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 1.0)


def whole_group_rate(m: EscalationModel) -> float:
    """The state's killing of all of a group's members, per member and month, now: its
    highest over groups (0 where it targets none). The model's own rule, with no one
    mobilized, every member alive and organizing off, as the violence step calls it."""
    d, gov = m.params.violence, m.government
    targets = state_targets(m.leaders[gov.ruling].excludes, gov.ruling, d.repression)
    none, every = np.zeros((1, len(targets))), np.ones((1, len(targets)))
    per = state_pressure(none, every, m.brakes["security_sector"].perpetration, targets,
                         m.information.hate, d.state_violence, d.state_violence_hate,
                         gov.threat + d.purge * gov.coup_strength, d.state_orders)
    return float(per.max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", type=int, default=800)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    a = ap.parse_args()
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    df = table.table
    ok = ((df.year <= LAST_ROW_YEAR).to_numpy()
          & df[list(COLUMNS)].notna().all(axis=1).to_numpy()
          & load_predictors()[OUTCOME].notna().to_numpy()
          & (df["mk_ongoing_count_log2"] == 0).to_numpy())
    rows = np.random.default_rng(a.seed).choice(np.flatnonzero(ok) + 1, a.sample, replace=False)
    people, highest, onset, who = [], [], [], Counter()
    for r in rows:
        prof = profile_at(table, int(r), LINKS, 24, 1000, (*SETS, *a.set))
        m = EscalationModel(prof.scenario, seed=int(r))
        top = 0.0
        for _ in range(24):
            m.step()
            top = max(top, whole_group_rate(m))
        people.append(m.params.people_per_civilian)
        highest.append(top)
        onset.append(m.violence.onset_month is not None)
        if m.violence.episodes:
            who[m.violence.episodes[0].perpetrator] += 1
    people, highest, onset = np.array(people), np.array(highest), np.array(onset)
    print(f"rows {len(rows)}, onsets {onset.sum()}; first perpetrators: {dict(who)}")
    for lo, hi in zip(BANDS[:-1], BANDS[1:], strict=True):
        s = (highest >= lo) & (highest < hi)
        print(f"highest whole-group rate in [{lo:g}, {hi:g}): rows {s.sum():4d}, "
              f"onsets {onset[s].sum():3d}")
    quarter = np.digitize(people, np.quantile(people, [0.25, 0.5, 0.75]))
    print("onsets by quarter of people per civilian:",
          [int(onset[quarter == q].sum()) for q in range(4)])
    print("the model's numbers, for stylized anonymous profiles; aggregate only")


if __name__ == "__main__":
    main()
