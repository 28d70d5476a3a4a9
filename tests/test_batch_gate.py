"""The batched engine's gate (``benchmarks/batch_gate.py``): its reproduction of CPython's
``sum()``, on which the institutions step's bit-identity rests. The gates
themselves run in ``.ci/run`` (they step whole runs)."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from batch_gate import python_sum  # noqa: E402


def test_python_sum_gives_the_bits_of_sum_over_python_and_numpy_floats():
    """2,000 random lists of 2 to 7 numbers over six orders of magnitude, each number a Python
    float or a numpy float64 at random (fixed seed): CPython 3.12 compensates over Python
    floats only, so a plain left fold differs from ``sum`` in 74 of them and a compensated sum
    that ignores the types in 509."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        k = int(rng.integers(2, 8))
        values = (rng.random((100, k)) * 10.0 ** rng.integers(-3, 3, (100, k))
                  * rng.choice([-1.0, 1.0], (100, k)))
        exact = rng.random((100, k)) < 0.6
        got = python_sum(values, exact)
        for row, flags, value in zip(values, exact, got, strict=True):
            items = [float(v) if e else np.float64(v) for v, e in zip(row, flags, strict=True)]
            assert float(sum(items)) == value
