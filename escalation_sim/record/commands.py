"""``escalation-sim record ...``: the calibration targets and the statistical baseline.

Registered by :mod:`escalation_sim.cli` (:func:`add_parser`, :func:`run`); this module imports
nothing heavy until a command runs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


class OptionError(Exception):
    """A bad option value (the command line prints it and exits with code 2)."""


def add_parser(sub) -> None:
    """Add the ``record`` command group to the top-level subparsers ``sub``."""
    r = sub.add_parser("record", help="the historical record (Early Warning Project data): "
                                      "calibration targets, statistical baseline")
    rsub = r.add_subparsers(dest="action", required=True, metavar="ACTION")
    t = rsub.add_parser("targets", help="calibration targets with intervals: onset rates, "
                                        "episode durations, onset rates by risk quintile")
    t.add_argument("--episodes", type=Path, default=None, metavar="FILE",
                   help="episode file (default: the shipped data/ewp/episodes_1946_2013.csv)")
    t.add_argument("--predictors", type=Path, default=None, metavar="FILE",
                   help="predictor file (default: the shipped "
                        "data/ewp/predictors_1960_2011.csv)")
    t.add_argument("--no-gradient", action="store_true",
                   help="leave out the onset rates by risk quintile (they fit the regression "
                        "six times: the slow part)")
    t.add_argument("--json", action="store_true", help="print the targets as JSON")
    b = rsub.add_parser("baseline", help="the statistical baseline (elastic-net logistic "
                                         "regression, the EWP's method), fitted before and "
                                         "tested after a split year")
    b.add_argument("--predictors", type=Path, default=None, metavar="FILE",
                   help="predictor file (default: the shipped "
                        "data/ewp/predictors_1960_2011.csv)")
    b.add_argument("--split-year", type=int, default=1995, metavar="YEAR",
                   help="fit on rows whose outcomes end by YEAR (rows up to YEAR - 2), test on "
                        "the rows after YEAR (default: %(default)s)")
    b.add_argument("--json", action="store_true", help="print the result as JSON")
    e = rsub.add_parser("evaluate", help="the model's p_onset (uncalibrated) against the "
                                         "record's onsets on a sample of rows: AUC, Brier")
    e.add_argument("--predictors", type=Path, default=None, metavar="FILE",
                   help="predictor file (default: the shipped "
                        "data/ewp/predictors_1960_2011.csv)")
    e.add_argument("--onsets", type=int, default=20,
                   help="rows with an onset in the next two years (default: %(default)s)")
    e.add_argument("--others", type=int, default=60,
                   help="rows without (default: %(default)s)")
    e.add_argument("--runs", type=int, default=20, help="runs per row (default: %(default)s)")
    e.add_argument("--civilians", type=int, default=None, metavar="N",
                   help="simulated civilians per run (default: the forecast's)")
    e.add_argument("--seed", type=int, default=0, help="seed (default: %(default)s)")
    e.add_argument("--workers", type=int, default=1,
                   help="local worker processes (default: %(default)s)")
    e.add_argument("--json", action="store_true", help="print the result as JSON")


def _print_json(obj: object) -> None:
    print(json.dumps(_clean(obj), indent=2, allow_nan=False))


def _clean(obj: object) -> object:
    """NaN (a quantile never reached, a rate with no rows) as ``null``: JSON has no NaN."""
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    return obj


def run(args: argparse.Namespace) -> int:
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
    if args.action == "evaluate":
        return _evaluate(args)
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


def _evaluate(args: argparse.Namespace) -> int:
    from ..runner import local_pool
    from .forecast import FORECAST_CIVILIANS, evaluate, format_evaluation

    for name in ("onsets", "others", "runs", "workers", "civilians"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise OptionError(f"--{name}: must be at least 1, got {value}")
    if args.seed < 0:
        raise OptionError(f"--seed: must be a non-negative integer, got {args.seed}")
    pool = local_pool(args.workers) if args.workers > 1 else None
    try:
        result = evaluate(args.predictors and str(args.predictors), args.onsets, args.others,
                          args.runs, seed=args.seed,
                          n_civilians=args.civilians or FORECAST_CIVILIANS, executor=pool,
                          workers=args.workers)
    except ValueError as e:
        raise OptionError(f"--onsets/--others: {e}") from None
    finally:
        if pool is not None:
            pool.shutdown()
    if args.json:
        _print_json(result.to_dict())
    else:
        print(format_evaluation(result))
    return 0
