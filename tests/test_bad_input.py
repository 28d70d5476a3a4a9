"""Input that cannot break the tool: malformed scenario files, made by mutating the shipped ones,
each get one clear message (file, dotted field or line and column, problem), exit code 2 and no
traceback; valid scenarios round-trip through TOML.

The mutations are generic: they find required fields, bounded numbers and references (fields whose
unit is a kind of name, e.g. "group name", "armed group name") from the schema itself, through
the package's own schema walker (``scenario.schema_at``, the one behind "did you mean") and
bounds (``docs.constraints``, the ones the parameter tables show), so new fields are exercised
without changing this test.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import tempfile
import tomllib
import typing
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import tomli_w
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic.fields import FieldInfo

from escalation_sim.cli import main
from escalation_sim.docs import constraints, fields
from escalation_sim.export import json_text
from escalation_sim.scenario import (
    available,
    dump_scenario,
    load_scenario,
    peak_bytes,
    resolve,
    schema_at,
)

pytestmark = pytest.mark.slow   # ensembles, subprocesses or a browser: the slow tier

SHIPPED = available()
RESOLVED = {n: load_scenario(n).model_dump(mode="json", exclude_none=True) for n in SHIPPED}
TEXT = {n: resolve(n).read_text(encoding="utf-8") for n in SHIPPED}
Path_ = tuple[str | int, ...]


# ---- the schema at a path ---------------------------------------------------------------------

def field_at(path: Path_) -> FieldInfo | None:
    """The field a data path ends in (None if it leaves the schema)."""
    return schema_at(path)[0]


def is_section_key(path: Path_) -> bool:
    """The last part is a schema key (not a list index, not a free policy name)."""
    return schema_at(path)[1] == "field"


def paths(data: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every key and list item below ``data``."""
    out: list[Path_] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    for k, v in items:
        out.append((*prefix, k))
        out += paths(v, (*prefix, k))
    return out


def get(data: Any, path: Path_) -> Any:
    for p in path:
        data = data[p]
    return data


def put(data: Any, path: Path_, value: Any) -> None:
    get(data, path[:-1])[path[-1]] = value


def dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def bounds(field: FieldInfo) -> tuple[float | None, float | None, bool, bool]:
    """(low, high, low is open, high is open) of a number field."""
    c = constraints(field)
    return c.get("gt", c.get("ge")), c.get("lt", c.get("le")), "gt" in c, "lt" in c


def is_reference(field: FieldInfo) -> bool:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return "name" in str(extra.get("unit", ""))


# ---- mutations: each returns (files to write, the file to validate, the field it breaks) ------

Case = tuple[dict[str, str], str, str | None]
word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)


def as_file(data: dict[str, Any]) -> dict[str, str]:
    return {"s.toml": tomli_w.dumps(data)}


@st.composite
def delete_required(draw) -> Case:
    data = RESOLVED[draw(st.sampled_from(SHIPPED))]
    choices = [p for p in paths(data) if is_section_key(p) and field_at(p).is_required()]
    p = draw(st.sampled_from(choices))
    data = _copy(data)
    del get(data, p[:-1])[p[-1]]
    return as_file(data), "s.toml", dotted(p)


@st.composite
def rename_key(draw) -> Case:
    data = _copy(RESOLVED[draw(st.sampled_from(SHIPPED))])
    p = draw(st.sampled_from([p for p in paths(data) if is_section_key(p)]))
    name = p[-1]
    i = draw(st.integers(0, len(name)))
    typo = draw(st.sampled_from([name[:i] + draw(word)[0] + name[i:],  # insert a letter
                                 name[:i] + name[i + 1:],              # drop a letter
                                 name + "s"]))
    parent = get(data, p[:-1])
    assume(typo and typo not in parent and field_at((*p[:-1], typo)) is None)
    parent[typo] = parent.pop(name)
    return as_file(data), "s.toml", dotted((*p[:-1], typo))


WRONG = {bool: "maybe", int: "ten", float: "ten", str: 12345, list: "not a list"}


@st.composite
def wrong_type(draw) -> Case:
    data = _copy(RESOLVED[draw(st.sampled_from(SHIPPED))])
    p = draw(st.sampled_from([p for p in paths(data) if field_at(p) is not None]))
    value = get(data, p)
    if isinstance(value, dict):
        bad: Any = 7  # a section (or a policy) given a number
    else:
        bad = draw(st.sampled_from([{"oops": 1}, WRONG[type(value)]]))
    put(data, p, bad)
    return as_file(data), "s.toml", dotted(p)


@st.composite
def out_of_range(draw) -> Case:
    data = _copy(RESOLVED[draw(st.sampled_from(SHIPPED))])
    choices = [p for p in paths(data) if is_section_key(p)
               and isinstance(get(data, p), int | float) and not isinstance(get(data, p), bool)
               and any(b is not None for b in bounds(field_at(p))[:2])]
    p = draw(st.sampled_from(choices))
    lo, hi, lo_open, hi_open = bounds(field_at(p))
    integer = field_at(p).annotation is int
    step = draw(st.integers(1, 10**9)) if integer else draw(
        st.floats(1e-6, 1e12, allow_nan=False))
    above = hi is not None and (lo is None or draw(st.booleans()))
    value = (hi + (0 if hi_open else step)) if above else (lo - (0 if lo_open else step))
    if (above and hi_open) or (not above and lo_open):
        value = hi if above else lo  # the open bound itself is out of range
    put(data, p, int(value) if integer else float(value))
    return as_file(data), "s.toml", dotted(p)


@st.composite
def break_reference(draw) -> Case:
    data = _copy(RESOLVED[draw(st.sampled_from(SHIPPED))])
    choices = [p for p in paths(data) if field_at(p) is not None and is_reference(field_at(p))
               and isinstance(get(data, p), str)]
    p = draw(st.sampled_from(choices))
    put(data, p, "zz" + draw(word))
    return as_file(data), "s.toml", dotted(p)


@st.composite
def unknown_section(draw) -> Case:
    data = _copy(RESOLVED[draw(st.sampled_from(SHIPPED))])
    tables = [()] + [p for p in paths(data) if isinstance(get(data, p), dict)]
    p = draw(st.sampled_from(tables))
    key = "zz" + draw(word)
    get(data, p)[key] = draw(st.sampled_from([1, "x", {"a": 1}, [1, 2]]))
    return as_file(data), "s.toml", dotted((*p, key))


CORRUPTIONS = ["key = ", "[unclosed", "= 3", 'x = "unterminated', "x = 1 2", "[[]]",
               "name = 'twice'\nname = 'twice'", "a = [1, 2", "b = { c = 1", "\x00"]


@st.composite
def syntax_error(draw) -> Case:
    name = draw(st.sampled_from(SHIPPED))
    lines = TEXT[name].splitlines()
    i = draw(st.integers(0, len(lines)))
    text = "\n".join([*lines[:i], draw(st.sampled_from(CORRUPTIONS)), *lines[i:]]) + "\n"
    try:
        tomllib.loads(text)
        assume(False)  # landed inside a multi-line string: still valid TOML
    except tomllib.TOMLDecodeError:
        pass
    return {"s.toml": text}, "s.toml", None


@st.composite
def cycle(draw) -> Case:
    k = draw(st.integers(1, 4))
    names = [f"c{i}.toml" for i in range(k)]
    body = draw(st.sampled_from(["", 'name = "x"\n', "[run]\nmonths = 12\n"]))
    files = {n: f'extends = "{names[(i + 1) % k]}"\n{body}' for i, n in enumerate(names)}
    return files, names[0], "extends"


@st.composite
def absurd_size(draw) -> Case:
    data = _copy(RESOLVED[draw(st.sampled_from(SHIPPED))])
    data["run"]["n_civilians"] = draw(st.integers(5_000_001, 10**18))
    return as_file(data), "s.toml", "run.n_civilians"


@st.composite
def non_finite(draw) -> Case:
    """inf, -inf or nan (all valid TOML) in any number of the file, list items included."""
    data = _copy(RESOLVED[draw(st.sampled_from(SHIPPED))])
    choices = [p for p in paths(data) if field_at(p) is not None
               and isinstance(get(data, p), int | float) and not isinstance(get(data, p), bool)]
    p = draw(st.sampled_from(choices))
    put(data, p, draw(st.sampled_from([math.inf, -math.inf, math.nan])))
    return as_file(data), "s.toml", dotted(p)


def _copy(data: Any) -> Any:
    return tomllib.loads(tomli_w.dumps(data))


MUTATIONS = st.one_of(delete_required(), rename_key(), wrong_type(), out_of_range(),
                      break_reference(), unknown_section(), syntax_error(), cycle(),
                      absurd_size(), non_finite())
LINE = re.compile(r"(?P<field>[A-Za-z_][\w]*(\.[\w]+)*): (?P<problem>.+)")


def validate_cli(path: Path) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(["scenarios", "validate", str(path)])
    return code, err.getvalue() + out.getvalue()


def check_message(code: int, text: str, path: Path, field: str | None) -> None:
    assert code == 2, text
    assert "Traceback" not in text and text.strip(), text
    lines = text.strip().splitlines()
    problems = []
    for line in lines:
        assert line.startswith(f"{path}: "), (line, text)
        rest = line.removeprefix(f"{path}: ")
        if field is None:
            assert re.search(r"TOML syntax error: .+line \d+, column \d+", rest), text
            continue
        m = LINE.fullmatch(rest)
        assert m, f"no dotted field in {line!r}"
        problems.append(m["field"])
    if field is not None:
        # the mutated field is named (a reference check may name its list; a missing section
        # the section)
        assert any(f == field or field.startswith(f + ".") or f.startswith(field + ".")
                   for f in problems), (field, text)


@settings(max_examples=500, deadline=None,
          suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(MUTATIONS)
def test_every_malformed_file_gets_one_clear_message(case):
    files, target, field = case
    with tempfile.TemporaryDirectory() as d:
        d = Path(d).resolve()
        for name, text in files.items():
            (d / name).write_text(text, encoding="utf-8")
        code, text = validate_cli(d / target)
    check_message(code, text, d / target, field)
    if field and field.rsplit(".", 1)[-1].startswith("zz") and "unknown key" in text:
        assert "did you mean" in text or "allowed keys are" in text, text


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(SHIPPED), st.floats(1e-6, 1.2))
def test_a_population_that_cannot_fit_in_memory_is_refused_before_allocation(name, free):
    """With less memory available than 1 / MEMORY_SHARE (1.25) times a model's estimated peak,
    the scenario is refused with a message naming run.n_civilians, and nothing is built."""
    need = peak_bytes(load_scenario(name))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d).resolve() / "s.toml"
        path.write_text(tomli_w.dumps(RESOLVED[name]), encoding="utf-8")
        with mock.patch("escalation_sim.scenario.available_memory",
                        return_value=int(free * need)), \
                mock.patch("escalation_sim.model.EscalationModel.__init__") as build:
            code, text = validate_cli(path)
        build.assert_not_called()
    check_message(code, text, path, "run.n_civilians")
    assert "GiB" in text and "available" in text


def test_memory_estimate_matches_the_benchmark():
    """456 B per civilian at the default degree 8 was measured while building 10^6 civilians."""
    s = load_scenario("default", ["run.n_civilians=1000000"])
    assert abs(peak_bytes(s) / 1e6 - 456) < 1


def test_every_shipped_scenario_round_trips_through_toml(tmp_path):
    for name in SHIPPED:
        first = load_scenario(name)
        path = tmp_path / f"{name}.toml"
        path.write_text(dump_scenario(first), encoding="utf-8")
        again = load_scenario(path)
        assert again == first, name
        assert again.model_dump() == first.model_dump(), name
        assert dump_scenario(again) == dump_scenario(first), name


# ---- finite, bounded numbers -------------------------------------------------------------------

def _numbers(annotation: Any) -> list[Any]:
    """The int/float types inside an annotation, with the metadata of an Annotated item."""
    if annotation in (int, float):
        return [annotation]
    return [a for arg in typing.get_args(annotation) for a in _numbers(arg)]


def test_every_number_in_the_schema_is_bounded_on_both_sides():
    """Population, scales, budgets and months included: no field takes an absurd magnitude
    (and, through the schema's base config, none takes inf or nan)."""
    unbounded = []
    for path, field in fields():
        if not _numbers(field.annotation):
            continue
        c = dict(constraints(field))
        for arg in typing.get_args(field.annotation):   # list[Annotated[float, Field(...)]]
            for m in typing.get_args(arg)[1:]:
                if isinstance(m, FieldInfo):
                    c.update(constraints(m))
        if not ({"ge", "gt"} & set(c) and {"le", "lt"} & set(c)):
            unbounded.append(path)
    assert not unbounded, unbounded


@pytest.mark.parametrize("assignment,field", [
    ("run.population=inf", "run.population"), ("run.population=1e308", "run.population"),
    ("run.population=nan", "run.population"), ("stages.killing_scale=inf", "stages.killing_scale"),
    ("international.stage_cost=[1.0, 1.0, 3.0, inf]", "international.stage_cost.3"),
    ("groups.A.share=nan", "groups.0.share"),
    ("policies.mine={interventions=[{kind='preventive_diplomacy', intensity=nan}]}",
     "policies.mine.interventions.0.intensity"),
])
def test_infinite_nan_and_absurd_values_are_refused(assignment, field):
    code, text = cli(["run", "--set", assignment, "--out", "/nonexistent/never-written"])
    assert code == 2 and "Traceback" not in text, text
    assert f": {field}: " in text and len(text.strip().splitlines()) == 1, text


def cli(argv: list[str]) -> tuple[int, str]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    return code, err.getvalue() + out.getvalue()


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def test_json_output_maps_undefined_numbers_to_null():
    import numpy as np

    text = json_text({"p": math.nan, "high": math.inf, "x": np.float64("-inf"),
                      "n": np.int64(3), "v": np.array([1.0, np.nan]), "t": (0.5, None)})
    assert strict_json(text) == {"p": None, "high": None, "x": None, "n": 3, "v": [1.0, None],
                                 "t": [0.5, None]}


def test_json_outputs_of_the_commands_are_strict_json(tmp_path):
    """An ensemble of one run has undefined intervals: they are null, never NaN."""
    small = ["--set", "run.n_civilians=500", "--set", "run.months=24",
             "--set", "events.scheduled=[]", "--out", str(tmp_path), "--json"]
    code, text = cli(["run", *small])
    assert code == 0 and strict_json(text)["outcome"]["months"] == 24
    with mock.patch("escalation_sim.cli.summarize",
                    side_effect=lambda outcomes, **_: {"deaths": {"mean": math.nan}}):
        code, text = cli(["ensemble", "--runs", "1", "--workers", "1", *small])
    assert code == 0 and strict_json(text)["summary"] == {"deaths": {"mean": None}}


# ---- experiment files: distributions, policies, numbers ----------------------------------------

EXPERIMENT = 'name = "x"\nreplications = 1\n'


@pytest.mark.parametrize("body,field,problem", [
    ('[sampler]\nmethod = "latin"\n[[parameters]]\npath = "government.inclusiveness"\n'
     'distribution = "norm"\nrange = [0.5, -0.1]\n', "parameters.0.range",
     "standard deviation must be above 0"),
    ('[sampler]\nmethod = "latin"\n[[parameters]]\npath = "government.inclusiveness"\n'
     'distribution = "norm"\nrange = [0.5, 0]\n', "parameters.0.range",
     "standard deviation must be above 0"),
    ('[sampler]\nmethod = "latin"\n[[parameters]]\npath = "government.inclusiveness"\n'
     'distribution = "lognorm"\nrange = [0.5, -1]\n', "parameters.0.range",
     "standard deviation must be above 0"),
    ('[sampler]\nmethod = "latin"\n[[parameters]]\npath = "government.inclusiveness"\n'
     'distribution = "truncnorm"\nrange = [0, 1, 0.5, -1]\n', "parameters.0.range",
     "standard deviation must be above 0"),
    ('[sampler]\nmethod = "latin"\n[[parameters]]\npath = "government.inclusiveness"\n'
     'distribution = "truncnorm"\nrange = [1, 0, 0.5, 0.1]\n', "parameters.0.range",
     "low must be below high"),
    ('[sampler]\nmethod = "latin"\n[[parameters]]\npath = "government.inclusiveness"\n'
     'distribution = "triang"\nrange = [0, 1, 1.5]\n', "parameters.0.range", "peak"),
    ('[sampler]\nmethod = "latin"\n[[parameters]]\npath = "government.inclusiveness"\n'
     'distribution = "triang"\nrange = [-2, -1, 0.5]\n', "parameters.0.range", "ends at 0"),
    ('[[parameters]]\npath = "government.inclusiveness"\nlevels = [0.2, inf]\n',
     "parameters.0.levels", "numbers must be finite, got inf"),
    ('[[parameters]]\npath = "government.inclusiveness"\nrange = [0.2, nan]\nsteps = 2\n',
     "parameters.0.range.1", "finite number"),
    ('[outputs]\ntime_limit = inf\n', "outputs.time_limit", "finite number"),
    ('policies = ["none", "nosuch"]\n', "policies.1", "unknown policy 'nosuch'"),
])
def test_bad_experiment_is_one_line_naming_file_and_field(tmp_path, body, field, problem):
    """Before: a SALib traceback for a non-positive sd, every run failed for inf levels, and an
    unknown policy reported as '--policy nosuch'."""
    path = tmp_path / "e.toml"
    path.write_text(EXPERIMENT + body, encoding="utf-8")
    code, text = cli(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"])
    assert code == 2 and "Traceback" not in text, text
    assert text.strip().startswith(f"{path}: {field}: ") and problem in text, text
    assert len(text.strip().splitlines()) == 1, text
    assert not (tmp_path / "out").exists()


def test_a_byte_order_mark_is_named(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes(b'\xef\xbb\xbfextends = "default"\n')
    code, text = validate_cli(path)
    assert code == 2 and "byte-order mark (BOM" in text and text.startswith(f"{path}: "), text
