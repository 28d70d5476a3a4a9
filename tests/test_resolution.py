"""Results that do not depend on the resolution (model v2, part 2): the same answers with 10^4
and 4 × 10^4 simulated civilians standing for the same million people. 150 runs per level (the
README's table, ``benchmarks/resolution.py``, compares 10^4 with 10^5 at 400 runs in three
scenarios). Agreement: the 95 % interval of each difference covers zero; with four measures
about one test in five would fail by chance if all four were required at 95 %, so the
intervals here are 99 % (z = 2.58) — still a strict check against the v1 model, whose P(stage 3)
was 0.37 at 10^4 and 0.18 at 5 × 10^4 civilians."""

import sys
from pathlib import Path

import pytest

from escalation_sim import load_scenario
from escalation_sim.runner import run_ensemble

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from resolution import measures  # noqa: E402

pytestmark = pytest.mark.slow


def test_default_agrees_at_ten_and_forty_thousand_civilians():
    runs = {}
    for n in (10_000, 40_000):
        scenario = load_scenario("default", [f"run.n_civilians={n}"])
        runs[n] = measures(run_ensemble(scenario, 150, seed=0, workers=2),
                           scenario.run.population)
    for measure, coarse in runs[10_000].items():
        fine = runs[40_000][measure]
        se = (coarse.var(ddof=1) / coarse.size + fine.var(ddof=1) / fine.size) ** 0.5
        diff = coarse.mean() - fine.mean()
        assert abs(diff) <= 2.58 * se + 1e-12, (
            f"{measure}: {coarse.mean():.3f} at 10^4 vs {fine.mean():.3f} at 4 x 10^4 "
            f"(difference {diff:+.3f}, 99 % half-width {2.58 * se:.3f})")
