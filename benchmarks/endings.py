"""Exploration of how mass-killing episodes end (issue 12, part 5b): runs and tables.

    uv run python benchmarks/endings.py run OUT.json SCENARIO RUNS [--set PATH=VALUE ...]
        [--reuse OFF.json]
    uv run python benchmarks/endings.py table OFF.json [VARIANT.json ...]
    uv run python benchmarks/endings.py trace SCENARIO SEED [--set PATH=VALUE ...]
    uv run python benchmarks/endings.py phases SCENARIO RUNS [--set PATH=VALUE ...]

``run`` steps seeds 0..RUNS-1 and stores each run's episodes (perpetrator, onset, end), highest
stage, deaths, coups and settlements. ``table`` prints one Markdown row per file: runs with an
onset, episodes (first and later), how many ended, the quartiles of their duration by
Kaplan-Meier (ongoing episodes censored at the horizon), runs with a recurrence (an onset after
an episode ended), P(stage >= 2), P(stage 3), deaths; and, for every file after the first, the
paired differences against the first (same seeds), with normal 95 % intervals. ``trace``
prints one run's year ends: each perpetrator's twelve-month count of noncombatants killed, the
regime's complicity and threat, the hate speech against the most targeted group, coups so far,
each perpetrator's exhaustion and the episodes (the diagnosis of the plateau in the README).
``phases`` prints the country's mean state before, at and after the state's first episode
(the diagnosis of rare recurrence in the README).
"""

from __future__ import annotations

import json
import sys

import numpy as np

from escalation_sim.model import EscalationModel
from escalation_sim.outcomes import RunOutcome
from escalation_sim.scenario import load_scenario


def run(out: str, name: str, runs: int, sets: list[str], reuse: str | None = None) -> None:
    """Run seeds 0..runs-1; with ``reuse`` (a file of the same scenario and months without
    the variant), copy the rows of its runs that had no onset and run only the others: for
    campaign exhaustion alone, which leaves a run bit-identical until its first onset
    (tests/test_submodels.py), this gives the same file in a fraction of the time."""
    sc = load_scenario(name, sets)
    old = None
    if reuse:
        with open(reuse) as f:
            old = json.load(f)
        assert old["scenario"] == name and old["months"] == sc.run.months
        assert len(old["rows"]) >= runs
    rows = []
    for seed in range(runs):
        if old is not None and not old["rows"][seed]["episodes"]:
            rows.append(old["rows"][seed])
            continue
        m = EscalationModel(sc, seed)
        while m.steps < sc.run.months:
            m.step()
        o = RunOutcome.from_model(m)
        coups = [e for e in m.events_log if e.kind == "coup"]
        rows.append(dict(
            seed=seed, stage=o.highest_stage, deaths=o.deaths, nonc=o.deaths_noncombatant,
            episodes=[(e.perpetrator, e.onset, e.end) for e in m.violence.episodes],
            coups=len(coups), reform=sum("turns against" in e.text for e in coups),
            settle=sum(e.kind == "settlement" for e in m.events_log)))
    with open(out, "w") as f:
        json.dump(dict(scenario=name, sets=sets, months=sc.run.months, rows=rows,
                       reused=reuse), f)


def kaplan_meier(durations: list[int], ended: list[bool]) -> list[tuple[int, float]]:
    """Survival after each duration, in order (ties: ends before censorings)."""
    order = sorted(range(len(durations)), key=lambda i: (durations[i], not ended[i]))
    s, n, curve = 1.0, len(order), []
    for k, i in enumerate(order):
        if ended[i]:
            s *= 1 - 1 / (n - k)
        curve.append((durations[i], s))
    return curve


def interval(a: np.ndarray, fmt: str) -> str:
    half = 1.96 * a.std(ddof=1) / np.sqrt(a.size)
    return f"{a.mean():{fmt}} [{a.mean() - half:{fmt}}, {a.mean() + half:{fmt}}]"


def quantile(curve: list[tuple[int, float]], q: float) -> str:
    """The Kaplan-Meier ``q`` quantile of duration: the first time survival is at most 1 - q
    ("> T" if it never falls that far within the longest observed duration T)."""
    return next((str(t) for t, s in curve if s <= 1 - q), f"> {max(t for t, _ in curve)}")


def rates(rows: list[dict], horizon: int) -> tuple[str, str]:
    """Onsets per run-year as the record counts them per country-year: first onsets per year
    before any episode, and onsets per year after an episode ended with none ongoing (the
    record's ``first_onset_rate`` and ``onset_rate_after_episode``, ``record targets``)."""
    first = after = 0
    years_first = years_after = 0.0
    for r in rows:
        eps = sorted(r["episodes"], key=lambda e: e[1])
        t0 = eps[0][1] if eps else horizon
        years_first += t0 / 12
        first += bool(eps)
        for e, nxt in zip(eps, [*eps[1:], None], strict=False):
            if e[2] is None:
                break
            stop = nxt[1] if nxt else horizon
            years_after += (stop - e[2]) / 12
            after += nxt is not None
    return (f"{first / years_first:.2%} ({first}/{years_first:.0f})",
            f"{after / years_after:.2%} ({after}/{years_after:.0f})" if years_after else "-")


def table(files: list[str]) -> None:
    print("| scenario | variant | months | runs | runs with an onset | episodes | ended | "
          "duration, months (KM: Q1, median, Q3) | runs with a recurrence | first onsets "
          "/ run-year | onsets / run-year after an episode | P(stage >= 2) | P(stage 3) | "
          "deaths |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    data = []
    for path in files:
        with open(path) as f:
            d = json.load(f)
        data.append(d)
        rows, horizon = d["rows"], d["months"]
        episodes = [e for r in rows for e in r["episodes"]]
        spread = "-"
        if episodes:   # every episode, censored at the horizon if ongoing
            curve = kaplan_meier([(e[2] if e[2] is not None else horizon) - e[1]
                                  for e in episodes], [e[2] is not None for e in episodes])
            spread = ", ".join(quantile(curve, q) for q in (0.25, 0.5, 0.75))
        recur = sum(any(e[1] > min(ends) for e in r["episodes"])
                    for r in rows if (ends := [e[2] for e in r["episodes"] if e[2] is not None]))
        first, after = rates(rows, horizon)
        n = len(rows)
        variant = " ".join(s.split(".", 1)[-1] for s in d["sets"]
                           if not s.startswith("run.months")) or "off"
        print(f"| {d['scenario']} | {variant} | {horizon} | {n} | "
              f"{sum(bool(r['episodes']) for r in rows)} | {len(episodes)} | "
              f"{sum(e[2] is not None for e in episodes)} | {spread} | {recur} | "
              f"{first} | {after} | "
              f"{sum(r['stage'] >= 2 for r in rows) / n:.2f} | "
              f"{sum(r['stage'] >= 3 for r in rows) / n:.2f} | "
              f"{np.mean([r['deaths'] for r in rows]):,.0f} |")
    off = data[0]["rows"]
    for d in data[1:]:
        pairs = list(zip(d["rows"], off, strict=True))
        diff = {k: np.array([f(a) - f(b) for a, b in pairs], float) for k, f in (
            ("deaths", lambda r: r["deaths"]), ("stage >= 2", lambda r: r["stage"] >= 2),
            ("stage 3", lambda r: r["stage"] >= 3), ("onset", lambda r: bool(r["episodes"])))}
        variant = " ".join(s.split(".", 1)[-1] for s in d["sets"]
                           if not s.startswith("run.months")) or "off"
        print(f"paired vs first, {d['scenario']} {variant}: deaths "
              f"{interval(diff.pop('deaths'), '+,.0f')}; "
              + "; ".join(f"P({k}) {interval(v, '+.3f')}" for k, v in diff.items()))


def trace(name: str, seed: int, sets: list[str]) -> None:
    sc = load_scenario(name, sets)
    m = EscalationModel(sc, seed)
    v = m.violence
    print(f"{name}, seed {seed}: perpetrators {', '.join(v.perpetrators)}")
    while m.steps < sc.run.months:
        m.step()
        if m.steps % 12 == 0:
            counts = " ".join(f"{c:6,.0f}" for c in v._window.sum(axis=0))
            coups = sum(e.kind == "coup" for e in m.events_log)
            print(f"month {m.steps:3d}: 12-month counts {counts} | complicity "
                  f"{m.government.complicity:.2f} threat {m.government.threat:.3f} hate "
                  f"{m.information.hate.max():.2f} coups {coups} | exhaustion "
                  f"{' '.join(f'{e:,.0f}' for e in v.exhaustion)} | episodes "
                  f"{[(e.onset, e.end) for e in v.episodes]}")


PHASES = {"onset - 24": lambda on, end: on - 24, "onset": lambda on, end: on,
          "end": lambda on, end: end, "end + 36": lambda on, end: end + 36,
          "end + 120": lambda on, end: end + 120}


def phases(name: str, runs: int, sets: list[str]) -> None:
    """The diagnosis of recurrence: over the runs whose first episode (by the state's forces)
    ends, the mean state of the country two years before the onset, at the onset, at the end
    and three and ten years after it — the state's twelve-month count, the share of its
    killings exhaustion lets through, the regime's threat and complicity, and for the most
    targeted group its hate speech, grievance, fear, share mobilized, war-weariness, memory of
    atrocity and victimization, with the armed groups' members (people) and impunity."""
    sc = load_scenario(name, sets)
    keys = ("count", "restraint", "threat", "complicity", "hate", "grievance", "fear",
            "mobilized", "weariness", *(a.name for a in sc.armed_groups), "impunity", "memory",
            "victimization")
    found = []
    for seed in range(runs):
        m = EscalationModel(sc, seed)
        v = m.violence
        target = int(np.argmax(m.leaders[m.government.ruling].excludes))  # the state's target
        g = m.groups[target]
        snaps = []
        while m.steps < sc.run.months:
            m.step()
            # the campaign's resolve (the code before per-campaign resolve: exhaustion_half)
            half = getattr(v, "resolve", [sc.violence.exhaustion_half])[0]
            snaps.append((float(v._window[:, 0].sum()),
                          half / (half + v.exhaustion[0]) if v.exhaustion[0] else 1.0,
                          m.government.threat, m.government.complicity,
                          float(m.information.hate[target]), g.mean_grievance, g.mean_fear,
                          g.mobilized_share, float(m.mobilization.weariness[target]),
                          *(a.strength * m.params.people_per_civilian for a in m.armed_groups),
                          m.institutions.impunity, float(m.history.memory[target]),
                          float(v.victimization[:, target].mean())))
        eps = [e for e in v.episodes if e.perpetrator == v.perpetrators[0]]
        if eps and eps[0].end is not None:
            found.append({k: snaps[t - 1] for k, f in PHASES.items()
                          if 0 < (t := f(eps[0].onset, eps[0].end)) <= sc.run.months})
    print(f"{name} {' '.join(sets)}: {len(found)} of {runs} runs with an ended first "
          "episode by the state's forces (means)")
    print("| when | runs | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for k in PHASES:
        have = np.array([r[k] for r in found if k in r])
        if have.size:
            print(f"| {k} | {len(have)} | "
                  + " | ".join(f"{x:,.3g}" for x in have.mean(axis=0)) + " |")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        args = sys.argv[5:]
        reuse = args[args.index("--reuse") + 1] if "--reuse" in args else None
        sets = [a for i, a in enumerate(args)
                if a not in ("--set", "--reuse") and (i == 0 or args[i - 1] != "--reuse")]
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]), sets, reuse)
    elif sys.argv[1] == "phases":
        phases(sys.argv[2], int(sys.argv[3]), [a for a in sys.argv[4:] if a != "--set"])
    elif sys.argv[1] == "trace":
        trace(sys.argv[2], int(sys.argv[3]), [a for a in sys.argv[4:] if a != "--set"])
    else:
        table(sys.argv[2:])
