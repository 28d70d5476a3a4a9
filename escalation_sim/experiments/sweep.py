"""Sweeps: every run of an experiment, on any :class:`concurrent.futures.Executor`.

The shape mirrors Mesa 4's ``run_scenarios(scenarios, config, executor=..., store=...)``:
:func:`run_scenarios` takes small picklable run descriptions (:class:`RunSpec`), the shared
configuration (:class:`RunConfig`), an executor (a local process pool, Dask's
``Client.get_executor()``, MPI's ``MPIPoolExecutor``, or none to run in-process) and a store
(:class:`~escalation_sim.experiments.store.ParquetStore`). A run that raises is a row with
``status = "failed"`` and its error message — data, not a crash.

Identity: run ``(point, replication, policy)`` has index
``(point * replications + replication) * len(policies) + policy_index`` and seed
``rng.run_seed(experiment seed, point * replications + replication)`` — the same for every
policy (common random numbers), whatever worker runs it and whenever it completes. An experiment
with no varied parameters therefore has the seeds of ``ensemble --seed S``.
"""

from __future__ import annotations

import contextlib
import copy
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from .. import __version__
from ..errors import InputError
from ..model import SERIES, EscalationModel
from ..outcomes import RunOutcome
from ..params import PolicyParams, Scenario
from ..rng import run_seed
from ..runner import default_workers, local_pool
from ..scenario import (
    apply_override,
    explain,
    read_scenario,
    resolve,
    resolve_policy,
    validate,
)
from .samplers import Design, overrides, sample, toml_value
from .schema import Experiment, Outputs, load_experiment
from .store import ParquetStore, run_schema, write_atomic


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One run, as sent to a worker: identity, seed and the point's parameter values."""

    run: int
    point: int
    replication: int
    policy: str
    seed: int
    values: tuple[tuple[str, Any], ...]
    scenario: str = ""


@dataclass(frozen=True)
class RunConfig:
    """What every run of a sweep shares: base scenario data, policies (by scenario), outputs."""

    bases: dict[str, dict[str, Any]]
    sources: dict[str, str]
    policies: dict[str, dict[str, PolicyParams]]
    outputs: Outputs = field(default_factory=Outputs)


# ---- one run (in a worker) ------------------------------------------------------------------
def execute(spec: RunSpec, config: RunConfig) -> tuple[dict[str, Any], np.ndarray | None]:
    """Run one spec; never raises: a failure is returned as a row with its error."""
    row: dict[str, Any] = {"run": spec.run, "point": spec.point,
                           "replication": spec.replication, "policy": spec.policy,
                           "seed": spec.seed, "status": "ok", "error": None, **dict(spec.values)}
    out = config.outputs
    try:
        data = copy.deepcopy(config.bases[spec.scenario])
        for assignment in overrides({k: v for k, v in spec.values if k != "scenario"}):
            apply_override(data, assignment)
        scenario = validate(data, f"{config.sources[spec.scenario]} (point {spec.point})")
        model = EscalationModel(scenario, spec.seed, config.policies[spec.scenario][spec.policy])
        start = time.perf_counter()
        while model.steps < scenario.run.months:
            model.step()
            stage = model.observation.stage
            if ((out.stop_at_stage is not None and stage >= out.stop_at_stage)
                    or (out.stop_on_mass_atrocity
                        and model.violence.mass_atrocity_month is not None)):
                break
            if out.time_limit is not None and time.perf_counter() - start > out.time_limit:
                raise TimeoutError(f"time limit of {out.time_limit} s per run exceeded at "
                                   f"month {model.steps}")
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


def run_batch(specs: list[RunSpec], config: RunConfig) -> list[tuple[dict, np.ndarray | None]]:
    """Run a batch of specs in order (the unit of work sent to a worker)."""
    return [execute(s, config) for s in specs]


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
    of those left) so that the workers finish together. Without a store the rows are returned
    (in completion order; for small experiments and tests).
    """
    rows: list[dict] | None = None if store is not None else []

    def take(result: list[tuple[dict, np.ndarray | None]]) -> None:
        for row, series in result:
            if store is not None:
                store.add(row, series)
            else:
                rows.append(row)  # type: ignore[union-attr]
            if progress:
                progress(row)

    if executor is None:
        for b in _batches(runs, batch):
            take(run_batch(b, config))
        return rows
    batches = _batches(runs, batch, total, 2 * max_pending)
    pending: set = set()

    def fill() -> None:
        for b in islice(batches, max(0, max_pending - len(pending))):
            pending.add(executor.submit(run_batch, b, config))

    fill()
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                take(f.result())
            fill()
    finally:
        for f in pending:
            f.cancel()
    return rows


def local_cluster(n: int):
    """A Dask LocalCluster of ``n`` single-threaded worker processes on 127.0.0.1, without a
    dashboard, set up for sweeps of CPU-bound runs on the same cores as itself:

    * the scheduler hands each worker one task at a time (worker saturation 1.0 instead of
      Dask's 1.1, which lets a single-threaded worker hold two tasks while another sits idle at
      the end of a sweep); Dask queues tasks on the scheduler only while more than 2 × threads
      of them are in flight (its "root-ish" rule), which :func:`run_scenarios` keeps true with
      ``max_pending = 2 × workers + 2`` — only the first few of a sweep go straight to workers;
    * no statistical profiler in the workers (a stack sample every 10 ms, for the dashboard it
      does not have), event-loop health checks every 200 ms instead of 20 ms and memory checks
      every second instead of 0.1 s;
    * no work stealing and no active memory manager: with tasks queued on the scheduler no
      worker holds a task another could steal, and runs share no data to replicate or drop; a
      task of a worker that dies is rescheduled either way; the system monitor (which only
      feeds a dashboard) samples every 5 s instead of 0.5 s. An idle 2-worker cluster used
      about 7 % of a core with Dask's defaults, 3.3 % with the settings above these and 2.4 %
      with these (measured by hand, once each; ``bench_sweep.py`` reports what an idle pool and
      cluster use now);
    * workers keep glibc's own heap trimming: Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` to
      64 KiB to return memory sooner, which made the model's monthly temporaries (arrays of
      10^4 civilians, 40 KiB each) cost about 4 % more time per run here.

    ``benchmarks/bench_sweep.py`` measures the overhead on runs."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0,
                          "distributed.scheduler.work-stealing": False,
                          "distributed.scheduler.active-memory-manager.start": False,
                          "distributed.admin.system-monitor.interval": "5s",
                          "distributed.worker.profile.enabled": False,
                          "distributed.admin.tick.interval": "200ms",
                          "distributed.worker.memory.monitor-interval": "1s",
                          "distributed.nanny.pre-spawn-environ": {
                              k: v for k, v in dask.config.get(
                                  "distributed.nanny.pre-spawn-environ").items()
                              if k != "MALLOC_TRIM_THRESHOLD_"}}):
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address=None)


@contextlib.contextmanager
def executor_for(dask: str | None = None, workers: int | None = None):
    """Yield ``(executor, number of workers)``: a local pool, or Dask (``local:N`` or an
    address). ``workers=1`` without Dask runs in-process (executor ``None``)."""
    if dask is None:
        n = default_workers() if workers is None else workers
        if n <= 1:
            yield None, 1
            return
        pool = local_pool(n)
        try:
            yield pool, n
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return
    from dask.distributed import Client

    cluster = None
    if dask.startswith("local:"):
        try:
            n = int(dask.removeprefix("local:"))
        except ValueError:
            n = 0
        if n < 1:
            raise InputError(f"--dask {dask}", [("", "expected local:N with N >= 1 workers")])
        cluster = local_cluster(n)
        client = Client(cluster)
    else:
        try:
            client = Client(dask, timeout=10)
        except (OSError, TimeoutError) as e:
            raise InputError(f"--dask {dask}", [("", f"cannot connect to a Dask scheduler: {e}")]
                             ) from None
    try:
        n = max(1, sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))
        yield client.get_executor(pure=False), n
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---- planning a sweep ----------------------------------------------------------------------
@dataclass
class Plan:
    """An experiment made concrete: its design, shared config and run count."""

    experiment: Experiment
    digest: str
    file: str
    design: Design
    config: RunConfig
    scenarios: list[str]
    skipped: list[str]

    @property
    def total(self) -> int:
        e = self.experiment
        return len(self.design) * e.replications * len(e.policies)

    def runs(self, skip: set[int] = frozenset()) -> Iterator[RunSpec]:
        """Every run not in ``skip``, in run-index order (generated lazily)."""
        e = self.experiment
        reps, npol = e.replications, len(e.policies)
        for point, values in enumerate(self.design.points):
            vals = tuple(values.items())
            scenario = values.get("scenario", self.scenarios[0])
            for rep in range(reps):
                seed = run_seed(e.seed, point * reps + rep)
                for k, policy in enumerate(e.policies):
                    run = (point * reps + rep) * npol + k
                    if run not in skip:
                        yield RunSpec(run, point, rep, policy, seed, vals, scenario)


def _base(path: str | Path, exp: Experiment, name: str, field: str):
    """Raw data (with the experiment's fixed overrides), file, validated scenario of ``name``."""
    try:
        scenario_path = resolve(name)
        base = read_scenario(scenario_path)
        for assignment in exp.set:
            apply_override(base, assignment)
    except InputError as e:
        raise InputError(str(path), [(field, f"{e.source}: {e.problems[0][1]}")]) from None
    source = str(scenario_path) + (" (with the experiment's set)" if exp.set else "")
    return base, str(scenario_path), validate(base, source)


def plan(path: str | Path) -> Plan:
    """Load an experiment file, check its scenarios, policies and parameter paths; sample it.

    With ``scenarios = [...]`` the scenario is a factor (column ``scenario``) crossed with the
    sampled points; a listed scenario that does not exist is an error, or, with
    ``missing_scenarios = "skip"``, left out and reported (``Plan.skipped``).
    """
    exp, digest = load_experiment(path)
    names = exp.scenarios or [exp.scenario]
    skipped = []
    if exp.scenarios and exp.missing_scenarios == "skip":
        for name in names:
            try:
                resolve(name)
            except InputError:
                skipped.append(name)
        names = [n for n in names if n not in skipped]
        if not names:
            raise InputError(str(path), [("scenarios", f"none of {exp.scenarios} exists")])
    bases, sources, policies = {}, {}, {}
    for i, name in enumerate(names):
        field = f"scenarios.{i}" if exp.scenarios else "scenario"
        bases[name], sources[name], scenario = _base(path, exp, name, field)
        policies[name] = {p: resolve_policy(scenario, p, str(path), f"policies.{k}")
                          for k, p in enumerate(exp.policies)}
    design = sample(exp)
    problems = []
    for i, p in enumerate(exp.parameters):
        for name, base in bases.items():
            data = copy.deepcopy(base)
            try:
                apply_override(data, f"{p.path}={toml_value(design.points[0][p.path])}")
            except InputError as e:
                problems.append((f"parameters.{i}.path", f"{name}: {e.problems[0][1]}"))
                continue
            try:
                Scenario.model_validate(data)
            except ValidationError as e:
                for f, problem in explain(e):
                    if problem.startswith("unknown key"):
                        problems.append((f"parameters.{i}.path", f"{name}: {f}: {problem}"))
    if problems:
        raise InputError(str(path), problems)
    if exp.scenarios:   # the scenario as a categorical factor, crossed with the points
        k = len(design)
        design = Design(["scenario", *design.names],
                        np.column_stack([np.repeat(np.arange(len(names)), k),
                                         np.tile(design.x, (len(names), 1))]),
                        [{"scenario": n, **pt} for n in names for pt in design.points],
                        design.problem)
    config = RunConfig(bases=bases, sources=sources, policies=policies, outputs=exp.outputs)
    return Plan(exp, digest, str(path), design, config, names, skipped)


def code_version() -> str:
    """The package version, with the git commit when run from a checkout."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=here,
                                capture_output=True, text=True, timeout=5, check=True
                                ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=5).stdout.strip()
        return f"{__version__}+g{commit}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


@dataclass
class SweepResult:
    out: Path
    total: int
    done: int
    failed: int
    ran: int
    seconds: float
    skipped_scenarios: list[str] = field(default_factory=list)


def sweep(path: str | Path, out: str | Path, *, resume: bool = False,
          workers: int | None = None, dask: str | None = None,
          executor: Executor | None = None, batch: int | None = None,
          chunk_rows: int = 256, chunk_seconds: float = 30.0,
          progress: Callable[[dict], None] | None = None,
          on_start: Callable[[int, int], None] | None = None) -> SweepResult:
    """Run (or finish, with ``resume``) the experiment at ``path``, streaming to ``out``.

    Args:
        executor: run on this executor instead of creating one (``workers``/``dask`` ignored).
        batch: runs per task sent to a worker (default: so that each worker gets ≥ 8 tasks,
            at most 16 runs each).
        on_start: called with (total runs, runs already done) before the first run.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = plan(path)
    exp = p.experiment
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(str(out), [("", f"cannot create directory: {e.strerror}")]) from None
    store = ParquetStore(out, chunk_rows=chunk_rows, chunk_seconds=chunk_seconds)
    example = p.design.points[0]
    manifest = {
        "format": 1,
        "experiment": {"name": exp.name, "file": str(Path(path).resolve()), "digest": p.digest,
                       "definition": exp.model_dump(mode="json")},
        "scenarios": p.config.sources, "skipped_scenarios": p.skipped,
        "code_versions": [code_version()],
        "total_runs": p.total, "points": len(p.design), "replications": exp.replications,
        "policies": exp.policies, "parameters": p.design.names,
        "problem": p.design.problem, "sampler": exp.sampler.model_dump(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    series_cols = None if exp.outputs.series == "none" else list(exp.outputs.columns)
    done = store.open(manifest, run_schema(example), series_cols, resume)
    design = pa.table({"point": np.arange(len(p.design)),
                       **{n: p.design.x[:, j] for j, n in enumerate(p.design.names)}})
    write_atomic(out / "design.parquet", lambda f: pq.write_table(design, f))
    if on_start:
        on_start(p.total, len(done))
    todo = p.total - len(done)
    start = time.perf_counter()
    status = "interrupted"
    try:
        ctx = (contextlib.nullcontext((executor, max(1, workers or default_workers())))
               if executor is not None else executor_for(dask, workers))
        with ctx as (ex, n):
            size = batch or max(1, min(16, todo // (8 * n) if todo else 1))
            run_scenarios(p.runs(done), p.config, ex, store, batch=size,
                          max_pending=2 * n + 2, progress=progress, total=todo)
        status = "complete"
    finally:
        store.close(status)
    return SweepResult(out, p.total, store.done, store.failed, todo,
                       time.perf_counter() - start, p.skipped)
