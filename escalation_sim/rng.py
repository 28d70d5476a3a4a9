"""Randomness: one entry point, one named stream per submodel.

A run's integer seed becomes a :class:`numpy.random.SeedSequence`; each submodel draws from its
own child stream, keyed by the submodel's *name* (not by creation order). Adding a stream, or
drawing more numbers from one, leaves every other stream's numbers unchanged. This is what makes
runs with and without an intervention share their randomness (common random numbers), so that
paired differences between policies are tight.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS: tuple[str, ...] = (
    "setup",          # population, settlement, network, individual thresholds
    "mesa",           # Mesa's own model.rng / model.random (unused by the model's own rules)
    "events",         # random coups, shocks, spill-over; contested elections
    "information",    # reserved: the information submodel is deterministic today
    "civilians",      # reserved: the civilian submodel is deterministic today
    "violence",       # who is killed, how many violations
    "institutions",   # reserved
    "observation",    # noise of observed indicators
    "international",  # international actors' decisions (issue: intervention catalogue)
    "interventions",  # interventions' own draws
    "settlement",     # negotiated settlements (drawn only when the mechanism is on)
    "campaigns",      # each mass-killing campaign's resolve (drawn when one starts)
    "situation",      # the run's draw of its situation around the scenario's values
)


def _key(name: str) -> int:
    """A stable integer key for a stream name (same in every process and Python version)."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, name: str, index: int | None = None) -> np.random.Generator:
    """The generator for stream ``name`` of a run with integer ``seed``; with ``index``, the
    ``index``-th independent sub-stream of it (one per deployment of a policy)."""
    if name not in STREAMS:
        raise KeyError(f"unknown random stream {name!r}; streams are {STREAMS}")
    key = (_key(name),) if index is None else (_key(name), int(index))
    sequence = np.random.SeedSequence(seed, spawn_key=key)
    return np.random.Generator(np.random.PCG64(sequence))


class Streams:
    """The named generators of one run, created on first use."""

    def __init__(self, seed: int):
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._gens: dict[str, np.random.Generator] = {}

    def __getitem__(self, key: str | tuple[str, int]) -> np.random.Generator:
        """``streams["violence"]``, or ``streams["international", j]`` for a sub-stream."""
        gen = self._gens.get(key)
        if gen is None:
            gen = self._gens[key] = (stream(self.seed, key) if isinstance(key, str)
                                     else stream(self.seed, *key))
        return gen


def run_seed(base_seed: int, index: int) -> int:
    """The seed of run ``index`` of an ensemble started from ``base_seed``.

    Derived from both numbers (never from the order in which runs execute), so run ``index``
    has the same seed under every policy, on every worker; the result is an ordinary integer
    that ``escalation-sim run --seed`` reproduces on its own.
    """
    state = np.random.SeedSequence([int(base_seed), int(index)]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) | (int(state[1]) >> 1)
