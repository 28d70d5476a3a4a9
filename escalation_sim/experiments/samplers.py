"""Samplers: the points of an experiment, from SALib (latin, sobol, morris) or a full grid.

A parameter given by ``levels`` is categorical: the grid takes every level; the other samplers
draw a uniform number in ``[0, number of levels)`` and take the level at its integer part (the
usual treatment of a discrete factor in Sobol and Morris designs; the analysis sees the level's
index). A parameter given by ``range`` is continuous (optionally rounded to integers).

Every sampler is deterministic in the experiment seed: the same file gives the same points.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .schema import Experiment, Parameter


@dataclass(frozen=True)
class Design:
    """The sampled points of an experiment.

    ``x`` is the numeric design (points × parameters) as the samplers produced it — for a
    categorical parameter, the level's index — which is what SALib's analysis methods expect;
    ``points`` holds each point's actual values by path.
    """

    names: list[str]
    x: np.ndarray
    points: list[dict[str, Any]]
    problem: dict[str, Any]

    def __len__(self) -> int:
        return len(self.points)


def problem(exp: Experiment) -> dict[str, Any]:
    """The SALib problem definition (names, bounds, distributions) of an experiment."""
    bounds, dists = [], []
    for p in exp.parameters:
        if p.categorical:
            bounds.append([0.0, float(len(p.levels))])
            dists.append("unif")
        else:
            bounds.append([float(v) for v in p.range])
            dists.append(p.distribution)
    return {"num_vars": len(exp.parameters), "names": [p.path for p in exp.parameters],
            "bounds": bounds, "dists": dists}


def _grid_levels(p: Parameter) -> list[Any]:
    if p.categorical:
        return list(p.levels)
    values = np.linspace(p.range[0], p.range[1], p.steps)
    if p.integer:
        return sorted({int(round(v)) for v in values})
    return [float(v) for v in values]


def _value(p: Parameter, u: float) -> Any:
    if p.categorical:
        return p.levels[min(int(math.floor(u)), len(p.levels) - 1)]
    return int(round(u)) if p.integer else float(u)


def _salib(exp: Experiment, prob: dict[str, Any]) -> np.ndarray:
    from SALib.sample import latin, morris, sobol

    s = exp.sampler
    with warnings.catch_warnings():
        # SALib warns when N is not a power of two (the convergence of Sobol' sequences is
        # best at powers of two); the experiment's author chose N, so the warning is noise here.
        warnings.simplefilter("ignore", UserWarning)
        if s.method == "latin":
            return latin.sample(prob, s.samples, seed=exp.seed)
        if s.method == "sobol":
            return sobol.sample(prob, s.samples, calc_second_order=s.second_order,
                                seed=exp.seed)
        return morris.sample({k: v for k, v in prob.items() if k != "dists"}, s.samples,
                             num_levels=s.levels, seed=exp.seed)


def design_size(exp: Experiment) -> int:
    """The number of points :func:`sample` gives (an upper bound for a grid over an integer
    range, whose rounded levels may coincide), computed without sampling."""
    k = len(exp.parameters)
    if not k:
        return 1
    s = exp.sampler
    if s.method == "grid":
        return math.prod(len(p.levels) if p.categorical else p.steps for p in exp.parameters)
    if s.method == "latin":
        return s.samples
    if s.method == "sobol":
        return s.samples * (2 * k + 2 if s.second_order else k + 2)
    return s.samples * (k + 1)


def sample(exp: Experiment) -> Design:
    """The points of ``exp`` (no parameters: one point, the base scenario)."""
    prob = problem(exp)
    names = prob["names"]
    if not exp.parameters:
        return Design(names, np.zeros((1, 0)), [{}], prob)
    if exp.sampler.method == "grid":
        levels = [_grid_levels(p) for p in exp.parameters]
        combos = list(itertools.product(*[range(len(lv)) for lv in levels]))
        x = np.array([[lv[i] if not p.categorical else i
                       for p, lv, i in zip(exp.parameters, levels, c, strict=True)]
                      for c in combos], float)
        points = [{p.path: lv[i] for p, lv, i in zip(exp.parameters, levels, c, strict=True)}
                  for c in combos]
        return Design(names, x, points, prob)
    x = np.asarray(_salib(exp, prob), float)
    points = [{p.path: _value(p, u) for p, u in zip(exp.parameters, row, strict=True)}
              for row in x]
    return Design(names, x, points, prob)


def toml_value(v: Any) -> str:
    """A value as TOML text, for ``apply_override``."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if v != v else
                                                 ("inf" if v > 0 else "-inf"))
    return str(v)


def overrides(point: dict[str, Any]) -> list[str]:
    """A point as ``PATH=VALUE`` overrides."""
    return [f"{k}={toml_value(v)}" for k, v in point.items()]
