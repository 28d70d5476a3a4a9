"""Running the model: one run, or an ensemble on an executor (a process pool by default).

Run ``i`` of an ensemble started from ``seed`` uses :func:`escalation_sim.rng.run_seed`
``(seed, i)``, whatever executor runs it and in whatever order runs complete, so an ensemble is
bit-identical on one worker or many. :func:`local_pool` is the one local process pool, for
ensembles and sweeps alike: its workers exit when the process that made it dies.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor

from .model import EscalationModel
from .outcomes import RunOutcome
from .params import PolicyParams, Scenario
from .rng import run_seed


def run_one(scenario: Scenario, seed: int, policy: PolicyParams | None = None) -> RunOutcome:
    """Build and run one model to its horizon; return its outcome."""
    return RunOutcome.from_model(EscalationModel(scenario, seed, policy).run())


def _run_indexed(args: tuple[Scenario, PolicyParams | None, int, int]) -> tuple[int, RunOutcome]:
    scenario, policy, index, seed = args
    return index, run_one(scenario, seed, policy)


def _context() -> multiprocessing.context.BaseContext:
    """Fork-server workers (no fork of a threaded parent), with the model preloaded once."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    return ctx


# ---- the local pool, without orphans ------------------------------------------------------------
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch_parent(pid: int, interval: float = 0.5) -> None:
    """Worker initializer: exit when the pool's owner (``pid``) dies, even by SIGKILL.

    A killed parent cannot shut its pool down; its fork server then sees its pipe close and
    exits, so the worker's parent changes; either sign ends the worker within ``interval``.
    """
    ppid = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(interval)
            if os.getppid() != ppid or not _alive(pid):
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A fork-server process pool (the model preloaded) whose workers exit within a second if
    the process that made it dies, even by SIGKILL: no orphans."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                               initializer=_watch_parent, initargs=(os.getpid(),))


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_ensemble(scenario: Scenario, runs: int, seed: int = 0, workers: int | None = None,
                 executor: Executor | None = None,
                 progress: Callable[[int], None] | None = None,
                 policy: PolicyParams | None = None) -> list[RunOutcome]:
    """Run ``runs`` replicates; outcomes come back in run-index order.

    Args:
        scenario: the validated scenario.
        runs: number of runs.
        seed: the ensemble seed; run ``i`` uses ``run_seed(seed, i)``.
        workers: processes for the default pool (all cores by default; 1 runs in-process).
        executor: any :class:`concurrent.futures.Executor` to use instead of the default pool.
        progress: called with the number of runs finished each time one finishes.
        policy: interventions to deploy in every run (none by default).
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    tasks = [(scenario, policy, i, run_seed(seed, i)) for i in range(runs)]
    results: list[RunOutcome | None] = [None] * runs
    workers = default_workers() if workers is None else workers
    own = None
    if executor is None and workers > 1 and runs > 1:
        own = executor = local_pool(min(workers, runs))
    try:
        if executor is None:
            completed = map(_run_indexed, tasks)
        else:
            chunk = max(1, runs // (4 * max(workers, 1)))
            completed = executor.map(_run_indexed, tasks, chunksize=chunk)
        for done, (i, outcome) in enumerate(completed, 1):
            results[i] = outcome
            if progress:
                progress(done)
    finally:
        if own is not None:
            own.shutdown(cancel_futures=True)
    return results  # type: ignore[return-value]
