"""The batched engine's gates: a step of R runs at once, against R steps, byte for byte.

    uv run python benchmarks/batch_gate.py [--step STEP] [--runs 100]
        [--rows 20] [--months 24] [--mixed] [--output F]

``docs/batched-engine.md`` plans a forecast engine that steps runs together as arrays with a
leading run axis. Before a step joins the engine (``escalation_sim/batch.py``), its gate here
computes it for R runs at once from copies of what each run's own step read, and compares
everything it writes byte for byte. The mobilization step, the first gated, has joined the
engine (``MobilizationBatch``; ``tests/test_batch.py`` holds it to the model's runs, its
motive month by month included), and its gate is gone; so have the information step's
(``InformationBatch``, the leaders' step left to each run), the violence step's
(``ViolenceBatch``, the armed groups' step and the episodes' bookkeeping left to each run) and
the observation step's (``ObservationBatch``, each run's readings of its agents left to it).

It steps forecast-shaped runs of profile rows under parameter sets drawn from the shipped
posterior (``--mixed``: runs of ``coup_polarization`` that differ in fear of a coup regime and
counter-insurgency, to reach branches the profiles seldom do), each as usual. A hook copies
what each run's step reads just before it, and what it wrote just after; the batched function
then computes each month for all runs from the stacked copies; every array must equal the
runs' own byte for byte (else exit 1). Reported: the runs' own steps' time, the batched step's
at R runs and at one run a call, and the ratios. The batched time leaves out the copying and
stacking and the inputs other modules compute, which the engine computes in those modules.
The runs' own steps run inside their models, the batched ones right after their inputs were
stacked: the ratio flatters batching somewhat.

``--step institutions``, the one gate left, covers the institutions step, the government and
the brakes included (:func:`batched_institutions`). ``--mixed`` runs also have
repression in every fourth run, campaigns from 20 people killed in every fifth and episodes
from 40 in every seventh.
JSON to ``benchmarks/results/batch_gate.json``.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from escalation_sim.model import EscalationModel
from escalation_sim.numeric import relax
from escalation_sim.record.data import PREDICTORS_FILE, data_dir
from escalation_sim.record.posterior import (
    draw_seed,
    read_posterior,
    shipped_posterior,
    split,
)
from escalation_sim.record.profiles import profile_at, read_profiles
from escalation_sim.rng import run_seed
from escalation_sim.scenario import load_scenario


def clip01_rows(x: np.ndarray) -> np.ndarray:
    """:func:`~escalation_sim.numeric.clip01` elementwise (−0.0 stays −0.0, as there)."""
    return np.where(x < 0.0, 0.0, np.where(x > 1.0, 1.0, x))


@dataclass
class Step:
    """A step the gate checks: how to hook a run's own, what to compare, the batched one."""

    hook: object       # (model, log) -> None: record (inputs, outputs, seconds) a month
    written: tuple     # the names compared
    batched: object    # list of inputs -> dict of stacked outputs and "seconds"


def python_sum(parts: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Each row's ``sum()`` as CPython 3.12 computes it, from the integer 0: Neumaier's
    compensated sum over the Python floats until the first other number (a numpy float64;
    ``exact`` is False there), which gets the compensation added first, then plain additions.
    Equal to ``sum`` on 20,000 random mixed lists of 2 to 7 numbers (2026-12-06;
    tests/test_batch_gate.py checks 2,000). Python ints and bools, which CPython keeps on the
    compensated path, are not handled (no sum the gates reproduce has one)."""
    f = parts[:, 0] + 0.0
    c = np.zeros(len(parts))
    generic = ~exact[:, 0]
    for k in range(1, parts.shape[1]):
        x, float_path = parts[:, k], ~generic
        t = f + x
        neumaier = float_path & exact[:, k]
        c = np.where(neumaier, c + np.where(np.abs(f) >= np.abs(x), (f - t) + x,
                                            (x - t) + f), c)
        switch = float_path & ~exact[:, k]
        compensated = np.where((c != 0) & np.isfinite(c), f + c, f)
        f = np.where(neumaier, t, np.where(switch, compensated + x, f + x))
        generic = generic | switch
    return np.where(~generic & (c != 0) & np.isfinite(c), f + c, f)


@dataclass
class Regime:
    """What one run's institutions step reads (the government's and the brakes' steps
    included), copied before it."""

    government: dict     # the government's numbers
    brakes: np.ndarray   # (brakes, 5): capacity, integrity, base integrity, investment, external
    armed: np.ndarray    # (armed groups, 3): strength, multiplier, whether aimed at the regime
    exact: np.ndarray    # whether each armed group's strength x multiplier is a Python float
    scalars: dict
    params: dict


GOVERNMENT = ("complicity", "political_will", "coup_will_lost", "coup_complicity",
              "coup_strength", "threat", "pressure")
INSTITUTIONS = ("government", "capacity", "integrity", "impunity")


def hook_institutions(model: EscalationModel, log: list) -> None:
    """Record each month's institutions inputs, outputs and time."""
    inst, gov = model.institutions, model.government
    original = inst.step

    def state() -> np.ndarray:
        return np.array([getattr(gov, k) for k in GOVERNMENT])

    def hooked() -> None:
        ruling = gov.ruling
        p, q = model.params.government, model.params.institutions
        copied = Regime(
            government={k: getattr(gov, k) for k in (
                *GOVERNMENT, "base_complicity", "base_will", "initial_complicity",
                "coup_fade", "pressure_applied")},
            brakes=np.array([(b.capacity, b.integrity, b.base_integrity, b.investment,
                              b.external_investment) for b in model.brake_list]),
            armed=np.array([(a.strength, a.multiplier, bool(a.targets[ruling]))
                            for a in model.armed_groups], float).reshape(-1, 3),
            exact=np.array([type(a.strength * a.multiplier) is float
                            for a in model.armed_groups], bool),
            scalars={"extremism": model.leaders[ruling].extremism, "n": model.civilians.n,
                     "impunity": inst.impunity,
                     "judiciary": list(model.brakes).index("judiciary"),
                     "transitional_justice": list(model.brakes).index("transitional_justice")},
            params={**{k: getattr(p, k) for k in (
                "threat_scale", "regime_threat_response", "complicity_pressure",
                "complicity_rate", "will_pressure", "will_threat", "will_complicity",
                "will_rate")}, **{k: getattr(q, k) for k in (
                "growth_rate", "decay_rate", "capture_rate", "impunity_judiciary",
                "impunity_transitional_justice", "justice_delay")}})
        start = time.perf_counter()
        original()
        seconds = time.perf_counter() - start
        log.append((copied, {
            "government": state(),
            "capacity": np.array([b.capacity for b in model.brake_list]),
            "integrity": np.array([b.integrity for b in model.brake_list]),
            "impunity": np.array(inst.impunity)}, seconds))

    inst.step = hooked


def batched_institutions(runs: list[Regime]) -> dict[str, np.ndarray]:
    """One month's institutions step of every run in ``runs`` at once — the regime's threat,
    the government's complicity and will and its coups' fading legacy, each brake's capacity
    and integrity, impunity's lag — as the model computes it run by run (scalar rules on
    Python floats, in the same order)."""
    R = len(runs)
    col = {k: np.array([r.params[k] for r in runs]) for k in runs[0].params}
    g = {k: np.array([r.government[k] for r in runs]) for k in runs[0].government}
    s = {k: np.array([r.scalars[k] for r in runs]) for k in runs[0].scalars}
    brakes = np.stack([r.brakes for r in runs])
    armed = np.stack([r.armed for r in runs])
    exact = np.stack([r.exact for r in runs])
    rows = np.arange(R)
    start = time.perf_counter()

    # regime_threat: sum() over the armed groups aimed at the ruling group (a generator that
    # skips the others: they are left out of the sum, not added as zeros)
    aimed = armed[:, :, 2] > 0
    fielded = armed[:, :, 0] * armed[:, :, 1]
    order = np.argsort(~aimed, axis=1, kind="stable")   # the aimed ones first, in order
    n_aimed = aimed.sum(axis=1)
    total = np.zeros(R)
    if armed.shape[1]:
        parts = np.take_along_axis(fielded, order, axis=1)
        flags = np.take_along_axis(exact, order, axis=1)
        for k in range(1, armed.shape[1] + 1):   # the sum of the first k, where k are aimed
            total = np.where(n_aimed == k, python_sum(parts[:, :k], flags[:, :k]), total)
    threat = np.minimum(1.0, total / (col["threat_scale"] * s["n"]))
    extremism = s["extremism"]
    pressure = g["pressure_applied"]
    target = (g["base_complicity"] + g["coup_complicity"]
              + col["regime_threat_response"] * threat * extremism
              - col["complicity_pressure"] * pressure)
    complicity = relax(g["complicity"], clip01_rows(target), col["complicity_rate"])
    will = (g["base_will"] * (1.0 - g["coup_will_lost"]) + col["will_pressure"] * pressure
            + col["will_threat"] * threat * (1.0 - extremism)
            - col["will_complicity"] * (complicity - g["initial_complicity"]))
    political_will = relax(g["political_will"], clip01_rows(will), col["will_rate"])
    fade = g["coup_fade"]
    government = np.stack([complicity, political_will, g["coup_will_lost"] * fade,
                           g["coup_complicity"] * fade, g["coup_strength"] * fade, threat,
                           pressure], axis=1)
    # each brake: capacity towards what investment sustains; integrity captured by complicity
    capacity, integrity, base, investment, external = (brakes[:, :, i] for i in range(5))
    level = clip01_rows(investment + external)
    rate = np.where(level > capacity, col["growth_rate"][:, None], col["decay_rate"][:, None])
    capacity = relax(capacity, level, rate)
    captured = base * (1.0 - np.where(complicity - g["initial_complicity"] > 0.0,
                                      complicity - g["initial_complicity"], 0.0))[:, None]
    integrity = relax(integrity, captured, col["capture_rate"][:, None])
    strength = capacity * integrity
    judiciary = strength[rows, s["judiciary"]]
    justice = strength[rows, s["transitional_justice"]]
    target = 1.0 - (col["impunity_judiciary"] * judiciary
                    + col["impunity_transitional_justice"] * justice)
    impunity = s["impunity"] + (target - s["impunity"]) / col["justice_delay"]
    seconds = time.perf_counter() - start
    return {"government": government, "capacity": capacity, "integrity": integrity,
            "impunity": impunity, "seconds": seconds}


STEPS = {"institutions": Step(hook_institutions, INSTITUTIONS, batched_institutions)}


def forecast_scenarios(runs: int, rows: int, seed: int = 0, sample: int | None = None,
                       months: int = 24, timings: dict | None = None) -> tuple[list, list[int]]:
    """``runs`` forecast-shaped runs (``months``, 1,000 civilians) of ``rows`` rows of the
    shipped predictors file (a sample seeded ``sample``, else ``seed``), run ``i`` on row
    ``i % rows`` under the parameter set it draws from the shipped posterior, as ``forecast``
    draws them: their scenarios and seeds (``tests/test_batch.py`` and ``bench_batch.py``
    step such runs too). ``timings``, a dict, gets the seconds the builds took under
    ``"scenario"``."""
    table = read_profiles(data_dir() / PREDICTORS_FILE)
    posterior = read_posterior(shipped_posterior())
    picked = np.random.default_rng(seed if sample is None else sample).choice(
        np.arange(1, len(table) + 1), rows, replace=False)
    scenarios = []
    start = time.perf_counter()
    for i in range(runs):
        links, overrides = split(posterior.parameters(posterior.draw(draw_seed(seed, i))))
        scenarios.append(profile_at(table, int(picked[i % rows]), links, months, 1000,
                                    overrides).scenario)
    if timings is not None:
        timings["scenario"] = time.perf_counter() - start
    return scenarios, [run_seed(seed, i) for i in range(runs)]


def mixed_scenario(i: int, months: int = 24):
    """Run ``i`` of the mixed batch: ``coup_polarization`` at 1,000 civilians with fear of a
    coup regime in every other run, counter-insurgency in every third, repression in every
    fourth, campaigns (hence exhaustion) from 20 people killed in a year in every fifth, of
    which every other does not tire (``exhaustion_half`` 0), episodes from 40 in every
    seventh, and a peer weight whose complement is not exact in float32 in every other
    (``tests/test_batch.py`` steps the same runs)."""
    untired = ["violence.exhaustion_half=0.0"] if i % 10 == 5 else []
    return load_scenario("coup_polarization", [*untired,
        "run.n_civilians=1000", f"run.months={months}",
        f"mobilization.fear_coup={i % 2}",
        f"violence.counterinsurgency={0.2 if i % 3 == 0 else 0.0}",
        f"violence.repression={0.5 if i % 4 == 0 else 0.0}",
        f"violence.exhaustion_start={20.0 if i % 5 == 0 else 1000.0}",
        f"violence.exhaustion_stop={10.0 if i % 5 == 0 else 100.0}",
        f"outcomes.onset_deaths={40.0 if i % 7 == 0 else 1000.0}",
        f"outcomes.episode_end_deaths={20.0 if i % 7 == 0 else 100.0}",
        f"information.peer_weight={0.6 if i % 2 else 0.5}"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--step", choices=sorted(STEPS), default="institutions",
                        help="institutions (government and brakes included)")
    parser.add_argument("--mixed", action="store_true",
                        help="runs of coup_polarization, fear of a coup regime 1 in every "
                             "other run, counter-insurgency 0.2 in every third, repression 0.5 "
                             "in every fourth, campaigns from 20 people killed in every fifth "
                             "(every other of them untiring), episodes from 40 in every "
                             "seventh, peer weight 0.6 in every other")
    parser.add_argument("--output", type=Path,
                        default=Path("benchmarks/results/batch_gate.json"))
    a = parser.parse_args()
    gate = STEPS[a.step]
    scenarios = ([mixed_scenario(i, a.months) for i in range(a.runs)] if a.mixed
                 else forecast_scenarios(a.runs, a.rows, a.seed, months=a.months)[0])
    models, seen = [], []
    for i, scenario in enumerate(scenarios):
        model = EscalationModel(scenario, run_seed(a.seed, i))
        log: list = []
        gate.hook(model, log)
        models.append(model)
        seen.append(log)
    load = os.getloadavg()
    for model in models:
        model.run()
    own = batched = single = 0.0
    mismatches = []
    reached: dict[str, int] = {}
    for month in range(a.months):
        entries = [log[month] for log in seen]
        own += sum(e[2] for e in entries)
        alone = copy.deepcopy([e[0] for e in entries])   # fresh streams for the single calls
        out = gate.batched([e[0] for e in entries])
        batched += out["seconds"]
        single += sum(gate.batched([e])["seconds"] for e in alone)
        for name in gate.written:
            has = [r for r, e in enumerate(entries) if name in e[1]]
            if not has:
                continue
            if name not in out:   # the runs wrote it and the batch did not
                mismatches.append((month + 1, name, "missing", len(has), has))
                continue
            expected = np.stack([entries[r][1][name] for r in has])
            got = out[name][has]
            if expected.dtype != got.dtype or expected.tobytes() != got.tobytes():
                differ = expected != got
                mismatches.append((month + 1, name, str(got.dtype), int(differ.sum()),
                                   sorted({has[int(r)] for r in np.nonzero(differ)[0]})))
        for b, w, _ in entries:   # run-months that reached each branch of the step
            for branch, hit in branches(a.step, b, w).items():
                reached[branch] = reached.get(branch, 0) + bool(hit)
    # the mixed batch exists to reach every branch: one it no longer reaches fails the gate
    unreached = sorted(b for b, n in reached.items()
                       if n == 0 and a.mixed and b not in NOT_REACHED)
    if unreached:
        mismatches.append(("branches not reached", unreached))
    run_months = a.runs * a.months
    result = {"step": a.step, "runs": a.runs, "months": a.months, "rows": a.rows,
              "mixed": a.mixed, "seed": a.seed, "own_seconds": own, "batched_seconds": batched,
              "batched_one_run_a_call_seconds": single,
              "own_per_run_month_us": own / run_months * 1e6,
              "batched_per_run_month_us": batched / run_months * 1e6,
              "batched_one_run_a_call_per_run_month_us": single / run_months * 1e6,
              "ratio": own / batched, "ratio_to_one_run_a_call": single / batched,
              "identical": not mismatches, "mismatches": mismatches[:20],
              "run_months_reaching": reached, "load_average": [load, os.getloadavg()]}
    a.output.parent.mkdir(parents=True, exist_ok=True)
    a.output.write_text(json.dumps(result, indent=2))
    print(f"{a.step} step, {a.runs} runs x {a.months} months: own "
          f"{result['own_per_run_month_us']:.1f} us a run-month, batched "
          f"{result['batched_per_run_month_us']:.1f} us (one run a call "
          f"{result['batched_one_run_a_call_per_run_month_us']:.1f} us); ratio "
          f"{result['ratio']:.2f} (to one run a call {result['ratio_to_one_run_a_call']:.2f}); "
          f"run-months reaching {reached}; "
          f"bit-identical: {'yes' if not mismatches else mismatches[:5]}")
    return 0 if not mismatches else 1


NOT_REACHED = ("growing",)
"""Branches the ``--mixed`` batch does not reach (no brake grows without a policy's
investment): not yet checked here."""


def branches(step: str, b, written: dict) -> dict[str, bool]:
    """Which branches of ``step`` one run-month reached (inputs ``b``, outputs ``written``)."""
    if step == "institutions":
        return {"threat": written["government"][5] > 0,
                "coup_legacy": b.government["coup_strength"] > 0
                or b.government["coup_will_lost"] > 0,
                "growing": (np.clip(b.brakes[:, 3] + b.brakes[:, 4], 0, 1)
                            > b.brakes[:, 0]).any(),
                "captured": b.government["complicity"] > b.government["initial_complicity"]}
    raise ValueError(step)

if __name__ == "__main__":
    raise SystemExit(main())
