"""Running the model: one run, or many on an executor (a process pool by default).

:func:`run_model` is the one loop that steps a model alone, for single runs, ensembles and
sweeps alike (with a sweep's optional stop conditions and time limit; many runs of one shape
are stepped together by :mod:`escalation_sim.batch`). :func:`dispatch` is the one loop that
keeps an executor busy: a bounded number of batches in flight, and a batch whose worker
process died (the OOM killer, ``kill -9``) retried on a fresh pool, alone, up to
:data:`WORKER_RETRIES` times before it is reported lost — the rest of the work goes on.

Run ``i`` of an ensemble started from ``seed`` uses :func:`escalation_sim.rng.run_seed`
``(seed, i)``, whatever executor runs it and in whatever order runs complete, so an ensemble is
bit-identical on one worker or many. :class:`LocalPool` is the one local process pool, for
ensembles and sweeps alike: its workers exit when the process that made it dies.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    wait,
)
from dataclasses import dataclass
from functools import partial
from typing import Any

from .model import EscalationModel
from .outcomes import RunOutcome
from .params import PolicyParams, Scenario
from .rng import run_seed

WORKER_RETRIES = 2
"""Times a batch whose worker process died is run again (alone, on a fresh pool) before it is
reported lost."""


@dataclass(frozen=True)
class Stop:
    """When a run ends before its horizon: at a stage, at mass atrocity, or (as a failure) after
    ``time_limit`` seconds."""

    at_stage: int | None = None
    on_mass_atrocity: bool = False
    time_limit: float | None = None


def run_model(scenario: Scenario, seed: int, policy: PolicyParams | None = None,
              stop: Stop = Stop()) -> EscalationModel:
    """Build one model and step it to its horizon or ``stop``; return the model.

    Raises:
        TimeoutError: the run took longer than ``stop.time_limit``.
    """
    model = EscalationModel(scenario, seed, policy)
    start = time.perf_counter()
    while model.steps < scenario.run.months:
        model.step()
        if ((stop.at_stage is not None and model.observation.stage >= stop.at_stage)
                or (stop.on_mass_atrocity and model.violence.onset_month is not None)):
            break
        if stop.time_limit is not None and time.perf_counter() - start > stop.time_limit:
            raise TimeoutError(f"time limit of {stop.time_limit} s per run exceeded at "
                               f"month {model.steps}")
    return model


def run_one(scenario: Scenario, seed: int, policy: PolicyParams | None = None) -> RunOutcome:
    """Build and run one model to its horizon; return its outcome."""
    return RunOutcome.from_model(run_model(scenario, seed, policy))


def _run_indexed(scenario: Scenario, policy: PolicyParams | None, seed: int,
                 indices: list[int]) -> list[tuple[int, RunOutcome]]:
    """Runs ``indices`` of an ensemble (the unit of work sent to a worker)."""
    return [(i, run_one(scenario, run_seed(seed, i), policy)) for i in indices]


def _run_picked(distinct: tuple[Scenario, ...], pick: tuple[int, ...],
                policy: PolicyParams | None, seed: int,
                indices: list[int]) -> list[tuple[int, RunOutcome]]:
    """Runs ``indices`` of an ensemble whose run ``i`` has its own scenario,
    ``distinct[pick[i]]`` (a parameter set drawn from a posterior)."""
    return [(i, run_one(distinct[pick[i]], run_seed(seed, i), policy)) for i in indices]


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


class LocalPool(Executor):
    """A fork-server process pool (the model preloaded) whose workers exit within a second if
    the process that made it dies, even by SIGKILL (no orphans), and that :meth:`restart` replaces
    after one of its workers died (a :class:`ProcessPoolExecutor` is broken for good then)."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(),
                                   initializer=_watch_parent, initargs=(os.getpid(),))

    def submit(self, fn, /, *args, **kwargs) -> Future:
        return self._pool.submit(fn, *args, **kwargs)

    def restart(self) -> None:
        self.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down; without ``wait``, stop its workers now (SIGTERM), so that an
        interrupted sweep need not wait for the runs in progress."""
        if not wait:
            terminate = getattr(self._pool, "terminate_workers", None)   # Python >= 3.14
            if terminate is not None:
                terminate()
            else:
                for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                    process.terminate()
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


def local_pool(workers: int) -> LocalPool:
    """The local pool of ``workers`` processes (see :class:`LocalPool`)."""
    return LocalPool(workers)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# ---- the one dispatch loop ----------------------------------------------------------------------
def dispatch(batches: Iterable[Any], work: Callable[[Any], Any], executor: Executor,
             take: Callable[[Any, Any], None], lost: Callable[[Any, BaseException], None],
             max_pending: int = 8, retries: int = WORKER_RETRIES) -> None:
    """Run ``executor.submit(work, batch)`` for each batch, ``max_pending`` at most in flight, and
    hand each result to ``take(batch, result)``.

    A pool broken by the death of a worker process (:class:`BrokenExecutor`) is restarted
    (``executor.restart()``) and the batches that were in flight are submitted again. A batch in
    flight at a second death is suspected and run alone from then on, so that a batch that kills
    its worker is found out and only it is charged: when it has died alone ``retries + 1`` times
    it goes to ``lost(batch, cause)`` and the work goes on. A task that fails for any other
    reason (Dask's ``KilledWorker`` after Dask's own retries) goes to ``lost`` at once.
    Executors without ``restart`` re-raise a broken pool.
    """
    source = iter(batches)
    pending: dict[Future, Any] = {}
    again: deque[Any] = deque()             # in flight at one death: submitted again, in parallel
    alone: deque[Any] = deque()             # in flight at two: run one at a time
    # id(batch) -> deaths while it was in flight, and while it ran alone; an entry is dropped
    # when its batch is done, so an id that Python reuses for a later batch starts afresh
    breaks: dict[int, int] = {}
    deaths: dict[int, int] = {}

    def fill() -> None:
        if alone:
            if not pending:
                pending[executor.submit(work, alone[0])] = alone[0]
            return
        while len(pending) < max_pending:
            b = again.popleft() if again else next(source, None)
            if b is None:
                return
            pending[executor.submit(work, b)] = b

    def settle(b: Any) -> None:
        if alone and alone[0] is b:
            alone.popleft()
        breaks.pop(id(b), None)
        deaths.pop(id(b), None)

    try:
        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            broken: BaseException | None = None
            for f in done:
                try:
                    result = f.result()
                except BrokenExecutor as e:
                    broken = e              # f stays pending: counted below with the others
                    continue
                except Exception as e:      # noqa: BLE001 - a lost batch is data
                    b = pending.pop(f)
                    settle(b)
                    lost(b, e)
                    continue
                b = pending.pop(f)
                settle(b)
                take(b, result)
            if broken is not None:
                restart = getattr(executor, "restart", None)
                if restart is None:
                    raise broken
                in_flight = list(pending.values())
                pending.clear()
                if len(in_flight) == 1 and alone and alone[0] is in_flight[0]:
                    b = in_flight[0]
                    deaths[id(b)] = deaths.get(id(b), 0) + 1
                    if deaths[id(b)] > retries:
                        settle(b)
                        lost(b, broken)
                else:
                    for b in in_flight:
                        breaks[id(b)] = breaks.get(id(b), 0) + 1
                        (alone if breaks[id(b)] >= 2 else again).append(b)
                restart()
            fill()
    finally:
        for f in pending:
            f.cancel()


class WorkerLost(RuntimeError):
    """Runs of an ensemble could not be completed: their worker process kept dying."""


def run_ensemble(scenario: Scenario, runs: int, seed: int = 0, workers: int | None = None,
                 executor: Executor | None = None,
                 progress: Callable[[int], None] | None = None,
                 policy: PolicyParams | None = None,
                 scenarios: Sequence[Scenario] | None = None) -> list[RunOutcome]:
    """Run ``runs`` replicates; outcomes come back in run-index order.

    Args:
        scenario: the validated scenario.
        runs: number of runs.
        seed: the ensemble seed; run ``i`` uses ``run_seed(seed, i)``.
        workers: processes for the default pool (all cores by default; 1 runs in-process).
        executor: any :class:`concurrent.futures.Executor` to use instead of the default pool.
        progress: called with the number of runs finished each time one finishes.
        policy: interventions to deploy in every run (none by default).
        scenarios: one scenario per run (``runs`` of them) instead of ``scenario``: each run's
            parameter set drawn from a posterior; each distinct scenario is sent once a task.

    Raises:
        WorkerLost: a batch's worker process died more than :data:`WORKER_RETRIES` times.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    results: list[RunOutcome | None] = [None] * runs
    workers = default_workers() if workers is None else workers
    finished = 0

    def take(_batch: list[int], result: list[tuple[int, RunOutcome]]) -> None:
        nonlocal finished
        for i, outcome in result:
            results[i] = outcome
            finished += 1
            if progress:
                progress(finished)

    def lost(batch: list[int], cause: BaseException) -> None:
        raise WorkerLost(f"runs {batch[0]}-{batch[-1]}: the worker process running them died "
                         f"{WORKER_RETRIES + 1} times ({type(cause).__name__}: {cause})")

    if scenarios is None:
        work = partial(_run_indexed, scenario, policy, seed)
    else:
        if len(scenarios) != runs:
            raise ValueError(f"scenarios: one per run ({runs}), got {len(scenarios)}")
        position: dict[int, int] = {}     # id of a scenario -> its place among the distinct
        distinct: list[Scenario] = []
        for s in scenarios:
            if id(s) not in position:
                position[id(s)] = len(distinct)
                distinct.append(s)
        work = partial(_run_picked, tuple(distinct),
                       tuple(position[id(s)] for s in scenarios), policy, seed)
    own = None
    if executor is None and workers > 1 and runs > 1:
        own = executor = local_pool(min(workers, runs))
    try:
        if executor is None:
            for i in range(runs):
                take([i], work([i]))
        else:
            size = max(1, runs // (4 * max(workers, 1)))
            batches = [list(range(i, min(i + size, runs))) for i in range(0, runs, size)]
            dispatch(batches, work, executor, take, lost,
                     max_pending=2 * max(workers, 1) + 2)
    finally:
        if own is not None:
            own.shutdown(cancel_futures=True)
    return results  # type: ignore[return-value]
