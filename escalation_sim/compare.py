"""Paired comparison of policies on common random numbers.

Run ``i`` has the same seed under every policy, so the runs are paired: differences between
policies are measured run by run, which removes the between-run noise that policies share. For
each pair the module reports the paired difference with a t interval on the per-run differences,
and, for contrast, the unpaired interval on the same runs (same t quantile, standard error
√((var a + var b) / n), as if the runs were independent), and how much narrower the paired one
is.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from .outcomes import CAVEAT, Columns, RunOutcome, columns, mean_ci, summarize

METRICS = {
    "mass_atrocity": lambda c: (c["mass_atrocity"] != 0).astype(float),
    "mass_killing_onset": lambda c: (c["mass_killing_onset"] != 0).astype(float),
    "reach_stage_2": lambda c: (c["highest_stage"] >= 2).astype(float),
    "reach_stage_3": lambda c: (c["highest_stage"] >= 3).astype(float),
    "stopped": lambda c: (~np.isnan(c["stopped_at"])).astype(float),
    "recurrence": lambda c: (c["recurrences"] > 0).astype(float),
    "deaths": lambda c: c["deaths"],
    "deaths_noncombatant": lambda c: c["deaths_noncombatant"],
    "displaced_peak": lambda c: c["displaced_peak"],
    "cost": lambda c: c["cost"],
}
"""Per-run quantities compared between policies (0/1 flags and counts), each a function of
outcome :data:`~escalation_sim.outcomes.Columns` returning one float per run; a metric whose
column a table lacks (one written before the mass-killing onset existed) is left out."""

_OPTIONAL = ("mass_killing_onset", "deaths_noncombatant")   # metrics named after their column


def paired_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> dict:
    """Mean of ``b - a`` with paired and unpaired confidence intervals."""
    from scipy import stats

    n = a.size
    d = b - a
    q = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) if n > 1 else float("nan")
    half_paired = q * d.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    half_unpaired = q * np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / n) if n > 1 else float("nan")
    diff = float(d.mean())
    return {
        "difference": diff,
        "paired_low": diff - half_paired, "paired_high": diff + half_paired,
        "unpaired_low": diff - half_unpaired, "unpaired_high": diff + half_unpaired,
        "width_ratio": (half_paired / half_unpaired) if half_unpaired > 0 else None,
    }


def compare(results: dict[str, Sequence[RunOutcome]], confidence: float = 0.95,
            groups: Sequence[int] | None = None) -> dict:
    """Per-policy summaries and per-pair paired differences (second minus first). ``groups``:
    the posterior parameter set each run drew (the same under every policy), which adds the
    parameter share of each per-policy rate (:func:`~escalation_sim.outcomes.summarize`)."""
    names = list(results)
    n = {len(v) for v in results.values()}
    if len(n) != 1:
        raise ValueError("every policy needs the same number of runs to pair them")
    seeds = [tuple(o.seed for o in v) for v in results.values()]
    if len(set(seeds)) != 1:
        raise ValueError("runs are not paired: seeds differ between policies")
    cols = {name: columns(v) for name, v in results.items()}
    per_policy = {}
    for name in names:
        s = summarize(cols[name], confidence, groups)
        s["cost"] = mean_ci(cols[name]["cost"], confidence)
        per_policy[name] = s
    base = names[0]
    p_base = per_policy[base]["mass_atrocity"]["p"]
    for name in names[1:]:
        averted = p_base - per_policy[name]["mass_atrocity"]["p"]
        extra = per_policy[name]["cost"]["mean"] - per_policy[base]["cost"]["mean"]
        per_policy[name]["cost_per_mass_atrocity_averted"] = (extra / averted
                                                               if averted > 0 else None)
    pairs = [{"first": first, "second": second,
              **paired_metrics(cols[first], cols[second], confidence)}
             for first, second in combinations(names, 2)]
    return {"runs": n.pop(), "confidence": confidence, "policies": per_policy, "pairs": pairs}


def paired_metrics(first: Sequence[RunOutcome] | Columns, second: Sequence[RunOutcome] | Columns,
                   confidence: float = 0.95) -> dict:
    """Every metric of ``METRICS`` as a paired difference (second minus first) between two
    equally long sets of outcomes (anything :func:`~escalation_sim.outcomes.columns` takes)
    paired by position."""
    first, second = columns(first), columns(second)
    return {metric: paired_difference(get(first), get(second), confidence)
            for metric, get in METRICS.items()
            if metric not in _OPTIONAL or (metric in first and metric in second)}


SPLIT_RATES = (("reach_stage_at_least", "2", "P(stage>=2)"), ("reach_stage_at_least", "3",
                                                               "P(stage>=3)"),
               ("mass_killing_onset", None, "P(onset)"))


def _split_lines(policies: dict, split: dict) -> list[str]:
    """Per policy, the sd of its rates between the posterior's parameter sets (and that
    variance's share of a run's variance)."""
    from .outcomes import share_text, split_text

    lines = ["", "Parameter uncertainty: sd of each rate between parameter sets (its share of a "
                 "run's variance [95% CI])",
             f"{'policy':<16}" + "".join(f"{label:>24}" for *_, label in SPLIT_RATES)]
    for name, s in policies.items():
        cells = []
        for key, sub, _ in SPLIT_RATES:
            r = s.get(key, {})
            r = r.get(sub, {}) if sub else r
            sd = r.get("parameter_sd")
            cells.append("-" if sd is None else f"{sd:.1%} ({share_text(r)})")
        lines.append(f"{name:<16}" + "".join(f"{c:>24}" for c in cells))
    return [*lines, split_text(split)]


def format_comparison(report: dict) -> str:
    """The comparison as plain-text tables."""
    pct = int(round(report["confidence"] * 100))
    lines = [f"{'policy':<16}{'P(stage>=2)':>13}{'P(stage>=3)':>13}{'P(mass atr.)':>14}"
             f"{'P(onset)':>10}{'stopped':>9}{'deaths':>9}{'cost':>9}{'cost/MA averted':>17}",
             "-" * 110]
    for name, s in report["policies"].items():
        stopped = sum(s["stopped_at_stage"][k]["p"] for k in ("1", "2", "3"))
        cpa = s.get("cost_per_mass_atrocity_averted")
        lines.append(
            f"{name:<16}{s['reach_stage_at_least']['2']['p']:>13.1%}"
            f"{s['reach_stage_at_least']['3']['p']:>13.1%}{s['mass_atrocity']['p']:>14.1%}"
            f"{s['mass_killing_onset']['p'] if 'mass_killing_onset' in s else float('nan'):>10.1%}"
            f"{stopped:>9.1%}{s['deaths']['mean']:>9.0f}{s['cost']['mean']:>9.0f}"
            f"{'-' if cpa is None else f'{cpa:.0f}':>17}")
    first = next(iter(report["policies"].values()), {})
    if "parameter_split" in first:
        lines += _split_lines(report["policies"], first["parameter_split"])
    lines += ["", f"Paired differences (second − first), {pct}% CI paired vs unpaired on the same "
              "runs:"]
    for row in report["pairs"]:
        lines.append(f"  {row['second']} − {row['first']}:")
        for metric in ("mass_atrocity", "mass_killing_onset", "reach_stage_2", "deaths", "cost"):
            if metric not in row:
                continue
            r = row[metric]
            fmt = ("{:+.1%}" if metric in ("mass_atrocity", "mass_killing_onset", "reach_stage_2")
                   else "{:+.0f}")
            ratio = "-" if r["width_ratio"] is None else f"{r['width_ratio']:.2f}"
            lines.append(
                f"    {metric:<19}{fmt.format(r['difference']):>9}   paired ["
                f"{fmt.format(r['paired_low'])}, {fmt.format(r['paired_high'])}]   unpaired ["
                f"{fmt.format(r['unpaired_low'])}, {fmt.format(r['unpaired_high'])}]   "
                f"width ratio {ratio}")
    lines.append(CAVEAT)
    return "\n".join(lines)
