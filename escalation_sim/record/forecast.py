"""Forecasts: every row of a predictors file run as a profile, P(mass-killing onset) per row.

Each row becomes its profile's scenario (:mod:`.profiles`) with the forecast's horizon and
number of simulated civilians, and is run ``runs`` times. ``p_onset`` is the share of runs with
a mass-killing onset (:attr:`~escalation_sim.outcomes.RunOutcome.mass_killing_onset`: one
perpetrator killed 1,000 noncombatants within 12 months) within the horizon — for a row inside
an ongoing episode, an onset by another perpetrator than that episode's (:func:`new_onset`) —
with its 95 % Wilson interval (:func:`~escalation_sim.outcomes.wilson`), which covers run-to-run
noise only: the links and the model's coefficients are held fixed. Under a posterior fitted with
a warm-up (:func:`posterior_warmup`), each run first steps that many months, whose onsets are not
counted, and the horizon follows.

Seeds: the runs of a row use ``run_seed(row_seed, i)`` with ``row_seed`` derived from the
forecast's seed, the row's profile number and its year (:func:`row_seed`), never from the order
in which work is done or from the row's position in the file, so a file, any subset of it, one
worker or many give the same numbers for the same profile-year. Runs go through the project's
one dispatch loop (:func:`escalation_sim.runner.dispatch`) on any executor: in-process, the
local pool, or Dask.

With a posterior (:mod:`.posterior`, written by ``calibrate``), each run draws one parameter
set by weight (:func:`draw_seed`), so ``p_onset`` averages over the posterior (the command
line's default is the shipped one). Without one these are the model's numbers, uncalibrated (no
link or coefficient is fitted to the record); either way they are not a forecast of any real
country.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass

import numpy as np

from ..batch import run_all
from ..errors import InputError
from ..outcomes import parameter_fields, split_note, wilson
from ..params import PolicyParams, Scenario
from ..rng import run_seed
from ..runner import WORKER_RETRIES, WorkerLost, dispatch
from ..submodels.violence import STATE_FORCES
from .posterior import Posterior, draw_seed, split
from .profiles import LINK_DEFAULTS, ProfileLinks, ProfileTable, profile_at, profile_of

FORECAST_MONTHS = 24
"""Default horizon: the EWP's outcome is an onset in the next one or two years."""
FORECAST_CIVILIANS = 1000
"""Default simulated civilians per run (``--civilians``): a tenth of the scenarios' 10,000, so
that 1,668 rows × 100 runs come near the issue's ten minutes on two cores
(``benchmarks/bench_forecast.py``). Until the model's results are independent of
``run.n_civilians`` (issue 12, part 2), fewer civilians make each simulated killing stand for
more people, and the onset threshold of 1,000 people is reached with fewer killings: the
``people_per_civilian`` column says how coarse each row is."""
BATCH_RUNS = 25
"""Most runs stepped together (:mod:`escalation_sim.batch`)."""
TASK_RUNS = 100
"""Most runs of one row sent to a worker as one task. With a posterior the worker builds the
row's scenario once per distinct parameter set its runs drew, so a larger task builds fewer
(at 100 runs a row, one task a row). Where tasks this large would leave fewer than four per
worker (few rows, many workers), tasks are ``BATCH_RUNS`` runs instead (:func:`task_runs`)."""
NOTE = ("the model's numbers, uncalibrated (every profile link and model coefficient is an "
        "assumption, none fitted); the interval covers run-to-run noise only")
NOTE_POSTERIOR = ("the model's numbers, each run with a parameter set drawn from the given "
                  "posterior (its own calibration); p_onset averages over the posterior, and "
                  "its interval covers run and parameter uncertainty together")
COLUMNS = ("row", "profile", "year", "n_runs", "onsets", "p_onset", "p_onset_low",
           "p_onset_high", "people_per_civilian", "posterior")
"""Columns of the forecast file, one line per row of the input, in the input's order.
``posterior`` is the posterior file the runs drew their parameter sets from, as given (the
shipped one: :data:`~.posterior.SHIPPED_SOURCE`), or ``none`` (the declared values); it is the
last column, so readers of files written before it existed (which lack it) read the other
columns unchanged."""
NO_POSTERIOR = "none"
"""The ``posterior`` column's value when no posterior was used."""


def row_seed(seed: int, profile: int, year: int) -> int:
    """The seed of a profile-year's runs: from the forecast's seed, the profile and the year."""
    return run_seed(run_seed(seed, profile), year)


@dataclass(frozen=True, slots=True)
class RowForecast:
    """One row's forecast (the model's)."""

    row: int
    profile: int
    year: int
    n_runs: int
    onsets: int
    p_onset: float
    p_onset_low: float
    p_onset_high: float
    people_per_civilian: float
    flags: tuple[bool, ...] = ()
    """Each run's onset flag, in run order."""
    draws: tuple[int, ...] = ()
    """With a posterior, the parameter set (row index of the posterior) each run drew."""


@dataclass(frozen=True, eq=False)
class _Recipe:
    """How a worker builds a row's scenario under each parameter set its runs drew: the row as
    :meth:`~.profiles.ProfileTable.row` read it (``read``) and the drawn sets' values by their
    index in the posterior (``sets``), so a task ships a few numbers, not scenarios, and the
    building is spread over the workers instead of done by the parent before any run."""

    source: str
    row: int
    read: tuple
    months: int
    n_civilians: int
    sets: dict[int, dict[str, float]]


@dataclass(frozen=True, slots=True)
class _Invalid:
    """A worker's answer when parameter set ``j`` made the row's scenario invalid (the
    :class:`InputError`'s parts: an exception with its own fields does not pickle back)."""

    j: int
    source: str
    problems: list


@dataclass(frozen=True, eq=False)
class _Batch:
    """Runs ``indices`` of the ``k``-th row forecast (the unit of work sent to a worker); with a
    posterior, run ``indices[i]`` runs under parameter set ``draws[i]``, whose scenario the
    worker builds from ``recipe``."""

    k: int
    scenario: Scenario
    seed: int
    indices: list[int]
    draws: tuple[int, ...] = ()
    policy: PolicyParams | None = None
    ongoing: str | None = None
    """The perpetrator of an episode ongoing in the row's year (None: no episode ongoing)."""
    recipe: _Recipe | None = None
    warmup: int = 0
    """Months run before the horizon, whose onsets are not counted (:func:`forecast`)."""


def ongoing_perpetrator(values: dict[str, float], history: dict) -> str | None:
    """The perpetrator, by the violence step's name, of the episode ongoing in a profile's year
    (``mk_ongoing_count_log2 > 0``), from its history (:func:`~.profiles.history`); else None."""
    if values["mk_ongoing_count_log2"] <= 0:
        return None
    who = history["prior_perpetrator"]
    return STATE_FORCES if who == "state" else who


def counted(episodes, ongoing: str | None) -> list:
    """A run's ``episodes`` that the record's outcome counts as onsets.

    Without an ongoing episode, every one. Inside one (perpetrator ``ongoing``), the record's
    ``mk_onset_1or2`` marks a new, distinct episode only; a profile starts the model with that
    episode just ended (:func:`~.profiles.history`), so the same perpetrator's renewed killing
    is the ongoing episode going on, not a new one, and only another perpetrator's counts."""
    return [e for e in episodes if e.perpetrator != ongoing]


def new_onset(episodes, ongoing: str | None) -> bool:
    """Whether a run's ``episodes`` hold an onset as the record's outcome counts one
    (:func:`counted`)."""
    return bool(counted(episodes, ongoing))


def after(episodes, warmup: int) -> list:
    """The ``episodes`` whose onset falls after the first ``warmup`` months of the run."""
    return [e for e in episodes if e.onset > warmup]


def _scenarios(batch: _Batch) -> list[Scenario] | _Invalid:
    """Each run's scenario: the row's, or with a posterior the row's under the run's drawn
    set, built once per distinct set (:func:`~.profiles.profile_of`); an :class:`_Invalid` if
    a drawn set made the scenario invalid."""
    if batch.recipe is None:
        return [batch.scenario] * len(batch.indices)
    r, built = batch.recipe, {}
    for j in batch.draws:
        if j not in built:
            links, overrides = split(r.sets[j])
            try:
                built[j] = profile_of(r.source, r.row, r.read, links, r.months, r.n_civilians,
                                      overrides).scenario
            except InputError as e:
                return _Invalid(j, e.source, e.problems)
    return [built[j] for j in batch.draws]


def _run_batch(batch: _Batch) -> list[bool] | _Invalid:
    """The onset flags of a batch's runs, stepped together ``BATCH_RUNS`` at a time
    (:mod:`escalation_sim.batch`: the same results as run by run), or the :class:`_Invalid`
    of its scenarios."""
    scenarios = _scenarios(batch)
    if isinstance(scenarios, _Invalid):
        return scenarios
    seeds = [run_seed(batch.seed, i) for i in batch.indices]
    flags = []
    for i in range(0, len(seeds), BATCH_RUNS):
        models = run_all(scenarios[i:i + BATCH_RUNS], seeds[i:i + BATCH_RUNS], batch.policy,
                         series=False)
        flags += [new_onset(after(m.violence.episodes, batch.warmup), batch.ongoing)
                  for m in models]
    return flags


def posterior_warmup(posterior: Posterior | None) -> int:
    """The warm-up, in months, of the calibration that fitted ``posterior`` (its metadata's
    ``calibration.sample.warmup``; 0 without a posterior, or for one fitted before warm-ups):
    a posterior's parameters are fitted to runs that warmed up so long, and are used so."""
    if posterior is None:
        return 0
    calibration = posterior.metadata.get("calibration")
    sample = calibration.get("sample") if isinstance(calibration, dict) else None
    warmup = sample.get("warmup", 0) if isinstance(sample, dict) else 0
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise InputError(posterior.source, [("metadata: calibration.sample.warmup",
                                             f"must be a whole number of months, 0 or more, "
                                             f"got {warmup!r}")])
    return warmup


def warmup_text(warmup: int) -> str:
    """How a report says the runs warmed up ("" without a warm-up)."""
    return f" after a {warmup}-month warm-up (not counted)" if warmup else ""


def task_runs(rows: int, runs: int, workers: int) -> int:
    """Runs per task: ``TASK_RUNS``, unless that makes fewer than four tasks per worker of a
    pool (``workers`` above 1), then ``BATCH_RUNS`` (more builds, but every worker busy).
    Results do not depend on it."""
    return (TASK_RUNS if workers <= 1 or rows * -(-runs // TASK_RUNS) >= 4 * workers
            else BATCH_RUNS)


def forecast(table: ProfileTable, runs: int = 100, months: int = FORECAST_MONTHS, seed: int = 0,
             n_civilians: int = FORECAST_CIVILIANS, executor: Executor | None = None,
             workers: int = 1, progress: Callable[[int], None] | None = None,
             links: ProfileLinks = LINK_DEFAULTS,
             rows: Sequence[int] | None = None,
             posterior: Posterior | None = None,
             policy: PolicyParams | None = None, warmup: int | None = None
             ) -> list[RowForecast]:
    """Forecast rows of ``table`` (all by default; else the 1-based ``rows``), in order.

    Args:
        table: a predictors file read by :func:`~.profiles.read_profiles`.
        runs: runs per row.
        months: the horizon.
        seed: the forecast's seed (see :func:`row_seed`).
        n_civilians: simulated civilians per run.
        executor: where runs run (None: in this process); ``workers`` sizes the work in flight.
        progress: called with the number of runs finished so far.
        links: the profile links' coefficients.
        rows: which data rows (1-based) to forecast.
        posterior: each run draws one parameter set of it by weight (:func:`draw_seed`), which
            replaces ``links`` and sets the fitted scenario fields.
        policy: interventions deployed in every run (none by default). The runs' seeds and
            drawn parameter sets do not depend on it, so two forecasts that differ only in
            the policy are paired run by run.
        warmup: months run before the horizon (each run lasts ``warmup + months``); an onset
            in them is not counted, and the run goes on from the state they left. A profile
            starts calm, while the record's country-years are in the middle of their
            histories (``benchmarks/onset_timing.py``). None: the posterior's
            (:func:`posterior_warmup`), else 0.

    Raises:
        WorkerLost: a batch's worker process kept dying.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if warmup is None:
        warmup = posterior_warmup(posterior)
    if warmup < 0:
        raise ValueError("warmup must be 0 or more months")
    chosen = list(range(1, len(table) + 1)) if rows is None else list(rows)
    length = warmup + months
    profiles = [profile_at(table, r, links, length, n_civilians) for r in chosen]
    flags: list[list[bool | None]] = [[None] * runs for _ in chosen]
    # with a posterior, each run's drawn set, as its task drew it
    picked: list[list[int]] = [[-1] * runs if posterior is not None else [] for _ in chosen]
    seeds = [row_seed(seed, p.profile, p.year) for p in profiles]
    # a batch carries its seed and its row's scenario (with a posterior, the row's values and
    # drawn sets instead, from which the worker builds the scenarios)
    size = task_runs(len(chosen), runs, 1 if executor is None else workers)
    batches = [_Batch(k, profiles[k].scenario, seeds[k], list(range(i, min(i + size, runs))),
                      policy=policy,
                      ongoing=ongoing_perpetrator(profiles[k].values, profiles[k].history),
                      warmup=warmup)
               for k in range(len(chosen)) for i in range(0, runs, size)]
    if posterior is not None:
        batches = _drawn(batches, table, chosen, posterior, length, n_civilians)
    finished = 0

    def take(batch: _Batch, result: list[bool] | _Invalid) -> None:
        nonlocal finished
        if isinstance(result, _Invalid):   # the parameter set made the profile invalid
            raise posterior.error(result.j, InputError(result.source, result.problems))
        at = slice(batch.indices[0], batch.indices[-1] + 1)   # a task's runs are consecutive
        flags[batch.k][at] = result
        if batch.draws:
            picked[batch.k][at] = batch.draws
        finished += len(batch.indices)
        if progress:
            progress(finished)

    def lost(batch: _Batch, cause: BaseException) -> None:
        what = (f"the worker process running them died {WORKER_RETRIES + 1} times"
                if isinstance(cause, BrokenExecutor) else "their task failed")
        raise WorkerLost(f"row {chosen[batch.k]}, runs {batch.indices[0]}-{batch.indices[-1]}: "
                         f"{what} ({type(cause).__name__}: {cause})")

    if executor is None:
        for b in batches:
            take(b, _run_batch(b))
    else:
        dispatch(batches, _run_batch, executor, take, lost, max_pending=2 * max(workers, 1) + 2)
    out = []
    for r, p, f, drawn in zip(chosen, profiles, flags, picked, strict=True):
        k = sum(bool(x) for x in f)
        lo, hi = wilson(k, runs)
        out.append(RowForecast(r, p.profile, p.year, runs, k, k / runs, lo, hi,
                               p.scenario.people_per_civilian, tuple(bool(x) for x in f),
                               tuple(drawn)))
    return out


def _drawn(batches: list[_Batch], table: ProfileTable, chosen: Sequence[int],
           posterior: Posterior, months: int, n_civilians: int) -> Iterator[_Batch]:
    """The batches with each run's drawn parameter set and the recipe of their scenarios
    (:class:`_Recipe`, built by the worker: :func:`_scenarios`), made as they are dispatched,
    so the parent holds only those in flight."""
    sets: dict[int, dict[str, float]] = {}
    for b in batches:
        drawn = tuple(posterior.draw(draw_seed(b.seed, i)) for i in b.indices)
        row = chosen[b.k]
        for j in set(drawn) - sets.keys():
            sets[j] = posterior.parameters(j)
        recipe = _Recipe(table.source, row, table.row(row), months, n_civilians,
                         {j: sets[j] for j in sorted(set(drawn))})
        yield _Batch(b.k, None, b.seed, b.indices, drawn, b.policy, b.ongoing, recipe, b.warmup)


def forecast_csv(rows: Sequence[RowForecast], posterior: str | None = None) -> bytes:
    """The forecast file: :data:`COLUMNS`, one line per row in input order, fixed decimals;
    ``posterior`` is the posterior file used (None: none)."""
    used = posterior or NO_POSTERIOR
    f = io.StringIO(newline="")
    w = csv.writer(f, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow([r.row, r.profile, r.year, r.n_runs, r.onsets, f"{r.p_onset:.6f}",
                    f"{r.p_onset_low:.6f}", f"{r.p_onset_high:.6f}",
                    f"{r.people_per_civilian:.3f}", used])
    return f.getvalue().encode()


def summary(rows: Sequence[RowForecast], **context) -> dict:
    """A small aggregate summary (no row is singled out). With a posterior (rows with
    ``draws``), ``parameter_split`` says how much of ``p_onset``'s spread within a row comes
    from the parameters (:func:`parameter_split`)."""
    p = np.array([r.p_onset for r in rows])
    ppc = np.array([r.people_per_civilian for r in rows])
    out = {**context, "rows": len(rows), "runs_per_row": rows[0].n_runs if rows else 0,
           "mean_p_onset": float(p.mean()) if len(p) else None,
           "rows_with_an_onset": int((p > 0).sum()),
           "people_per_civilian_median": float(np.median(ppc)) if len(ppc) else None,
           "note": NOTE_POSTERIOR if context.get("posterior") else NOTE}
    if rows and rows[0].draws:
        out["parameter_split"] = parameter_split(rows)
    return out


def parameter_split(rows: Sequence[RowForecast]) -> dict:
    """How much of a row's ``p_onset`` is parameter uncertainty, pooled over rows: the
    one-way random-effects split (:func:`~escalation_sim.outcomes.variance_split`) of the runs'
    onset flags grouped by drawn parameter set within each row (rows are strata): the average,
    over rows, of the sd of a row's p_onset between the posterior's parameter sets
    (``parameter_sd``) and its share of a run's variance (``parameter_share``); None where the
    runs per drawn set are too few to tell (``note`` says so)."""
    flags = np.concatenate([np.asarray(r.flags, float) for r in rows])
    groups = np.concatenate([np.asarray(r.draws) for r in rows])
    strata = np.repeat(np.arange(len(rows)), [len(r.flags) for r in rows])
    return {**parameter_fields(flags, groups, strata), **split_note(groups, strata)}
