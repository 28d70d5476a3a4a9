"""Experiments at scale: parameter sweeps and batch runs, their storage, and their analysis.

* :mod:`.schema` — experiment files (TOML), validated like scenarios.
* :mod:`.samplers` — full grid, Latin hypercube, Sobol/Saltelli and Morris points (SALib).
* :mod:`.planning` — an experiment made concrete: points, runs, seeds; sizes checked.
* :mod:`.executors` — the local process pool or Dask (a local cluster, or an address reached
  within a bounded time).
* :mod:`.sweep` — :func:`run_scenarios` on any ``concurrent.futures.Executor`` (local process
  pool, Dask, MPI), :func:`sweep` with resume.
* :mod:`.store` — Parquet chunks written atomically, one writer per directory (a lock), damaged
  chunks diagnosed and set aside.
* :mod:`.manifest` — the sweep's manifest: experiment, code versions, progress, status.
* :mod:`.analysis` — rates with confidence intervals, paired policy differences, Sobol indices,
  PRIM boxes, figures.
"""

from .manifest import read_manifest
from .planning import RunConfig, RunSpec, plan
from .samplers import Design, sample
from .schema import Experiment, load_experiment
from .store import ParquetStore, read_runs, read_series
from .sweep import run_scenarios, sweep

__all__ = ["Design", "Experiment", "ParquetStore", "RunConfig", "RunSpec", "load_experiment",
           "plan", "read_manifest", "read_runs", "read_series", "run_scenarios", "sample",
           "sweep"]
