"""``escalation-sim record ...``: the calibration targets, the statistical baseline, and the
validation of the model's forecasts against both within the record.

Registered by :mod:`escalation_sim.cli` (:func:`add_parser`, :func:`run`); this module imports
nothing heavy until a command runs.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path


class OptionError(Exception):
    """A bad option value (the command line prints it and exits with code 2)."""


def _add_predictors(parser) -> None:
    parser.add_argument("--predictors", type=Path, default=None, metavar="FILE",
                        help="predictor file (default: the shipped "
                             "data/ewp/predictors_1960_2011.csv)")


def add_parser(sub) -> None:
    """Add the ``record`` command group to the top-level subparsers ``sub``."""
    r = sub.add_parser("record", help="the historical record (Early Warning Project data): "
                                      "calibration targets, statistical baseline")
    rsub = r.add_subparsers(dest="action", required=True, metavar="ACTION")
    t = rsub.add_parser("targets", help="calibration targets with intervals: onset rates, "
                                        "episode durations, onset rates by risk quintile")
    t.add_argument("--episodes", type=Path, default=None, metavar="FILE",
                   help="episode file (default: the shipped data/ewp/episodes_1946_2013.csv)")
    _add_predictors(t)
    t.add_argument("--no-gradient", action="store_true",
                   help="leave out the onset rates by risk quintile (they fit the regression "
                        "six times: the slow part)")
    t.add_argument("--json", action="store_true", help="print the targets as JSON")
    c = rsub.add_parser("coups", help="the record's coup-attempt rates with intervals, and the "
                                      "model's coups in scenarios measured alike")
    c.add_argument("--scenario", action="append", default=[], metavar="NAME",
                   help="also run this scenario and measure its coups (repeatable)")
    c.add_argument("--runs", type=int, default=60, help="runs per scenario (default: "
                                                        "%(default)s; in-process)")
    c.add_argument("--seed", type=int, default=0,
                   help="seed of the runs and the resamples (default: %(default)s)")
    c.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                   help="override a field of every scenario run (repeatable)")
    _add_predictors(c)
    c.add_argument("--json", action="store_true", help="print the result as JSON")
    b = rsub.add_parser("baseline", help="the statistical baseline (elastic-net logistic "
                                         "regression, the EWP's method), fitted before and "
                                         "tested after a split year")
    _add_predictors(b)
    b.add_argument("--split-year", type=int, default=1995, metavar="YEAR",
                   help="fit on rows whose outcomes end by YEAR (rows up to YEAR - 2), test on "
                        "the rows after YEAR (default: %(default)s)")
    b.add_argument("--json", action="store_true", help="print the result as JSON")
    v = rsub.add_parser("validate", help="the model's p_onset on the years after a split "
                                         "(1996-2011) beside the baseline fitted before it: "
                                         "AUC, Brier score, calibration plot")
    v.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="directory for metrics.json, calibration.csv and calibration.png")
    _add_predictors(v)
    v.add_argument("--split-year", type=int, default=1995, metavar="YEAR",
                   help="fit on rows whose outcomes end by YEAR, test on the rows after it "
                        "(default: %(default)s)")
    v.add_argument("--posterior", default="shipped", metavar="FILE|shipped|none",
                   help="the model's parameters: a posterior file fitted on years up to the "
                        "split (each run draws a set); shipped (default): the fitted posterior "
                        "of calibration/; none: the declared values")
    v.add_argument("--sample", type=int, default=None, metavar="N",
                   help="a seeded random sample of N test rows, stratified by outcome "
                        "(default: all complete test rows)")
    _add_run_options(v, "row")
    v.add_argument("--bins", type=int, default=5,
                   help="calibration bins, equal counts by prediction (default: %(default)s)")
    v.add_argument("--json", action="store_true", help="print the metrics as JSON")
    e = rsub.add_parser("effect", help="a policy against another on the model's onset risk "
                                       "in a risk quintile of the record's profiles (paired "
                                       "runs; intervals over countries)")
    e.add_argument("--policy", required=True, metavar="NAME",
                   help="the policy (shipped: see `escalation-sim policies`)")
    e.add_argument("--against", default="none", metavar="NAME",
                   help="the policy it is set against (default: %(default)s)")
    e.add_argument("--quintile", type=int, default=5, metavar="Q",
                   help="risk quintile of the rows, 1 (lowest) to 5 (highest; default)")
    e.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="directory for effect.json")
    _add_predictors(e)
    e.add_argument("--posterior", default="shipped", metavar="FILE|shipped|none",
                   help="a posterior file: each run draws a parameter set, the same under both "
                        "policies; shipped (default): the fitted posterior of calibration/; "
                        "none: the declared values")
    e.add_argument("--sample", type=int, default=None, metavar="N",
                   help="a seeded random sample of N of the quintile's rows (default: all)")
    _add_run_options(e, "row and policy")
    e.add_argument("--json", action="store_true", help="print the result as JSON")


def _add_run_options(parser: argparse.ArgumentParser, per: str) -> None:
    """How ``validate`` and ``effect`` run the model: runs per ``per``, horizon, civilians, seed,
    and where (in-process, local workers, Dask)."""
    parser.add_argument("--runs", type=int, default=20,
                        help=f"runs per {per} (default: %(default)s)")
    parser.add_argument("--months", type=int, default=24,
                        help="horizon of a run in months (default: %(default)s, the EWP's two "
                             "years)")
    parser.add_argument("--civilians", type=int, default=None, metavar="N",
                        help="simulated civilians per run (default: the forecast's)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the sample, the runs and the resamples (default: "
                             "%(default)s)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local worker processes (default: 1, in-process)")
    parser.add_argument("--dask", default=None, metavar="ADDRESS|local:N",
                        help="run the model on a Dask scheduler at ADDRESS, or a local Dask "
                             "cluster of N workers (the same results as in-process)")
    parser.add_argument("--dask-timeout", type=float, default=None, metavar="SECONDS",
                        help="seconds to reach the Dask scheduler (default: 30)")


def _print_json(obj: object) -> None:
    from ..files import json_safe

    print(json.dumps(json_safe(obj), indent=2, allow_nan=False))


Executors = Callable[[argparse.Namespace], AbstractContextManager]
"""Where the runs of ``validate`` and ``effect`` run, from their ``--workers`` (one when neither
it nor ``--dask`` is given), ``--dask`` and ``--dask-timeout``: the CLI passes its
``executor_for`` (the experiment layer's local pool or Dask, which this layer may not import)."""


def run(args: argparse.Namespace, executors: Executors) -> int:
    if args.action == "targets":
        from .measure import format_targets, targets

        result = targets(episodes_file=args.episodes and str(args.episodes),
                         predictors_file=args.predictors and str(args.predictors),
                         gradient=not args.no_gradient)
        if args.json:
            _print_json(result.to_dict())
        else:
            print(format_targets(result))
        return 0
    if args.action == "coups":
        return _coups(args)
    if args.action == "validate":
        return _validate(args, executors)
    if args.action == "effect":
        return _effect(args, executors)
    from .data import load_predictors
    from .regression import SplitError, baseline, format_baseline

    predictors = load_predictors(args.predictors)
    try:
        result = baseline(predictors, split_year=args.split_year)
    except SplitError as e:
        raise OptionError(f"--split-year: {e}") from None
    if args.json:
        _print_json(result.to_dict())
    else:
        print(format_baseline(result))
    return 0


def _coups(args: argparse.Namespace) -> int:
    from ..scenario import load_scenario
    from .coups import format_coups, model_coups, record_coups

    if args.runs < 1:
        raise OptionError(f"--runs: must be at least 1, got {args.runs}")
    if args.seed < 0:
        raise OptionError(f"--seed: must be a non-negative integer, got {args.seed}")
    scenarios = [load_scenario(name, args.set) for name in args.scenario]
    record = record_coups(args.predictors, args.seed)
    models = [model_coups(s, args.runs, args.seed) for s in scenarios]
    if args.json:
        _print_json({"record": record, "model": models})
    else:
        print(format_coups(record, models))
    return 0


def _check_run_options(args: argparse.Namespace, counts: tuple[str, ...]) -> None:
    """The options ``validate`` and ``effect`` share, checked before any work: counts at least
    1, the seed, one of --workers and --dask, and an --out that can be made."""
    for name in counts:
        value = getattr(args, name)
        if value is not None and value < 1:
            raise OptionError(f"--{name}: must be at least 1, got {value}")
    if args.seed < 0:
        raise OptionError(f"--seed: must be a non-negative integer, got {args.seed}")
    if args.dask is not None and args.workers is not None:
        raise OptionError("--workers and --dask: give one of them")
    if args.dask_timeout is not None and not args.dask_timeout > 0:
        raise OptionError(f"--dask-timeout: must be a positive number of seconds, got "
                          f"{args.dask_timeout}")
    existing = args.out.absolute()   # before the work: an --out that cannot be made fails
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise OptionError(f"--out: cannot create {str(args.out)!r}: {str(existing)!r} is not a "
                          "writable directory")


def _report(args: argparse.Namespace, result, write_outputs: Callable, text: Callable) -> int:
    """Write a result's files into ``--out``, then print it (as JSON with ``--json``)."""
    try:
        files = write_outputs(result, args.out)
    except OSError as e:
        raise OptionError(f"--out: cannot write in {str(args.out)!r}: {e.strerror}") from None
    if args.json:
        _print_json({**result.to_dict(), "files": files})
    else:
        print(text(result))
        print("  files: " + "  ".join(files.values()))
    return 0


def _effect(args: argparse.Namespace, executors: Executors) -> int:
    from .effect import effect, format_effect, write_outputs
    from .forecast import FORECAST_CIVILIANS
    from .posterior import posterior_option

    _check_run_options(args, ("sample", "runs", "months", "workers", "civilians"))
    if not 1 <= args.quintile <= 5:
        raise OptionError(f"--quintile: must be 1 to 5, got {args.quintile}")
    posterior = posterior_option(args.posterior)
    try:
        with executors(args) as (executor, n):
            result = effect(args.policy, args.against, args.quintile, args.sample, args.runs,
                            args.months, args.seed, args.civilians or FORECAST_CIVILIANS,
                            posterior, executor, n, args.predictors)
    except ValueError as e:
        raise OptionError(f"--sample: {e}") from None
    return _report(args, result, write_outputs, format_effect)


def _validate(args: argparse.Namespace, executors: Executors) -> int:
    from .forecast import FORECAST_CIVILIANS
    from .posterior import posterior_option
    from .regression import SplitError
    from .validate import format_validation, validate, write_outputs

    _check_run_options(args, ("sample", "runs", "months", "workers", "civilians", "bins"))
    posterior = posterior_option(args.posterior)
    try:
        with executors(args) as (executor, n):
            result = validate(args.predictors, args.split_year, args.sample, args.runs,
                              args.months, args.seed, args.civilians or FORECAST_CIVILIANS,
                              posterior, executor, n, args.bins)
    except SplitError as e:
        raise OptionError(f"--split-year: {e}") from None
    except ValueError as e:
        raise OptionError(f"--sample: {e}") from None
    return _report(args, result, write_outputs, format_validation)
