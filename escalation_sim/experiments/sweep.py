"""Sweeps: every run of an experiment, on any :class:`concurrent.futures.Executor`.

The shape mirrors Mesa 4's ``run_scenarios(scenarios, config, executor=..., store=...)``:
:func:`run_scenarios` takes small picklable run descriptions (:class:`~.planning.RunSpec`), the
shared configuration (:class:`~.planning.RunConfig`), an executor (a local process pool, Dask's
``Client.get_executor()``, MPI's ``MPIPoolExecutor``, or none to run in-process) and a store
(:class:`~escalation_sim.experiments.store.ParquetStore`). A run that raises is a row with
``status = "failed"`` and its error message — data, not a crash; so is a run whose worker
process kept dying (:func:`escalation_sim.runner.dispatch`).

The concerns live in their own modules: :mod:`.planning` (the experiment made concrete, its sizes
checked), :mod:`.executors` (pool, Dask), :mod:`.store` (chunks, the directory's lock, damage),
:mod:`.manifest`; :func:`sweep` puts them together.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from ..errors import InputError
from ..model import SERIES
from ..outcomes import RunOutcome
from ..params import Scenario
from ..runner import WORKER_RETRIES, Stop, default_workers, dispatch, run_model
from ..scenario import apply_override, check_memory, validate
from .executors import DASK_TIMEOUT, executor_for, local_cluster, local_workers
from .manifest import new_manifest
from .planning import Plan, RunConfig, RunSpec, plan
from .samplers import overrides, toml_value
from .store import POSTERIOR_ROW, ParquetStore, run_schema

__all__ = ["Plan", "RunConfig", "RunSpec", "SweepResult", "execute", "local_cluster", "plan",
           "run_batch", "run_scenarios", "sweep"]


# ---- one run (in a worker) ------------------------------------------------------------------
def execute(spec: RunSpec, config: RunConfig) -> tuple[dict[str, Any], np.ndarray | None]:
    """Run one spec; never raises: a failure is returned as a row with its error."""
    row = _identity(spec, "ok", None)
    out = config.outputs
    try:
        data = copy.deepcopy(config.bases[spec.scenario])
        for assignment in overrides({k: v for k, v in spec.values if k != "scenario"}):
            apply_override(data, assignment)
        for assignment in (config.drawn or {}).get(spec.drawn, ()):   # its posterior draw
            apply_override(data, assignment)
        scenario = validate(data, f"{config.sources[spec.scenario]} (point {spec.point})")
        model = run_model(scenario, spec.seed, config.policies[spec.scenario][spec.policy],
                          Stop(out.stop_at_stage, out.stop_on_mass_atrocity, out.time_limit))
        row.update(RunOutcome.from_model(model).to_row())   # its seed is spec.seed
        series = None
        if out.series != "none":
            last = model.steps
            months = (np.array([last]) if out.series == "end"
                      else np.unique(np.r_[np.arange(0, last + 1, out.every), last]))
            cols = [SERIES.index(c) for c in out.columns]
            series = np.column_stack([np.full(months.size, spec.run), months,
                                      model.series[np.ix_(months, cols)]]).astype(float)
        return row, series
    except Exception as e:  # noqa: BLE001 - failures are data (the sweep goes on)
        row.update(status="failed", error=f"{type(e).__name__}: {e}")
        return row, None


def _identity(spec: RunSpec, status: str, error: str | None) -> dict[str, Any]:
    """A run's identity columns, its point's values and, with a posterior, ``posterior_row``
    (the 1-based row of the parameter set it drew, as the posterior's errors number rows)."""
    return {"run": spec.run, "point": spec.point, "replication": spec.replication,
            "policy": spec.policy, "seed": spec.seed, "status": status, "error": error,
            **dict(spec.values),
            **({} if spec.drawn is None else {POSTERIOR_ROW: spec.drawn + 1})}


def run_batch(specs: list[RunSpec], config: RunConfig) -> list[tuple[dict, np.ndarray | None]]:
    """Run a batch of specs in order (the unit of work sent to a worker)."""
    return [execute(s, config) for s in specs]


def lost_rows(specs: list[RunSpec], cause: BaseException) -> list[tuple[dict, None]]:
    """The rows of a batch that could not be run: its worker process kept dying, or the
    executor gave up on its task (Dask's ``KilledWorker``)."""
    if isinstance(cause, BrokenExecutor):
        error = (f"WorkerLost: the worker process running this run's batch died "
                 f"{WORKER_RETRIES + 1} times, alone (out of memory? killed?): "
                 f"{type(cause).__name__}: {cause}")
    else:
        error = f"WorkerLost: the executor lost this run's batch: {type(cause).__name__}: {cause}"
    return [(_identity(s, "failed", error), None) for s in specs]


# ---- the Mesa-4-shaped driver ----------------------------------------------------------------
def _batches(runs: Iterable[RunSpec], size: int, total: int | None = None,
             spread: int = 1) -> Iterator[list[RunSpec]]:
    """Batches of ``size`` runs. With the ``total`` number of runs known, batches shrink towards
    the end to at most ``1/spread`` of the runs left (guided self-scheduling), so that no worker
    is still busy with a long batch while the others have nothing left to do."""
    it = iter(runs)
    left = total
    while batch := list(islice(it, size if left is None else max(1, min(size, left // spread)))):
        if left is not None:
            left -= len(batch)
        yield batch


def run_scenarios(runs: Iterable[RunSpec], config: RunConfig, executor: Executor | None = None,
                  store: ParquetStore | None = None, batch: int = 1, max_pending: int = 8,
                  progress: Callable[[dict], None] | None = None,
                  total: int | None = None) -> list[dict] | None:
    """Run every spec of ``runs`` on ``executor`` and hand each result to ``store``.

    At most ``max_pending`` batches of up to ``batch`` runs are in flight, so the sweeping
    process holds a bounded number of tasks and results whatever the number of runs. Given the
    ``total`` number of runs, the last batches shrink (at most one run in ``2 * max_pending``
    of those left) so that the workers finish together. A batch whose worker process died is run
    again; one that keeps killing its worker is recorded as failed
    (:func:`escalation_sim.runner.dispatch`). Without a store the rows are returned (in
    completion order; for small experiments and tests).
    """
    rows: list[dict] | None = None if store is not None else []

    def take(_specs: list[RunSpec], result: list[tuple[dict, np.ndarray | None]]) -> None:
        for row, series in result:
            if store is not None:
                store.add(row, series)
            else:
                rows.append(row)  # type: ignore[union-attr]
            if progress:
                progress(row)

    if executor is None:
        for b in _batches(runs, batch):
            take(b, run_batch(b, config))
        return rows
    work = _Batch(config)
    dispatch(_batches(runs, batch, total, 2 * max_pending), work, executor, take,
             lambda specs, cause: take(specs, lost_rows(specs, cause)), max_pending)
    return rows


@dataclass(frozen=True)
class _Batch:
    """``run_batch`` with its config bound (picklable, unlike a lambda)."""

    config: RunConfig

    def __call__(self, specs: list[RunSpec]) -> list[tuple[dict, np.ndarray | None]]:
        return run_batch(specs, self.config)


# ---- memory, before anything starts -------------------------------------------------------------
MEMORY_PATHS = ("run.n_civilians", "network.degree", "run.months")
"""The parameters that size a model (see :func:`escalation_sim.scenario.peak_bytes`)."""


def check_workers_memory(p: Plan, workers: int) -> None:
    """Refuse a sweep whose ``workers`` models at once (the largest of its points, one per
    worker process on this machine) would not fit in memory."""
    for name, base in p.config.bases.items():
        data = copy.deepcopy(base)
        points = [pt for pt in p.design.points if pt.get("scenario", name) == name]
        for path in MEMORY_PATHS:
            values = [pt[path] for pt in points if path in pt]
            if values:
                apply_override(data, f"{path}={toml_value(max(values))}")
        try:
            scenario = Scenario.model_validate(data)
        except ValidationError:
            continue     # such points fail one by one, as runs, with their error
        check_memory(scenario, f"{p.file} (scenario {name}, its largest point)", workers)


# ---- a whole sweep -------------------------------------------------------------------------------
@dataclass
class SweepResult:
    out: Path
    total: int
    done: int
    failed: int
    ran: int
    seconds: float
    skipped_scenarios: list[str] = field(default_factory=list)
    repaired: list[tuple[str, str, str]] = field(default_factory=list)


def sweep(path: str | Path, out: str | Path, *, resume: bool = False, repair: bool = False,
          workers: int | None = None, dask: str | None = None,
          dask_timeout: float = DASK_TIMEOUT, executor: Executor | None = None,
          batch: int | None = None, chunk_rows: int = 256, chunk_seconds: float = 30.0,
          allow_large: bool = False, progress: Callable[[dict], None] | None = None,
          on_start: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run (or finish, with ``resume``) the experiment at ``path``, streaming to ``out``.

    Everything that can be checked is checked before the first run, in this order: the
    experiment (and its size: :func:`~.planning.check_size`), the memory of one model per local
    worker, the directory (its lock: one writer at a time; with ``resume``, every chunk on
    disk, damaged ones set aside with ``repair``), the executor (a Dask scheduler within
    ``dask_timeout`` seconds). Only then is the directory claimed (its manifest written).

    Args:
        executor: run on this executor instead of creating one (``workers``/``dask`` ignored).
        batch: runs per task sent to a worker (default: so that each worker gets ≥ 8 tasks,
            at most 16 runs each).
        on_start: called with (total runs, runs already done) before the first run.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..files import write_atomic

    p = plan(path, allow_large)
    exp = p.experiment
    out = Path(out)
    local = local_workers(dask, workers) if executor is None else None
    if local is not None:
        check_workers_memory(p, local)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(str(out), [("", f"cannot create directory: {e.strerror}")]) from None
    store = ParquetStore(out, chunk_rows=chunk_rows, chunk_seconds=chunk_seconds)
    series_cols = None if exp.outputs.series == "none" else list(exp.outputs.columns)
    done = store.open(new_manifest(p, path), run_schema(p.design.points[0],
                                                        p.posterior is not None),
                      series_cols, resume, repair)
    todo = p.total - len(done)
    start = time.perf_counter()
    status = "interrupted"
    try:
        ctx = (contextlib.nullcontext((executor, max(1, workers or default_workers())))
               if executor is not None else executor_for(dask, workers, dask_timeout))
        with ctx as (ex, n):
            store.start()
            design = pa.table({"point": np.arange(len(p.design)),
                               **{c: p.design.x[:, j] for j, c in enumerate(p.design.names)}})
            write_atomic(out / "design.parquet", lambda f: pq.write_table(design, f))
            if on_start:
                on_start(p.total, len(done))
            size = batch or max(1, min(16, todo // (8 * n) if todo else 1))
            try:
                run_scenarios(p.runs(done), p.config, ex, store, batch=size,
                              max_pending=2 * n + 2, progress=progress, total=todo)
                status = "complete"
            finally:
                store.close(status)     # rows on disk before the pool is shut down
    finally:
        store.close(status)
    return SweepResult(out, p.total, store.done, store.failed, todo,
                       time.perf_counter() - start, p.skipped,
                       [(str(c), why, str(to)) for c, why, to in store.repaired])
