"""Parameters that calibration fits, and posterior files of them.

A fitted parameter is named either ``links.FIELD`` (a coefficient of
:class:`~.profiles.ProfileLinks`) or a scenario dotted path (``violence.state_orders``): a real
number of the schema with both bounds declared and a value that is an assumption or a cited
estimate (not a field a scenario or a policy describes, nor one a profile link sets: the link
would overwrite it). Its prior range is its declared bounds.

A posterior file is Parquet (never a pickle): one row per parameter set, one column per
parameter and ``weight``, and the calibration's record under the file's metadata key
``escalation_sim`` (JSON). :func:`read_posterior` checks a file a user hands in and names the
file and the column of any problem. :meth:`Posterior.draw` picks a parameter set by weight from
a seed, so a run's draw is reproducible.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..params import Scenario
from ..rng import run_seed
from ..scenario import load_scenario, schema_at
from .profiles import LINKS, ProfileLinks

LINKS_PREFIX = "links."
WEIGHT = "weight"
METADATA_KEY = b"escalation_sim"
SHIPPED = "shipped"
"""``--posterior shipped``: the fitted posterior that comes with the package."""
SHIPPED_SOURCE = "shipped (calibration/posterior.parquet)"
"""What outputs call the shipped posterior (the same in every checkout and install, so that
identical runs write identical files and no output holds a path of the machine)."""
_HERE = Path(__file__).resolve().parent
SHIPPED_FILES = (_HERE.parent.parent / "calibration" / "posterior.parquet",
                 _HERE.parent / "_data" / "calibration" / "posterior.parquet")
"""Where the shipped posterior is found: the repository's ``calibration/`` (made by
``escalation-sim calibrate experiments/calibration.toml``), or the copy in a wheel."""
FITTABLE_VALUES = ("assumption", "calibrated")
"""Value sources a fitted parameter may have, besides a cited estimate ("cited: ...")."""
LINK_SET = {f: link.name for link in LINKS for f in link.sets}
"""Scenario fields a profile link sets (not fitted directly: fit the link's coefficients)."""


@dataclass(frozen=True, slots=True)
class Fitted:
    """A parameter that can be fitted: its declared bounds, unit, meaning and value source."""

    name: str
    low: float
    high: float
    unit: str
    meaning: str
    value: str
    open_low: bool = False    # the lower bound excluded (declared gt rather than ge)
    open_high: bool = False

    def admits(self, x):
        """Whether ``x`` (a number or an array, elementwise) lies within the declared bounds,
        an open bound excluded."""
        return (self.low < x if self.open_low else self.low <= x) & (
            x < self.high if self.open_high else x <= self.high)

    def bounds(self) -> str:
        """The declared bounds as an interval: ``(0, 1]`` where the lower bound is open."""
        return (f"{'(' if self.open_low else '['}{self.low:g}, {self.high:g}"
                f"{')' if self.open_high else ']'}")


def _bound(metadata: Sequence[Any], *names: str) -> float | None:
    for m in metadata:
        for n in names:
            v = getattr(m, n, None)
            if v is not None:
                return float(v)
    return None


def fitted(name: str) -> Fitted:
    """The fittable parameter ``name``, or ``ValueError`` saying why it cannot be fitted."""
    if name.startswith(LINKS_PREFIX):
        key = name.removeprefix(LINKS_PREFIX)
        field = ProfileLinks.model_fields.get(key)
        if field is None:
            raise ValueError(f"{name!r} is not a profile link coefficient (ProfileLinks)")
    else:
        if name in LINK_SET:
            raise ValueError(f"{name!r} is set by the profile link {LINK_SET[name]!r}; fit that "
                             "link's coefficients (links.*) instead")
        field, role, _ = schema_at(name.split("."), Scenario)
        if field is None or role != "field":
            raise ValueError(f"{name!r} is not a parameter of the scenario schema (a dotted "
                             "path of sections, e.g. violence.state_orders)")
    if field.annotation is not float:
        raise ValueError(f"{name!r} is not a real number (only real-valued parameters are "
                         "fitted)")
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    value = str(extra.get("value", ""))
    if value not in FITTABLE_VALUES and not value.startswith("cited: "):
        raise ValueError(f"{name!r} has value source {value!r}: it describes a scenario or a "
                         "policy, it is not a coefficient to fit")
    low, high = _bound(field.metadata, "ge", "gt"), _bound(field.metadata, "le", "lt")
    if low is None or high is None:
        raise ValueError(f"{name!r} has no declared lower and upper bound (a prior needs both)")
    return Fitted(name, low, high, str(extra.get("unit", "")), field.description or "", value,
                  _bound(field.metadata, "ge") is None, _bound(field.metadata, "le") is None)


def split(values: Mapping[str, float]) -> tuple[ProfileLinks, list[str]]:
    """A parameter set as the profile links and the ``PATH=VALUE`` overrides of the scenario."""
    links = {k.removeprefix(LINKS_PREFIX): float(v) for k, v in values.items()
             if k.startswith(LINKS_PREFIX)}
    overrides = [f"{k}={float(v)!r}" for k, v in values.items()
                 if not k.startswith(LINKS_PREFIX)]
    return ProfileLinks(**links), overrides


@dataclass(frozen=True, eq=False)
class Posterior:
    """A weighted sample of parameter sets (``values[i]`` has ``weights[i]``)."""

    source: str
    names: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    metadata: dict
    path: str = ""   # the file it was read from (``source`` may name it otherwise)

    def __len__(self) -> int:
        return len(self.weights)

    def draw(self, seed: int) -> int:
        """The index of a parameter set drawn by weight, from ``seed`` alone (one uniform)."""
        u = np.random.default_rng(seed).random()
        cumulative = np.cumsum(self.weights)
        return int(min(np.searchsorted(cumulative, u * cumulative[-1], side="right"),
                       len(self) - 1))

    def parameters(self, i: int) -> dict[str, float]:
        return {n: float(v) for n, v in zip(self.names, self.values[i], strict=True)}

    def error(self, i: int, e: InputError) -> InputError:
        """``e``, a scenario that parameter set ``i`` made invalid, as an error of this file:
        its row and the scenario's field (a posterior's column, or a field checked with one),
        and the scenario it was applied to."""
        return InputError(self.source, [
            (f"row {i + 1}" + (f", {field}" if field else ""),
             f"{problem} (this parameter set applied to {e.source})")
            for field, problem in e.problems])


def with_fixed(posterior: Posterior | None, values: Mapping[str, float]) -> Posterior:
    """``posterior`` with ``values`` (parameter name to value) the same in every parameter set,
    replacing its own columns of those names; without a posterior, one set of ``values``. For
    screens that hold a few coefficients at chosen values and draw the rest."""
    if posterior is None:
        posterior = Posterior("none", (), np.zeros((1, 0)), np.ones(1), {})
    keep = [i for i, n in enumerate(posterior.names) if n not in values]
    fixed = np.tile(np.array(list(values.values()), dtype=float), (len(posterior), 1))
    return dataclasses.replace(posterior, names=(*[posterior.names[i] for i in keep], *values),
                               values=np.column_stack([posterior.values[:, keep], fixed]))


DRAW_STREAM = 0x5EED
"""Mixed into a run's seed for its posterior draw, so the draw and the run's own random numbers
come from different streams."""


def draw_seed(seed: int, i: int) -> int:
    """The seed of run ``i``'s posterior draw, from the seed of the run's batch (an ensemble's
    seed, a forecast row's) and the run index only: the same run draws the same parameter set
    under every policy and on any worker."""
    return run_seed(run_seed(seed, i), DRAW_STREAM)


def draws(posterior: Posterior, seed: int, runs: int) -> list[int]:
    """The parameter set (row index) each of ``runs`` runs of a batch seeded ``seed`` draws."""
    return [posterior.draw(draw_seed(seed, i)) for i in range(runs)]


def clashes(posterior: Posterior, overrides: Sequence[str]) -> list[str]:
    """The posterior's columns that ``--set`` overrides (``PATH=VALUE``) also set, a whole
    section included (``violence={state_orders=0.5}``), in the posterior's order."""
    from ..scenario import apply_override, flatten

    layer: dict = {}
    for assignment in overrides:
        apply_override(layer, assignment)
    set_paths = set(flatten(layer))
    return [n for n in scenario_columns(posterior) if n in set_paths]


def drawn_scenarios(posterior: Posterior, name: str, overrides: Sequence[str], seed: int,
                    runs: int) -> list[Scenario]:
    """One scenario per run of an ensemble of ``name`` (with ``overrides``): run ``i`` with the
    scenario coefficients of its drawn parameter set (one scenario built per distinct draw).
    Link coefficients (``links.*``) describe how a predictors row becomes a profile, so they
    apply to profiles (``forecast``) only, not to a named scenario.

    An override of a parameter the posterior fits is refused (``ValueError`` naming the
    fields): each run takes the drawn value, so the override would be silently ignored, and
    fixing one parameter while drawing the others from a joint posterior fitted with it free is
    not that posterior."""
    clash = clashes(posterior, overrides)
    if clash:
        raise ValueError(f"--set {', '.join(clash)}: the posterior {posterior.source} sets "
                         f"{'this parameter' if len(clash) == 1 else 'these parameters'} in "
                         "every parameter set (fitted, or held at one value; each run takes "
                         "its drawn set's); drop the --set, or run without the posterior "
                         "(--posterior none)")
    built: dict[int, Scenario] = {}
    out = []
    for j in draws(posterior, seed, runs):
        if j not in built:
            _, fitted_overrides = split(posterior.parameters(j))
            try:
                built[j] = load_scenario(name, [*overrides, *fitted_overrides])
            except InputError as e:
                raise posterior.error(j, e) from None
        out.append(built[j])
    return out


def drawn_scenario(posterior: Posterior, scenario: Scenario, seed: int) -> tuple[Scenario, int]:
    """``scenario`` with the scenario coefficients of the parameter set that a run seeded
    ``seed`` draws (the draw of run 0 of a batch seeded ``seed``: the same set, not the same
    run), and that set's index. The trainer's run: its exported scenario then holds the drawn
    values. Link coefficients act on profiles only and are left out, as in
    :func:`drawn_scenarios`."""
    from ..scenario import with_assignments

    j = draws(posterior, seed, 1)[0]
    try:
        return with_assignments(scenario, split(posterior.parameters(j))[1], scenario.name), j
    except InputError as e:
        raise posterior.error(j, e) from None


def scenario_columns(posterior: Posterior) -> list[str]:
    """The posterior's scenario coefficients (the columns that are not ``links.*``)."""
    return [n for n in posterior.names if not n.startswith(LINKS_PREFIX)]


def write_posterior(path: Path, names: Sequence[str], values: np.ndarray, weights: np.ndarray,
                    metadata: dict) -> bytes:
    """The posterior as Parquet bytes (written to ``path`` too): the columns and the metadata."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..files import write_bytes_atomic

    columns = {n: pa.array(values[:, j], pa.float64()) for j, n in enumerate(names)}
    columns[WEIGHT] = pa.array(weights, pa.float64())
    table = pa.table(columns).replace_schema_metadata(
        {METADATA_KEY: json.dumps(metadata, sort_keys=True).encode()})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    data = buf.getvalue()
    write_bytes_atomic(path, data)
    return data


def read_posterior(path: str | Path) -> Posterior:
    """Read and check a posterior file (Parquet): a ``weight`` column of finite, non-negative
    numbers with a positive sum, and one column per fittable parameter, each value finite and
    within the parameter's bounds. Errors name the file and the column (:class:`InputError`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = str(path)
    if not Path(path).is_file():
        raise InputError(source, [("", "no such posterior file")])
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise InputError(source, [("", f"not a Parquet posterior file ({str(e)[:120]})")]
                         ) from None
    problems: list[tuple[str, str]] = []
    names = [c for c in table.column_names if c != WEIGHT]
    if WEIGHT not in table.column_names:
        problems.append((f"column {WEIGHT}", "missing (each parameter set's weight)"))
    if not names:
        problems.append(("", "no parameter columns"))
    if table.num_rows == 0:
        problems.append(("", "no rows (no parameter sets)"))
    if problems:
        raise InputError(source, problems)

    def numbers(column: str) -> np.ndarray | None:
        col = table.column(column)
        if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)):
            problems.append((f"column {column}", f"not numbers (type {col.type})"))
            return None
        x = col.to_numpy(zero_copy_only=False).astype(np.float64)
        if not np.isfinite(x).all():
            problems.append((f"column {column}", "has missing or non-finite values"))
            return None
        return x

    weights = numbers(WEIGHT)
    if weights is not None and ((weights < 0).any() or not weights.sum() > 0):
        problems.append((f"column {WEIGHT}", "weights must be non-negative with a positive sum"))
    values = []
    for name in names:
        try:
            f = fitted(name)
        except ValueError as e:
            problems.append((f"column {name}", str(e)))
            continue
        x = numbers(name)
        if x is None:
            continue
        bad = np.flatnonzero(~f.admits(x))
        if len(bad):
            problems.append((f"column {name}", f"{x[bad[0]]:g} (row {bad[0] + 1}) is outside "
                                               f"the parameter's bounds {f.bounds()}"))
        values.append(x)
    for i in range(table.num_rows if not problems else 0):
        try:
            split(dict(zip(names, (v[i] for v in values), strict=True)))
        except ValueError as e:  # a cross-field check of ProfileLinks
            problems.append((f"row {i + 1}", str(e).splitlines()[-1]))
            break
    if problems:
        raise InputError(source, problems)
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    try:
        metadata = json.loads(raw) if raw else {}
    except ValueError:
        metadata = {}
    return Posterior(source, tuple(names), np.column_stack(values), weights,
                     metadata if isinstance(metadata, dict) else {}, source)


class NotInstalled(InputError):
    """No shipped posterior in this copy of escalation-sim (the message advises the command
    line; an experiment file's reader says it in its own terms)."""


def shipped_posterior() -> Path:
    """The path of the shipped posterior (:data:`SHIPPED_FILES`), or :class:`NotInstalled`."""
    for f in SHIPPED_FILES:
        if f.is_file():
            return f
    raise NotInstalled("calibration/posterior.parquet", [
        ("", "no fitted posterior is installed with this copy of escalation-sim; pass "
             "--posterior FILE (a calibrate output) or --posterior none (the declared values)")])


def posterior_option(value: str) -> Posterior | None:
    """The posterior a ``--posterior`` option names: ``none`` (None: the declared values),
    ``shipped`` (the fitted posterior of :func:`shipped_posterior`) or a file, checked."""
    from dataclasses import replace

    if value == "none":
        return None
    if value == SHIPPED:
        return replace(read_posterior(shipped_posterior()), source=SHIPPED_SOURCE)
    return read_posterior(value)


def weighted_summary(values: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    """Weighted mean and 2.5 / 50 / 97.5 % quantiles of one parameter's sample."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order] / weights.sum()
    cdf = np.cumsum(w)

    def q(p: float) -> float:
        return float(v[min(np.searchsorted(cdf, p), len(v) - 1)])

    return {"mean": float(np.sum(v * w)), "q025": q(0.025), "median": q(0.5),
            "q975": q(0.975)}


def finite(x: float) -> float | None:
    """``x``, or None where it is not a finite number (JSON has no NaN)."""
    return x if isinstance(x, float | int) and math.isfinite(x) else None
