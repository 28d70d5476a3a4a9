"""Why does the model predict so many new onsets inside an ongoing episode? A diagnosis.

    uv run python benchmarks/inside_episode.py              # parts 1-3, in this process
    uv run python benchmarks/inside_episode.py --screen     # + the screen, on a 2-worker pool

On the record's calibration years only (predictor rows to 1993 with every predictor known, as
the calibration targets count them), so nothing here looks at the test years. Each row runs as
``forecast`` runs it (24 months, 1,000 civilians, a parameter set drawn from the shipped
posterior per run, the forecast's seeds):

1. **Who kills.** Rows inside an ongoing episode: the share of runs with an onset by each
   perpetrator, whether it counts as new (another perpetrator than the ongoing episode's,
   ``forecast.counted``), against the record's rate for those rows.
2. **The past switched off.** The rows inside a state's episode with the history's parts
   removed one at a time (the ongoing episode, battle deaths, a recent coup, all three), the
   same seeds and draws: how much of each perpetrator's onsets the past gives.
3. **Inside and outside.** Rows where political killings are approved, inside and outside an
   episode, and rows inside an episode where they are not: the model's rate against the
   record's, to see whether the excess belongs to episodes or to the kind of row.
4. ``--screen``: the calibration's own sample (``experiments/calibration.toml``) and 80 rows
   inside an episode, at the shipped posterior's medians, with one coefficient at half and at
   twice its declared value (clipped to its bounds), common seeds: which coefficients move the
   rate inside an episode, and what they do to the fitted rates.

Results are the model's, for stylized anonymous profiles; aggregate only (no profile named).
JSON goes to ``benchmarks/results/inside_episode.json``. Exits 0 whatever it finds.
"""

from __future__ import annotations

import argparse
import collections
import json
import time
from pathlib import Path

import numpy as np

from escalation_sim.record import profiles as P
from escalation_sim.record.data import OUTCOME, PREDICTORS_FILE, data_dir, load_predictors
from escalation_sim.record.forecast import counted, ongoing_perpetrator, row_seed
from escalation_sim.record.measure import outside_episode
from escalation_sim.record.posterior import (
    Posterior,
    draw_seed,
    fitted,
    read_posterior,
    shipped_posterior,
    split,
    weighted_summary,
)
from escalation_sim.record.regression import design
from escalation_sim.rng import run_seed
from escalation_sim.runner import run_model

MONTHS, CIVILIANS, LAST_ROW_YEAR = 24, 1000, 1993
NO_EPISODE = {"prior_episode_years_ago": None, "prior_episode_deaths": 0.0,
              "prior_victims": None, "prior_perpetrator": None}
KNOCKOUTS = {
    "nothing removed": {},
    "no ongoing episode": NO_EPISODE,
    "no battle deaths": {"battle_deaths": 0.0},
    "no recent coup": {"coup_months_ago": None},
    "none of the past": {**NO_EPISODE, "battle_deaths": 0.0, "coup_months_ago": None},
}
"""The scenario's ``[history]`` fields each knockout sets (the schema's defaults: no past)."""
SCREEN = ("mobilization.w_grievance", "mobilization.threshold_mean", "violence.revenge",
          "events.coup_hazard", "links.civil_society_repression",
          "links.media_integrity_censorship", "links.will_killings", "history.conflict_arms",
          "links.security_capacity_per_imr", "links.shock_hazard_base", "links.gap_base")


def runs_of(table, post, row: int, runs: int, knockout: dict | None = None):
    """The ongoing episode's perpetrator (or None) and the episodes of ``runs`` runs of ``row``
    as ``forecast`` runs them (its seeds, a drawn parameter set each), with the ``[history]``
    fields of ``knockout`` set."""
    p0 = P.profile_at(table, row, months=MONTHS, n_civilians=CIVILIANS)
    seed = row_seed(0, p0.profile, p0.year)
    out = []
    for i in range(runs):
        links, overrides = split(post.parameters(post.draw(draw_seed(seed, i))))
        scenario = P.profile_at(table, row, links, MONTHS, CIVILIANS, overrides).scenario
        if knockout:
            scenario = scenario.model_copy(
                update={"history": scenario.history.model_copy(update=knockout)})
        out.append(run_model(scenario, run_seed(seed, i)).violence.episodes)
    return ongoing_perpetrator(p0.values, p0.history), out


def tally(table, post, rows, runs: int, knockout: dict | None = None) -> dict:
    """Over ``rows`` × ``runs``: the share of runs with a new onset (:func:`counted`) and of
    runs with an onset by each perpetrator, the ongoing episode's own ("same") or another."""
    by, new, n = collections.Counter(), 0, 0
    for r in rows:
        ongoing, eps = runs_of(table, post, int(r), runs, knockout)
        for e in eps:
            n += 1
            new += bool(counted(e, ongoing))
            for who in {x.perpetrator for x in e}:
                by[("same" if who == ongoing else "other") + f": {who}"] += 1
    return {"runs": n, "counted_new": new / n, "by_perpetrator": {k: v / n for k, v in
                                                                 sorted(by.items())}}


def sample(mask: np.ndarray, size: int, seed: int) -> list[int]:
    """``size`` rows (1-based) of those ``mask`` marks, seeded."""
    idx = np.flatnonzero(mask)
    return sorted(int(i) + 1 for i in np.random.default_rng(seed).choice(idx, min(size, len(idx)),
                                                                       replace=False))


def screen(table, post, inside_rows: list[int]) -> list[dict]:
    from escalation_sim.params import Scenario
    from escalation_sim.record.calibrate import Simulator, calibration_record, load_calibration
    from escalation_sim.record.forecast import forecast
    from escalation_sim.runner import local_pool

    config = load_calibration(Path(__file__).parent.parent / "experiments" / "calibration.toml")
    record = calibration_record(config)
    base = {n: weighted_summary(post.values[:, i], post.weights)["median"]
            for i, n in enumerate(post.names)}
    pool = local_pool(2)
    out = []

    def measure(values: dict, label: str) -> None:
        s = Simulator(config, table, record, pool, 2).simulate(values, 1)
        one = Posterior("screen", tuple(values), np.array([list(values.values())]), np.ones(1),
                        {})
        inside = forecast(table, runs=5, rows=inside_rows, posterior=one, executor=pool,
                          workers=2, seed=1)
        row = {"setting": label, **{k: s[k] for k in ("first_onset_rate",
                                                       "onset_rate_after_episode",
                                                       "onset_rate_risk_q1",
                                                       "onset_rate_risk_q3",
                                                       "onset_rate_risk_q5")},
               "inside_episode": float(np.mean([r.p_onset for r in inside]))}
        out.append(row)
        print(f"  {label:<42} first {row['first_onset_rate']:.4f}  q1 "
              f"{row['onset_rate_risk_q1']:.3f}  q3 {row['onset_rate_risk_q3']:.3f}  q5 "
              f"{row['onset_rate_risk_q5']:.3f}  inside {row['inside_episode']:.3f}",
              flush=True)

    try:
        measure(base, "shipped posterior's medians")
        for name in SCREEN:
            f = fitted(name)
            if name.startswith("links."):
                default = P.ProfileLinks.model_fields[name.removeprefix("links.")].default
            else:
                section, key = name.split(".")
                default = Scenario.model_fields[section].annotation.model_fields[key].default
            for v in sorted({max(f.low, default * 0.5), min(f.high, default * 2)}):
                measure({**base, name: v}, f"{name} = {v:g}")
    finally:
        pool.shutdown()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=40, help="rows per set of rows")
    ap.add_argument("--runs", type=int, default=10, help="runs per row")
    ap.add_argument("--screen", action="store_true")
    ap.add_argument("--output", type=Path, default=Path("benchmarks/results/inside_episode.json"))
    args = ap.parse_args()
    start = time.perf_counter()
    table = P.read_profiles(data_dir() / PREDICTORS_FILE)
    post = read_posterior(shipped_posterior())
    record = load_predictors()
    y = record[OUTCOME].to_numpy()
    # complete rows of the calibration years, as the targets count them (measure.inside_episode)
    base = design(record)[1] & (record.year <= LAST_ROW_YEAR).to_numpy()
    inside = ~outside_episode(record)
    approved = (record.pol_killing_approved >= 0.5).to_numpy()
    result: dict = {"rows": args.rows, "runs": args.runs, "note": "the model's numbers"}

    rows = sample(base & inside, args.rows, 1)
    result["who_kills"] = {**tally(table, post, rows, args.runs),
                           "record_rate": float(y[base & inside].mean())}
    who = result["who_kills"]
    print(f"1. Rows inside an episode ({len(rows)} rows x {args.runs} runs): new onsets "
          f"{who['counted_new']:.3f} (record {who['record_rate']:.3f})")
    for k, v in result["who_kills"]["by_perpetrator"].items():
        print(f"     {k:<28} {v:.3f}")

    rows = sample(base & inside & approved, max(1, args.rows * 3 // 4), 1)
    result["knockouts"] = {}
    print(f"2. Rows inside a state's episode ({len(rows)} rows), the past switched off:")
    for name, f in KNOCKOUTS.items():
        r = tally(table, post, rows, args.runs, f)
        result["knockouts"][name] = r
        print(f"     {name:<20} new {r['counted_new']:.3f}  " + "  ".join(
            f"{k} {v:.3f}" for k, v in r["by_perpetrator"].items()))

    result["kinds"] = {}
    print("3. The same kind of row inside and outside an episode:")
    for label, mask in (("killings approved, inside", approved & inside),
                        ("killings approved, outside", approved & ~inside),
                        ("not approved, inside", ~approved & inside)):
        rows = sample(base & mask, args.rows, 2)
        r = {**tally(table, post, rows, args.runs), "record_rate": float(y[base & mask].mean()),
             "record_rows": int((base & mask).sum())}
        result["kinds"][label] = r
        print(f"     {label:<28} model {r['counted_new']:.3f}  record {r['record_rate']:.3f} "
              f"({r['record_rows']} rows)")

    if args.screen:
        print("4. One at a time, at the shipped posterior's medians (common seeds):")
        result["screen"] = screen(table, post, sample(base & inside, 80, 5))
    result["seconds"] = time.perf_counter() - start
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2))
    print(f"The model's numbers, for stylized profiles. {result['seconds']:.0f} s; written "
          f"{args.output}")


if __name__ == "__main__":
    main()
