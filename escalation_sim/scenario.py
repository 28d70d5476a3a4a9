"""Loading scenarios: TOML files validated against :mod:`escalation_sim.params`.

A scenario is named (``default`` finds ``scenarios/default.toml``) or given by path. Any field
can be overridden by a dotted path, ``--set institutions.security_sector.professionalism=0.3``;
list items are addressed by index or by their ``name`` (``groups.B.share=0.3``). Values are
read as TOML values (numbers, booleans, quoted strings, arrays); anything else is a string.
A scenario may start from another with ``extends = "default"`` (a name, or a path relative to
the file): tables merge key by key, lists and values replace. Errors name the file, the field
(dotted path) and the problem.
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .errors import InputError
from .params import PolicyParams, Scenario

_HERE = Path(__file__).resolve().parent
SCENARIO_DIRS = (_HERE.parent / "scenarios", _HERE / "_scenarios")
"""Where named scenarios are found: the repository's ``scenarios/``, or the copy in a wheel."""


def scenario_dir() -> Path:
    for d in SCENARIO_DIRS:
        if d.is_dir():
            return d
    raise FileNotFoundError("no scenarios directory found")


def available() -> list[str]:
    """Names of the shipped scenarios."""
    return sorted(p.stem for p in scenario_dir().glob("*.toml"))


def resolve(name_or_path: str | Path) -> Path:
    """The file of a scenario given by name or path."""
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        if not p.is_file():
            raise InputError(str(p), [("", "no such scenario file")])
        return p
    candidate = scenario_dir() / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    names = available()
    hint = difflib.get_close_matches(str(name_or_path), names, n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else f"; scenarios are {', '.join(names)}"
    raise InputError(str(name_or_path), [("", f"no such scenario{extra}")])


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into an :class:`InputError` with line/column."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(str(path), [("", f"cannot read file: {e}")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(str(path), [("", f"TOML syntax error: {e}")]) from None


def parse_value(text: str) -> Any:
    """A TOML value (never ``eval``); bare words that are not TOML stay strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply ``dotted.path=value`` to raw scenario data in place."""
    source = f"--set {assignment}"
    if "=" not in assignment:
        raise InputError(source, [("", "expected PATH=VALUE, e.g. "
                                   "institutions.security_sector.professionalism=0.3")])
    path, _, value = assignment.partition("=")
    parts = path.strip().split(".")
    if not all(parts):
        raise InputError(source, [(path, "empty part in dotted path")])
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[: i + 1])
        if isinstance(node, list):
            idx = _list_index(node, part)
            if idx is None:
                raise InputError(source, [(where, f"no item {part!r} in this list (use an index "
                                           f"0–{len(node) - 1} or an item's name)")])
            if last:
                node[idx] = parse_value(value)
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = parse_value(value)
            else:
                node = node.setdefault(part, {})
        else:
            raise InputError(source, [(".".join(parts[:i]), "is a value, not a section")])


def _list_index(items: list[Any], part: str) -> int | None:
    if part.isdecimal() and part.isascii():
        return int(part) if int(part) < len(items) else None
    for i, item in enumerate(items):
        if isinstance(item, dict) and item.get("name") == part:
            return i
    return None


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (for "did you mean")."""
    cls: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        is_model = isinstance(cls, type) and issubclass(cls, BaseModel)
        if not is_model or part not in cls.model_fields:
            return []
        ann = cls.model_fields[part].annotation
        while typing.get_origin(ann) in (list, typing.Union, types.UnionType):
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = args[0] if args else None
        cls = ann
    return list(cls.model_fields) if isinstance(cls, type) and issubclass(cls, BaseModel) else []


def explain(error: ValidationError) -> list[tuple[str, str]]:
    """Pydantic errors as (dotted field, plain problem) pairs."""
    out = []
    for e in error.errors(include_url=False):
        loc = tuple(e["loc"])
        field = ".".join(str(p) for p in loc)
        kind, msg = e["type"], e["msg"]
        if kind == "extra_forbidden":
            allowed = _fields_at(Scenario, loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            problem = f"unknown key {loc[-1]!r}" + (
                f"; did you mean {hint[0]!r}?" if hint else
                f"; allowed keys are {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            problem = "required field is missing"
        elif kind == "value_error":
            problem = msg.removeprefix("Value error, ")
            if not field and ": " in problem:
                field, _, problem = problem.partition(": ")
        else:
            problem = f"{msg} (got {e.get('input')!r})"
        out.append((field, problem))
    return out


def validate(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw data as a :class:`Scenario`, or raise :class:`InputError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise InputError(source, explain(e)) from None


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key; any other value (lists included) replaces."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def read_scenario(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Raw data of a scenario file with its ``extends`` chain resolved."""
    path = path.resolve()
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise InputError(str(path), [("extends", f"inheritance cycle: {cycle}")])
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise InputError(str(path), [("extends", f"must be a scenario name or path, got "
                                      f"{parent!r}")])
    target = Path(parent)
    if target.suffix == ".toml" and not target.is_absolute():
        target = path.parent / target
    try:
        base_path = resolve(target if target.suffix == ".toml" else parent)
    except InputError as e:
        raise InputError(str(path), [("extends", e.problems[0][1] + f" ({parent!r})")]) from None
    return merge(read_scenario(base_path, (*_chain, path)), data)


def load_scenario(name_or_path: str | Path = "default",
                  overrides: typing.Sequence[str] = ()) -> Scenario:
    """Load, override and validate a scenario by name or path."""
    path = resolve(name_or_path)
    data = read_scenario(path)
    for assignment in overrides:
        apply_override(data, assignment)
    source = str(path) + (" (with --set overrides)" if overrides else "")
    return validate(data, source)


SHIPPED_POLICIES = _HERE / "policies.toml"


def policies(scenario: Scenario) -> dict[str, PolicyParams]:
    """The shipped named policies, with the scenario's own added (same name: the scenario's)."""
    from pydantic import TypeAdapter

    data = read_toml(SHIPPED_POLICIES)
    try:
        shipped = TypeAdapter(dict[str, PolicyParams]).validate_python(data)
    except ValidationError as e:
        raise InputError(str(SHIPPED_POLICIES), explain(e)) from None
    return {**shipped, **scenario.policies}


def resolve_policy(scenario: Scenario, name: str) -> PolicyParams:
    """A named policy of ``scenario`` (shipped or its own), or an :class:`InputError`."""
    known = policies(scenario)
    if name in known:
        return known[name]
    hint = difflib.get_close_matches(name, list(known), n=1)
    raise InputError(f"--policy {name}", [("", "unknown policy" + (
        f"; did you mean {hint[0]!r}?" if hint else f"; policies are {', '.join(known)}"))])
