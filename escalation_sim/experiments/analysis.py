"""Analysis of a sweep: rates with confidence intervals, paired policy differences, Sobol and
Morris indices (SALib), PRIM boxes (scenario discovery), figures.

Everything works on the run table of a sweep directory (:func:`load`), so a notebook can call the
same functions as ``escalation-sim analyze``. Rates are computed by
:func:`escalation_sim.outcomes.summarize` and paired differences by
:func:`escalation_sim.compare.paired_metrics` over :data:`escalation_sim.compare.METRICS`:
one definition of each quantity for single ensembles and sweeps alike. Each function converts
the table's outcome columns once (:func:`escalation_sim.outcomes.columns`, float arrays) and
gives every group its slice of them by position; no row becomes a Python object. Failed runs
are left out of every rate (and counted in the report).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..compare import METRICS, paired_metrics
from ..errors import InputError
from ..export import json_text
from ..files import write_bytes_atomic
from ..outcomes import CAVEAT, Columns, columns, summarize
from .manifest import read_manifest
from .store import read_runs

RATES = {**{f"reach_stage_{k}": ("reach_stage_at_least", str(k)) for k in (1, 2, 3)},
         **{f"stopped_at_stage_{k}": ("stopped_at_stage", str(k)) for k in (1, 2, 3)},
         "mass_atrocity": ("mass_atrocity", None),
         "mass_killing_onset": ("mass_killing_onset", None), "recurrence": ("recurrence", None)}
"""Rates reported per group: P(reach stage ≥ k), P(stopped at stage k), P(mass atrocity) and
P(mass-killing onset) (the same since model v2), P(recurrence) — the fields of
:func:`~escalation_sim.outcomes.summarize`."""

@dataclass
class Results:
    """A sweep's runs (one row per run), its manifest and the names of its parameters."""

    runs: pd.DataFrame
    manifest: dict[str, Any]

    @property
    def parameters(self) -> list[str]:
        return list(self.manifest.get("parameters", []))

    @property
    def ok(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] != "ok"]


def load(root: str | Path) -> Results:
    """Read a sweep directory."""
    return Results(read_runs(root), read_manifest(root))


def _take(c: Columns, positions: np.ndarray) -> Columns:
    """The runs at ``positions`` of outcome columns."""
    return {k: v[positions] for k, v in c.items()}


def _groups(df: pd.DataFrame, by: list[str], **kw) -> list[tuple[tuple, np.ndarray]]:
    """``(key, positions)`` of each group of ``df`` by ``by`` (one group of every row without
    ``by``), positions into ``df``'s rows, in ``groupby``'s order."""
    if not by:
        return [((), np.arange(len(df)))]
    pos = pd.Series(np.arange(len(df)), index=df.index)
    return [(k if isinstance(k, tuple) else (k,), g.to_numpy())
            for k, g in pos.groupby([df[b] for b in by], **kw)]


def _metric(df: pd.DataFrame, outcome: str) -> np.ndarray:
    """``METRICS[outcome]`` of each row of ``df``."""
    return METRICS[outcome](columns(df))


def rates(df: pd.DataFrame, by: list[str] | None = None, confidence: float = 0.95
          ) -> pd.DataFrame:
    """Rates with Wilson intervals, per group of ``by`` columns (e.g. ``["policy"]`` or
    ``["policy", "government.inclusiveness"]``); failed runs are left out.

    One row per group and outcome: the group's values, ``outcome``, ``count``, ``n``, ``p``,
    ``low``, ``high``.
    """
    df = df[df["status"] == "ok"] if "status" in df else df
    by = list(by or [])
    c = columns(df)
    rows = []
    for key, positions in _groups(df, by, sort=False, dropna=False):
        s = summarize(_take(c, positions), confidence)
        for name, (field, k) in RATES.items():
            if field not in s:      # a table written before the mass-killing onset existed
                continue
            r = s[field][k] if k else s[field]
            rows.append({**dict(zip(by, key, strict=True)), "outcome": name, **r})
    return pd.DataFrame(rows)


def _edge_labels(edges: np.ndarray) -> list[str]:
    """``"a–b"`` for each pair of neighbouring edges, with the fewest significant digits (at
    least 3) that show every edge distinctly, without exponents."""
    for digits in range(3, 18):
        shown = [np.format_float_positional(v, precision=digits, fractional=False, trim="-")
                 for v in edges]
        if len(set(shown)) == len(shown):
            break
    return [f"{a}–{b}" for a, b in zip(shown[:-1], shown[1:], strict=True)]


def factor_levels(values: pd.Series, bins: int = 4) -> tuple[pd.Series, list]:
    """A factor's levels for rates by level, and their order: its own values when it takes at
    most 12, else (a numeric factor) ``bins`` quantile bins — each holding about the same number
    of runs, so every level's interval is about as tight; fewer where values repeat — labelled
    by their edges, e.g. ``"0.1–0.3"`` (the first bin includes its lower edge). Missing values
    are a level of their own, ``"missing"``, last."""
    present = values.dropna()
    missing = ["missing"] if len(present) < len(values) else []
    if present.nunique() <= 12:
        levels = values.astype(object).where(values.notna(), "missing") if missing else values
        return levels, sorted(present.unique()) + missing
    edges = np.unique(np.quantile(present.to_numpy(float), np.linspace(0, 1, bins + 1)))
    labels = _edge_labels(edges)
    levels = pd.cut(values, edges, labels=labels, include_lowest=True).astype(object)
    return levels.where(values.notna(), "missing"), labels + missing


def rates_by_factor(df: pd.DataFrame, parameters: list[str], confidence: float = 0.95,
                    bins: int = 4, policies: list[str] | None = None) -> pd.DataFrame:
    """Rates (as :func:`rates`, over the runs that did not fail) by policy and level of each
    parameter in turn: columns ``parameter`` and ``level`` (see :func:`factor_levels`:
    continuous factors in ``bins`` quantile bins of the runs that did not fail), rows in the
    order of ``policies`` (default: as they first appear), then of the levels."""
    df = df[df["status"] == "ok"] if "status" in df else df
    policies = list(policies or dict.fromkeys(df["policy"]))
    policy_rank = {v: i for i, v in enumerate(policies)}
    frames = []
    for p in parameters:
        levels, order = factor_levels(df[p], bins)
        r = rates(df.assign(**{p: levels}), ["policy", p], confidence)
        rank = {v: i for i, v in enumerate(order)}
        r = r.iloc[np.lexsort((r[p].map(rank).to_numpy(), r["policy"].map(policy_rank)))]
        frames.append(r.rename(columns={p: "level"}).assign(parameter=p))
    return pd.concat(frames, ignore_index=True)


def policy_differences(df: pd.DataFrame, confidence: float = 0.95,
                       by: list[str] | None = None) -> pd.DataFrame:
    """Paired differences between policies (second minus first, in the experiment's order),
    on runs paired by (point, replication) — the same seed and parameters; a pair with a failed
    run is left out. With ``by``, separately per group of those columns."""
    df = df[df["status"] == "ok"]
    policies = list(dict.fromkeys(df["policy"]))
    by = list(by or [])
    c = columns(df)
    rows = []
    for key, positions in _groups(df, by, sort=True):
        g = df.iloc[positions]
        # each policy's positions into df, indexed by (point, replication)
        wide = {p: pd.Series(positions[(g.policy == p).to_numpy()],
                             index=pd.MultiIndex.from_frame(g.loc[g.policy == p,
                                                                  ["point", "replication"]]))
                for p in policies}
        for first, second in combinations(policies, 2):
            common = wide[first].index.intersection(wide[second].index)
            if len(common) < 2:
                continue
            diffs = paired_metrics(_take(c, wide[first].loc[common].to_numpy()),
                                   _take(c, wide[second].loc[common].to_numpy()), confidence)
            rows += [{**dict(zip(by, key, strict=True)), "first": first, "second": second,
                      "metric": metric, "pairs": len(common), **d}
                     for metric, d in diffs.items()]
    return pd.DataFrame(rows)


def _point_values(df: pd.DataFrame, outcome: str, policy: str | None) -> pd.Series:
    """``outcome`` of each successful run of one policy (the first by default), indexed by its
    point."""
    df = df[df["status"] == "ok"] if "status" in df else df
    policy = policy if policy is not None else df["policy"].iloc[0]
    g = df[df["policy"] == policy]
    if outcome in METRICS:
        values = _metric(g, outcome)
    elif outcome in g:
        values = g[outcome].to_numpy(float)
    else:
        raise KeyError(f"unknown outcome {outcome!r}; outcomes are {list(METRICS)}")
    return pd.Series(values, index=g["point"].to_numpy())


def point_means(df: pd.DataFrame, outcome: str, policy: str | None = None) -> pd.Series:
    """Mean of ``outcome`` (a key of :data:`METRICS` or a run column) per point, over its
    replications, for one policy (the first by default)."""
    return _point_values(df, outcome, policy).groupby(level=0).mean()


def run_noise(df: pd.DataFrame, outcome: str, policy: str | None = None,
              target: float = 0.2) -> dict[str, float] | None:
    """How much of the variance of the per-point means of ``outcome`` is run-to-run noise.

    Sobol and Morris indices are computed on per-point means over replications. With ``R``
    replications a point's mean carries noise of variance ``w / R``, where ``w`` is the mean
    variance between replications of one point; its share of the variance of the per-point
    means (``noise_share``) is variance the indices attribute to the parameters although no
    parameter causes it (it inflates the total indices and blurs the first-order ones). Also
    given: the replications that would bring the share down to ``target``, from the variance
    that is left once the noise is taken out (None: none is left). None when points have
    fewer than two replications.
    """
    v = _point_values(df, outcome, policy)
    per_point = v.groupby(level=0)
    reps = int(per_point.size().min()) if len(v) else 0
    if reps < 2:
        return None
    within = float(per_point.var(ddof=1).mean())
    means = per_point.mean()
    total = float(means.var(ddof=1))
    noise = within / reps
    signal = total - noise
    share = min(1.0, noise / total) if total > 0 else 0.0
    needed = (max(2, int(np.ceil(within * (1.0 - target) / (target * signal)))) if signal > 0
              else None)
    return {"replications": reps, "noise_share": share, "target": target,
            "replications_for_target": needed}


def _complete(y: pd.Series, points: int, what: str) -> np.ndarray:
    missing = sorted(set(range(points)) - set(y.index))
    if missing:
        raise ValueError(f"{what} needs every point; points {missing[:10]} have no successful "
                         f"run ({len(missing)} in all)")
    return y.sort_index().to_numpy(float)


def sobol_indices(results: Results, outcome: str = "mass_atrocity",
                  policy: str | None = None, confidence: float = 0.95,
                  seed: int = 0) -> pd.DataFrame:
    """First-order and total Sobol indices with bootstrap confidence intervals (SALib), of the
    per-point mean of ``outcome`` (needs a sweep with ``sampler.method = "sobol"``)."""
    from SALib.analyze import sobol

    m = results.manifest
    if m["sampler"]["method"] != "sobol":
        raise ValueError("Sobol indices need a sweep sampled with method = 'sobol'")
    y = _complete(point_means(results.runs, outcome, policy), m["points"], "Sobol analysis")
    # a Generator, not the int: SALib seeds its bootstrap only `if seed:`, so seed 0 would
    # draw from numpy's global state and the intervals would differ from call to call
    si = sobol.analyze(dict(m["problem"]), y, calc_second_order=m["sampler"]["second_order"],
                       conf_level=confidence, seed=np.random.default_rng(seed))
    return pd.DataFrame({"parameter": m["problem"]["names"], "S1": si["S1"],
                         "S1_conf": si["S1_conf"], "ST": si["ST"], "ST_conf": si["ST_conf"]})


def morris_indices(results: Results, root: str | Path, outcome: str = "mass_atrocity",
                   policy: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Morris elementary effects (mu*, sigma) of the per-point mean of ``outcome``."""
    from SALib.analyze import morris

    m = results.manifest
    design = pd.read_parquet(Path(root) / "design.parquet").sort_values("point")
    x = design[m["problem"]["names"]].to_numpy(float)
    y = _complete(point_means(results.runs, outcome, policy), m["points"], "Morris analysis")
    prob = {k: v for k, v in m["problem"].items() if k != "dists"}
    si = morris.analyze(prob, x, y, num_levels=m["sampler"]["levels"], seed=seed)
    return pd.DataFrame({"parameter": m["problem"]["names"], "mu_star": si["mu_star"],
                         "mu_star_conf": si["mu_star_conf"], "sigma": si["sigma"]})


def prim_box(df: pd.DataFrame, parameters: list[str], outcome: str = "mass_atrocity",
             policy: str | None = None, threshold: float = 0.5,
             mass_min: float = 0.05) -> dict[str, Any] | None:
    """Scenario discovery with PRIM (the ``prim`` package, Project-Platypus): the box of
    parameter values in which runs of ``policy`` most often have ``outcome`` (a 0/1 metric of
    :data:`METRICS`, e.g. ``mass_atrocity`` or ``stopped``).

    Returns the box limits (with PRIM's quasi-p value per restriction: a restriction with
    quasi-p > 0.05 may be noise), its coverage and density, and the peeling trajectory (the
    coverage–density trade-off), or None if no run or every run has the outcome. The box is
    PRIM's default choice, the last peel with at least ``mass_min`` of the runs; the trade-off
    figure shows the alternatives.
    """
    import prim

    df = df[df["status"] == "ok"]
    policy = policy if policy is not None else df["policy"].iloc[0]
    g = df[df["policy"] == policy]
    numeric = [p for p in parameters if pd.api.types.is_numeric_dtype(g[p])
               and g[p].nunique() > 1]
    if not numeric:
        return None
    y = _metric(g, outcome) > threshold
    if y.all() or not y.any():
        return None
    x = g[numeric].astype(float).reset_index(drop=True)
    p = prim.Prim(x, y, threshold=0.5, threshold_type=">", mass_min=mass_min)
    box = p.find_box()
    limits = box.limits.reset_index().rename(columns={"index": "parameter"})
    trajectory = box.peeling_trajectory.copy()
    chosen = box.stats   # the box PRIM chose on the trajectory (its default: the last peel)
    return {"outcome": outcome, "policy": policy, "runs": int(len(y)),
            "cases": int(y.sum()), "coverage": float(chosen["coverage"]),
            "density": float(chosen["density"]), "mass": float(chosen["mass"]),
            "limits": limits, "trajectory": trajectory}


# ---- figures ---------------------------------------------------------------------------------
def _save(fig, path: Path) -> list[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.text(0.01, 0.005, CAVEAT, fontsize=7, color="0.35")
    files = []
    for ext in ("png", "svg"):
        f = path.with_suffix(f".{ext}")
        fig.savefig(f, dpi=120)
        files.append(str(f))
    import matplotlib.pyplot as plt

    plt.close(fig)
    return files


def plot_stage_rates(by_policy: pd.DataFrame, path: str | Path) -> list[str]:
    """Bars of P(reach stage ≥ k), P(stopped at stage k) and P(mass atrocity) by policy, with
    Wilson intervals. ``by_policy`` is :func:`rates` grouped by ``policy``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outcomes = ["reach_stage_2", "reach_stage_3", "stopped_at_stage_2", "stopped_at_stage_3",
                "mass_atrocity"]
    policies = list(dict.fromkeys(by_policy["policy"]))
    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(1, len(policies))
    for i, pol in enumerate(policies):
        r = by_policy[by_policy.policy == pol].set_index("outcome").loc[outcomes]
        xs = np.arange(len(outcomes)) + i * width
        ax.bar(xs, r["p"], width, label=pol,
               yerr=[r["p"] - r["low"], r["high"] - r["p"]], capsize=2)
    ax.set_xticks(np.arange(len(outcomes)) + width * (len(policies) - 1) / 2,
                  ["reach ≥ 2", "reach 3", "stopped at 2", "stopped at 3", "mass atrocity"])
    ax.set_ylabel("share of runs (95 % Wilson CI)")
    ax.set_ylim(0, 1)
    ax.legend(title="policy", fontsize=8)
    ax.set_title("Stage reached and stopped, by policy")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, Path(path))


def plot_response_surface(df: pd.DataFrame, x: str, y: str, path: str | Path,
                          outcome: str = "mass_atrocity", policy: str | None = None,
                          bins: int = 6) -> list[str]:
    """Mean of ``outcome`` over two factors: their levels on a grid, else ``bins`` × ``bins``
    equal-width bins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    df = df[df["status"] == "ok"]
    policy = policy if policy is not None else df["policy"].iloc[0]
    g = df[df["policy"] == policy].copy()
    g["_v"] = _metric(g, outcome)
    for c in (x, y):
        if g[c].nunique() > bins:
            g[c] = pd.cut(g[c], bins).apply(lambda iv: round(iv.mid, 3)).astype(float)
    table = g.pivot_table(index=y, columns=x, values="_v", aggfunc="mean")
    fig, ax = plt.subplots(figsize=(6, 4.8))
    im = ax.imshow(table.to_numpy(float), origin="lower", aspect="auto", vmin=0,
                   vmax=1 if outcome in ("mass_atrocity", "reach_stage_2", "reach_stage_3",
                                         "stopped", "recurrence") else None, cmap="viridis")
    ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
    ax.set_yticks(range(table.shape[0]), [f"{v:g}" for v in table.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    fig.colorbar(im, ax=ax, label=f"mean {outcome}")
    ax.set_title(f"{outcome} by {x.split('.')[-1]} and {y.split('.')[-1]} ({policy})",
                 fontsize=9)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, Path(path))


def plot_sobol(indices: pd.DataFrame, path: str | Path, outcome: str = "") -> list[str]:
    """Bars of first-order and total Sobol indices with their confidence intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(indices)
    fig, ax = plt.subplots(figsize=(max(5, 1.2 * n + 2), 4.5))
    xs = np.arange(n)
    ax.bar(xs - 0.2, indices["S1"], 0.4, yerr=indices["S1_conf"], capsize=3,
           label="first order S1")
    ax.bar(xs + 0.2, indices["ST"], 0.4, yerr=indices["ST_conf"], capsize=3, label="total ST")
    ax.set_xticks(xs, [p.split(".")[-1] if len(p) > 18 else p for p in indices["parameter"]],
                  rotation=20, ha="right", fontsize=8)
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_ylabel("Sobol index (95 % bootstrap CI)")
    ax.set_title(f"Sobol indices of {outcome}" if outcome else "Sobol indices")
    ax.legend(fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, Path(path))


def plot_prim_tradeoff(box: dict[str, Any], path: str | Path) -> list[str]:
    """PRIM's peeling trajectory: coverage against density, coloured by restricted
    dimensions; the chosen box is circled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = box["trajectory"]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    sc = ax.scatter(t["coverage"], t["density"], c=t["res dim"], cmap="viridis", s=18)
    ax.scatter([box["coverage"]], [box["density"]], s=120, facecolors="none",
               edgecolors="red", label="chosen box")
    fig.colorbar(sc, ax=ax, label="restricted dimensions")
    ax.set_xlabel("coverage (share of cases inside the box)")
    ax.set_ylabel("density (share of the box that are cases)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title(f"PRIM trade-off: {box['outcome']} ({box['policy']})", fontsize=9)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    return _save(fig, Path(path))


# ---- the whole report ------------------------------------------------------------------------
def _records_json(df: pd.DataFrame) -> list[dict]:
    return json.loads(df.to_json(orient="records"))


def analyze(root: str | Path, out: str | Path | None = None,
            confidence: float = 0.95) -> dict[str, Any]:
    """Analyze a sweep directory; write CSV tables and figures to ``out`` (default
    ``ROOT/analysis``) and return the report (JSON-ready)."""
    root = Path(root)
    res = load(root)
    out = Path(out) if out is not None else root / "analysis"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(str(out), [("", f"cannot create directory: {e.strerror}")]) from None
    m = res.manifest
    if not len(res.ok):
        first = res.failed.iloc[0]
        raise InputError(str(root), [("", (
            f"all {len(res.runs)} runs failed, nothing to analyze (run {first['run']}: "
            f"{first['error']}); 'escalation-sim sweep' lists the failures"))])
    params = res.parameters
    files: dict[str, Any] = {}
    report: dict[str, Any] = {
        "experiment": m["experiment"]["name"], "runs": len(res.runs), "total_runs":
        m["total_runs"], "failed": len(res.failed), "complete": len(res.runs) == m["total_runs"],
        "confidence": confidence, "policies": m["policies"], "parameters": params,
        "posterior": m.get("posterior")}
    by_policy = rates(res.runs, ["policy"], confidence)
    by_policy.to_csv(out / "rates_by_policy.csv", index=False)
    report["rates_by_policy"] = _records_json(by_policy)
    files["rates_by_policy"] = str(out / "rates_by_policy.csv")
    files["stage_rates"] = plot_stage_rates(by_policy, out / "stage_rates")
    numeric = [p for p in params if pd.api.types.is_numeric_dtype(res.ok[p])]
    factors = [p for p in params if p in numeric or res.ok[p].nunique() <= 12]
    if factors and len(res.ok):
        by_factor = rates_by_factor(res.runs, factors, confidence, policies=m["policies"])
        by_factor.to_csv(out / "rates_by_factor.csv", index=False)
        files["rates_by_factor"] = str(out / "rates_by_factor.csv")
        report["rates_by_factor"] = _records_json(by_factor)
    if len(m["policies"]) > 1:
        diffs = policy_differences(res.runs, confidence)
        diffs.to_csv(out / "policy_differences.csv", index=False)
        files["policy_differences"] = str(out / "policy_differences.csv")
        report["policy_differences"] = _records_json(diffs)
        if "scenario" in params:
            by_scenario = policy_differences(res.runs, confidence, by=["scenario"])
            by_scenario.to_csv(out / "policy_differences_by_scenario.csv", index=False)
            files["policy_differences_by_scenario"] = str(
                out / "policy_differences_by_scenario.csv")
            report["policy_differences_by_scenario"] = _records_json(by_scenario)
    if len(numeric) >= 2:
        files["response_surface"] = plot_response_surface(
            res.runs, numeric[0], numeric[1], out / "response_surface")
    method = m["sampler"]["method"]
    if method in ("sobol", "morris") and report["complete"]:
        report["sensitivity"] = {}
        for outcome in ("mass_atrocity", "reach_stage_3", "deaths"):
            try:
                if method == "sobol":
                    si = sobol_indices(res, outcome, confidence=confidence)
                    files[f"sobol_{outcome}"] = plot_sobol(si, out / f"sobol_{outcome}", outcome)
                else:
                    si = morris_indices(res, root, outcome)
            except ValueError as e:
                report["sensitivity"][outcome] = {"error": str(e)}
                continue
            si.to_csv(out / f"{method}_{outcome}.csv", index=False)
            report["sensitivity"][outcome] = _records_json(si)
            report.setdefault("sensitivity_noise", {})[outcome] = run_noise(res.runs, outcome)
    if numeric:
        report["prim"] = {}
        for outcome in ("mass_atrocity", "stopped"):
            box = prim_box(res.runs, numeric, outcome)
            if box is None:
                report["prim"][outcome] = None
                continue
            box["limits"].to_csv(out / f"prim_{outcome}.csv", index=False)
            files[f"prim_{outcome}"] = plot_prim_tradeoff(box, out / f"prim_{outcome}")
            report["prim"][outcome] = {**{k: v for k, v in box.items()
                                          if k not in ("limits", "trajectory")},
                                       "limits": _records_json(box["limits"])}
    report["files"] = files
    report["caveat"] = CAVEAT
    write_bytes_atomic(out / "report.json", json_text(report).encode())
    return report


POSTERIOR_NOTE = ("Each replication drew one parameter set of {} (the same at every point "
                  "and policy; the runs' posterior_row): the intervals cover parameter and run "
                  "uncertainty together (analyze does not yet say which is which).")


def format_report(report: dict[str, Any]) -> str:
    """The report as plain text."""
    pct = int(round(report["confidence"] * 100))
    lines = [f"Experiment {report['experiment']!r}: {report['runs']}/{report['total_runs']} "
             f"runs, {report['failed']} failed"
             + ("" if report["complete"] else " (INCOMPLETE: resume the sweep)"), "",
             f"Rates by policy ({pct}% Wilson CI; failed runs left out):"]
    if report.get("posterior"):
        lines[1:1] = ["", POSTERIOR_NOTE.format(report["posterior"]["file"])]
    lines.append(f"  {'policy':<16}{'outcome':<22}{'rate':>7}   CI")
    for r in report["rates_by_policy"]:
        lines.append(f"  {r['policy']:<16}{r['outcome']:<22}{r['p']:>7.1%}   "
                     f"[{r['low']:.1%}, {r['high']:.1%}]  {r['count']}/{r['n']}")
    if "policy_differences" in report:
        lines += ["", f"Paired policy differences (second − first), {pct}% CI:"]
        for r in report["policy_differences"]:
            if r["metric"] not in ("mass_atrocity", "reach_stage_3", "stopped", "deaths"):
                continue
            fmt = "{:+.0f}" if r["metric"] == "deaths" else "{:+.1%}"
            pair = f"{r['second']} − {r['first']}"
            lines.append(f"  {pair:<32} {r['metric']:<15}"
                         f"{fmt.format(r['difference']):>8}  [{fmt.format(r['paired_low'])}, "
                         f"{fmt.format(r['paired_high'])}]  ({r['pairs']} pairs)")
    factor_rows = [r for r in report.get("rates_by_factor", [])
                   if r["outcome"] == "mass_atrocity" and r["policy"] == report["policies"][0]]
    if factor_rows:
        lines += ["", f"P(mass atrocity) by factor level, policy {report['policies'][0]} "
                  f"(continuous factors in quartile bins; {pct}% Wilson CI; all rates: "
                  "rates_by_factor.csv):"]
        width = max(len(str(r["level"])) for r in factor_rows) + 1
        for r in factor_rows:
            lines.append(f"  {r['parameter']:<48} {str(r['level']):<{width}}{r['p']:>7.1%}   "
                         f"[{r['low']:.1%}, {r['high']:.1%}]  {r['count']}/{r['n']}")
    for outcome, si in (report.get("sensitivity") or {}).items():
        lines += ["", f"Sensitivity of {outcome}:"]
        if isinstance(si, dict):
            lines.append(f"  {si['error']}")
            continue
        noise = (report.get("sensitivity_noise") or {}).get(outcome)
        if noise is not None and noise["noise_share"] > noise["target"]:
            more = (f"about {noise['replications_for_target']} replications would bring it "
                    f"under {noise['target']:.0%}" if noise["replications_for_target"]
                    else "no variance is left once the noise is taken out")
            lines.append(f"  CAUTION: run noise is {noise['noise_share']:.0%} of the variance "
                         f"of the per-point means ({noise['replications']} replications), and "
                         f"the indices count it as the parameters' effect; {more}")
        for r in si:
            if "S1" in r:
                lines.append(f"  {r['parameter']:<48} S1 {r['S1']:+.2f} ± {r['S1_conf']:.2f}"
                             f"   ST {r['ST']:+.2f} ± {r['ST_conf']:.2f}")
            else:
                lines.append(f"  {r['parameter']:<48} mu* {r['mu_star']:.3f} ± "
                             f"{r['mu_star_conf']:.3f}   sigma {r['sigma']:.3f}")
    for outcome, box in (report.get("prim") or {}).items():
        lines += ["", f"PRIM box for {outcome}:"]
        if box is None:
            lines.append("  none (no run, or every run, has this outcome)")
            continue
        lines.append(f"  coverage {box['coverage']:.0%}, density {box['density']:.0%}, "
                     f"mass {box['mass']:.0%} ({box['cases']} of {box['runs']} runs, "
                     f"policy {box['policy']})")
        for r in box["limits"]:
            qp = r["qp values"]
            flag = "  (not significant: quasi-p > 0.05)" if qp > 0.05 else ""
            lines.append(f"  {r['parameter']:<48} {r['min']:.3g} … {r['max']:.3g}   "
                         f"quasi-p {qp:.2g}{flag}")
    lines += ["", "Files:"]
    for k, v in report["files"].items():
        lines.append(f"  {k}: {v if isinstance(v, str) else ', '.join(v)}")
    lines.append(CAVEAT)
    return "\n".join(lines)
