"""Loading scenarios: TOML files validated against :mod:`escalation_sim.params`.

A scenario is named (``default`` finds ``scenarios/default.toml``) or given by path. Any field
can be overridden by a dotted path, ``--set institutions.security_sector.professionalism=0.3``;
list items are addressed by index or by their ``name`` (``groups.B.share=0.3``). Values are
read as TOML values (numbers, booleans, quoted strings, arrays); anything else is a string.
A scenario may start from another with ``extends = "default"`` (a name, or a path relative to
the file; at most :data:`MAX_EXTENDS` files deep): tables merge key by key, lists and values
replace. Errors name the file, the field (dotted path) and the problem; a file nested deeper
than :data:`MAX_NESTING` levels, and a scenario whose model would not fit in memory, are
refused before anything is built. A file that comes from outside (an upload in the trainer UI)
may extend only a shipped scenario, by name (:func:`shipped`). :func:`dump_scenario` writes a
scenario back as TOML, :func:`parameters` lists its resolved values with the file that set each,
:func:`json_schema` describes the file format for editors.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .catalogue import CATALOGUE
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


MAX_NESTING = 32
"""Deepest nesting of tables and arrays a scenario or experiment file (or a ``--set`` value) may
have; the schema needs 5 (``policies.NAME.interventions[i].kind``)."""
MAX_EXTENDS = 16
"""Most files an ``extends`` chain may hold (the shipped scenarios use at most 2)."""
TOO_DEEP = f"nested too deeply (more than {MAX_NESTING} levels of tables and arrays)"


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file: :func:`parse_toml` of its text."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(str(path), [("", f"cannot read file: {e}")]) from None
    return parse_toml(text, str(path))


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error (with line and column), a byte-order mark or nesting
    deeper than :data:`MAX_NESTING` is an :class:`InputError` naming ``source``."""
    if text.startswith("\ufeff"):
        raise InputError(source, [("", "TOML syntax error: the file starts with a byte-order "
                                       "mark (BOM, U+FEFF), which TOML does not allow (line 1, "
                                       "column 1); save it as UTF-8 without BOM")])
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        if message.endswith("(at end of document)"):  # give its line and column too
            lines = text.split("\n")
            message = message.removesuffix("(at end of document)") + (
                f"(at end of document, line {len(lines)}, column {len(lines[-1]) + 1})")
        raise InputError(source, [("", f"TOML syntax error: {message}")]) from None
    except RecursionError:  # tomllib recurses once per level: far deeper than MAX_NESTING
        raise InputError(source, [("", TOO_DEEP)]) from None
    if depth(data) > MAX_NESTING:
        raise InputError(source, [("", TOO_DEEP)])
    return data


def depth(data: Any) -> int:
    """Levels of tables and arrays in parsed data (a top-level table is 1), without recursion."""
    deepest, stack = 0, [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, level + 1) for c in children if isinstance(c, dict | list))
    return deepest


def parse_value(text: str) -> Any:
    """A TOML value (never ``eval``); bare words that are not TOML stay strings. A value nested
    deeper than :data:`MAX_NESTING` is a ``ValueError``."""
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    if depth(value) >= MAX_NESTING:
        raise ValueError(TOO_DEEP)
    return value


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply ``dotted.path=value`` to raw scenario data in place."""
    source = f"--set {assignment}"
    if "=" not in assignment:
        raise InputError(source, [("", "expected PATH=VALUE, e.g. "
                                   "institutions.security_sector.professionalism=0.3")])
    path, _, text = assignment.partition("=")
    parts = path.strip().split(".")
    if not all(parts):
        raise InputError(source, [(path, "empty part in dotted path")])
    try:
        value = parse_value(text)
    except ValueError as e:
        raise InputError(source, [(path.strip(), str(e))]) from None
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
                node[idx] = value
            else:
                node = node[idx]
        elif isinstance(node, dict):
            if last:
                node[part] = value
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


def schema_at(loc: Sequence[Any], model: type[BaseModel] = Scenario
              ) -> tuple[FieldInfo | None, str, Any]:
    """Where a data path (``("groups", 0, "share")``, ``("policies", "mine", "budget")``) lands
    in ``model``'s schema: the field its last schema key names; the role of its last part,
    ``"field"`` (a schema key), ``"index"`` (a list item) or ``"key"`` (a free key of a table of
    named sections, e.g. a policy's name), ``""`` for the empty path; and the section model (or
    leaf type) there. ``(None, "", None)`` if the path leaves the schema."""
    cls: Any = model
    field, role = None, ""
    keyed = False  # the next part is a key of a table of named sections (``policies.NAME``)
    for part in loc:
        if isinstance(part, int) or keyed:
            role, keyed = ("index" if isinstance(part, int) else "key"), False
            continue
        is_model = isinstance(cls, type) and issubclass(cls, BaseModel)
        if not is_model or part not in cls.model_fields:
            return None, "", None
        field, role = cls.model_fields[part], "field"
        ann = field.annotation
        while typing.get_origin(ann) in (list, dict, typing.Union, types.UnionType):
            keyed = keyed or typing.get_origin(ann) is dict
            args = [a for a in typing.get_args(ann) if a is not type(None)]
            ann = args[-1] if args else None
        cls = ann
    return field, role, cls


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at ``loc`` inside ``model`` (for "did you mean")."""
    cls = schema_at(loc, model)[2]
    return list(cls.model_fields) if isinstance(cls, type) and issubclass(cls, BaseModel) else []


_DOTTED = re.compile(r"[A-Za-z_]\w*(\.\w+)*")


def _moved(old: Any) -> str:
    """Where the keys of the v1 ``[dynamics]`` section live now: split by mechanism."""
    homes = {}
    for section, info in Scenario.model_fields.items():
        cls = info.annotation
        if isinstance(cls, type) and issubclass(cls, BaseModel):
            for key in cls.model_fields:
                homes.setdefault(key, section)
    keys = list(old) if isinstance(old, dict) else []
    moves = [f"{k} is now {homes[k]}.{k}" for k in keys if k in homes]
    return ("the [dynamics] section was split by mechanism (information, mobilization, "
            "violence, institutions, government)" + (": " + "; ".join(moves) if moves else ""))


def explain(error: ValidationError,
            root: type[BaseModel] = Scenario) -> list[tuple[str, str]]:
    """Pydantic errors of a ``root`` model (a scenario by default) as (dotted field, plain
    problem) pairs."""
    out = []
    for e in error.errors(include_url=False):
        loc = tuple(e["loc"])
        # a key with a newline or NUL (a quoted TOML key) is quoted: one line per problem
        field = ".".join(str(p) if str(p).isprintable() else repr(str(p)) for p in loc)
        kind, msg = e["type"], e["msg"]
        if kind == "extra_forbidden" and root is Scenario and loc == ("dynamics",):
            problem = _moved(e.get("input"))
        elif kind == "extra_forbidden" and root is Scenario and loc == (
                "outcomes", "mass_atrocity_fraction"):
            problem = ("removed in model v2: 'mass atrocity' is now the mass-killing onset "
                       "(outcomes.onset_deaths noncombatants killed by one perpetrator within "
                       "outcomes.onset_window months), not cumulative killings against a share "
                       "of the population")
        elif kind == "extra_forbidden":
            allowed = _fields_at(root, loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            problem = f"unknown key {loc[-1]!r}" + (
                f"; did you mean {hint[0]!r}?" if hint else
                f"; allowed keys are {', '.join(allowed)}" if allowed else "")
        elif kind == "missing":
            problem = "required field is missing"
        elif kind == "value_error":
            problem = msg.removeprefix("Value error, ")
            head, sep, rest = problem.partition(": ")
            if sep and _DOTTED.fullmatch(head):  # a validator names the field inside its section
                field, problem = f"{field}.{head}" if field else head, rest
        else:
            problem = f"{msg} (got {e.get('input')!r})"
        out.append((field, problem))
    return out


def validate(data: dict[str, Any], source: str) -> Scenario:
    """Validate raw data as a :class:`Scenario` that fits in memory, or raise
    :class:`InputError`."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as e:
        raise InputError(source, explain(e)) from None
    check_memory(scenario, source)
    return scenario


def with_assignments(scenario: Scenario, assignments: Sequence[str], source: str) -> Scenario:
    """``scenario`` with ``PATH=VALUE`` assignments (the form of ``--set``), validated; any
    problem is an :class:`InputError` of ``source``."""
    data = scenario.model_dump()
    for assignment in assignments:
        apply_override(data, assignment)
    return validate(data, source)


BYTES_PER_CIVILIAN = 56
"""Peak bytes per civilian while a model is built, apart from the network (arrays and sorting
temporaries); with :data:`BYTES_PER_TIE` it reproduces the 456 B per civilian measured at the
default degree 8 (``benchmarks/bench_engine.py``, 10^6 civilians)."""
BYTES_PER_TIE = 50
"""Peak bytes per social tie while the network is built (owners, partners, draws, masks, the
CSR matrix)."""
MEMORY_SHARE = 0.8
"""Largest share of the memory available now that one model may need."""


def peak_bytes(scenario: Scenario) -> int:
    """Estimated peak memory of building one model of ``scenario``: dominated by the civilians
    and their ties; the monthly series are (months + 1) × 60 doubles."""
    n = scenario.run.n_civilians
    per_civilian = BYTES_PER_CIVILIAN + BYTES_PER_TIE * scenario.network.degree
    return n * per_civilian + (scenario.run.months + 1) * 60 * 8


def available_memory() -> int | None:
    """Bytes of memory available now (Linux ``MemAvailable``; else physical memory), or None."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_memory(scenario: Scenario, source: str, workers: int = 1) -> None:
    """Refuse, before anything is allocated, a scenario whose ``workers`` models at once (one
    per worker process of an ensemble or sweep) would not fit in :data:`MEMORY_SHARE` of the
    memory available."""
    need, have = peak_bytes(scenario) * workers, available_memory()
    if have is not None and need > MEMORY_SHARE * have:
        models = f"{workers} models at once (one per worker) of " if workers > 1 else ""
        fewer = " or fewer workers (--workers)" if workers > 1 else ""
        raise InputError(source, [("run.n_civilians", (
            f"{models}{scenario.run.n_civilians:,} civilians with {scenario.network.degree} "
            f"ties each need about {need / 2**30:.1f} GiB to build, more than "
            f"{MEMORY_SHARE:.0%} of the {have / 2**30:.1f} GiB available; use fewer civilians "
            f"(run.n_civilians) or ties (network.degree){fewer}"))])


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Deep merge: tables merge key by key; any other value (lists included) replaces."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested dict as one level keyed by dotted paths (``"run.months"``, the form of
    ``--set``); lists and other values are leaves."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def read_chain(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The raw data of a scenario file and of every file it extends, the root ancestor first
    (each without its ``extends`` key); a cycle, or a chain of more than :data:`MAX_EXTENDS`
    files, is an :class:`InputError`."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    path = path.resolve()
    while True:
        seen = [p for p, _ in chain]
        if path in seen:
            cycle = " -> ".join(p.name for p in (*seen, path))
            raise InputError(str(path), [("extends", f"inheritance cycle: {cycle}")])
        if len(chain) == MAX_EXTENDS:
            raise InputError(str(seen[0]), [("extends", (
                f"more than {MAX_EXTENDS} files extend one another ({seen[0].name} -> "
                f"{seen[1].name} -> ... -> {path.name} -> ...); at most {MAX_EXTENDS}"))])
        data = read_toml(path)
        parent = data.pop("extends", None)
        chain.append((path, data))
        if parent is None:
            return chain[::-1]
        if not isinstance(parent, str):
            raise InputError(str(path), [("extends", f"must be a scenario name or path, got "
                                          f"{_short(parent)}")])
        target = Path(parent)
        if target.suffix == ".toml" and not target.is_absolute():
            target = path.parent / target
        try:
            path = resolve(target if target.suffix == ".toml" else parent).resolve()
        except (InputError, OSError, ValueError) as e:  # ValueError: a NUL in the name
            problem = e.problems[0][1] if isinstance(e, InputError) else "cannot read it"
            raise InputError(str(path), [("extends", f"{problem} ({_short(parent)})")]) from None


def _short(value: Any, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters (a message stays one readable line)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shipped(name: Any, source: str, field: str = "extends") -> Path:
    """The file of a shipped scenario named ``name``: a bare name of :func:`available`, never a
    path (what a file from outside, such as an upload, may extend, and all a browser may name).
    Nothing else on disk is looked at, so the error says nothing about the server's files."""
    names = available()
    if isinstance(name, str) and name in names:
        return scenario_dir() / f"{name}.toml"
    hint = difflib.get_close_matches(name, names, n=1) if isinstance(name, str) else []
    raise InputError(source, [(field, (
        f"{_short(name)} is not a shipped scenario; only a shipped scenario can be named here, "
        f"by name, not by path" + (f" (did you mean {hint[0]!r}?)" if hint else
                                   f" ({', '.join(names)})")))])


def read_scenario(path: Path) -> dict[str, Any]:
    """Raw data of a scenario file with its ``extends`` chain resolved."""
    data: dict[str, Any] = {}
    for _, layer in read_chain(path):
        data = merge(data, layer)
    return data


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


def resolve_policy(scenario: Scenario, name: str, source: str | None = None,
                   field: str = "") -> PolicyParams:
    """A named policy of ``scenario`` (shipped or its own), or an :class:`InputError` naming
    ``source`` and ``field`` (by default the option ``--policy NAME``)."""
    known = policies(scenario)
    if name in known:
        return known[name]
    hint = difflib.get_close_matches(name, list(known), n=1)
    raise InputError(source or f"--policy {name}", [(field, "unknown policy" + (
        f" {name!r}" if source else "") + (
        f"; did you mean {hint[0]!r}?" if hint else f"; policies are {', '.join(known)}"))])


def dump_scenario(scenario: Scenario) -> str:
    """The validated scenario as a self-contained TOML document (no ``extends``; fields left at
    ``None`` are omitted, since TOML has no null); loading it gives an equal scenario."""
    import tomli_w

    return tomli_w.dumps(scenario.model_dump(mode="json", exclude_none=True),
                         multiline_strings=True)


def _set_in(layer: dict[str, Any], parts: Sequence[str | tuple[str, ...]]) -> bool:
    """Whether a raw layer sets the value at ``parts`` (a list is set only as a whole; a list
    item's part is its (name, index), either of which an override may use)."""
    node: Any = layer
    for part in parts:
        if isinstance(node, list):
            return True
        key = next((k for k in (part if isinstance(part, tuple) else (part,))
                    if isinstance(node, dict) and k in node), None)
        if key is None:
            return False
        node = node[key]
    return True


def parameters(scenario: Scenario, chain: Sequence[tuple[Path, dict[str, Any]]] = ()
               ) -> list[dict[str, Any]]:
    """Every leaf parameter of ``scenario`` (policies aside) with its dotted path (list items by
    name where they have one, as ``--set`` takes them), value, unit, meaning, provenance, and
    ``set_in``: the file of ``chain`` (:func:`read_chain`) that set it, or ``"(schema default)"``.
    """
    out: list[dict[str, Any]] = []

    def walk(model: BaseModel, prefix: tuple[str | tuple[str, ...], ...]) -> None:
        for name, field in type(model).model_fields.items():
            if name in (("name", "title", "brief", "sources", "policies") if not prefix
                        else ("name",)):
                continue  # metadata shown apart; an item's name is in its path
            value = getattr(model, name)
            path = (*prefix, name)
            if isinstance(value, BaseModel):
                walk(value, path)
                continue
            if isinstance(value, list) and value and all(isinstance(v, BaseModel) for v in value):
                for i, item in enumerate(value):
                    walk(item, (*path, (str(getattr(item, "name", i)), str(i))))
                continue
            extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
            origin = next((p.name for p, layer in reversed(chain) if _set_in(layer, path)),
                          "(schema default)")
            out.append({"path": ".".join(p if isinstance(p, str) else p[0] for p in path),
                        "value": value,
                        "unit": extra.get("unit", ""), "meaning": field.description or "",
                        "provenance": extra.get("provenance", ""), "set_in": origin})

    walk(scenario, ())
    return out


def json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario *file*, for editors (validation and completion).

    It is the schema of :class:`~escalation_sim.params.Scenario` plus the ``extends`` key; a file
    that extends another may leave out anything its parent sets, so ``groups``, ``government``
    and ``government.ruling_group`` are required only of a file without ``extends``. An
    intervention's ``kind`` lists the catalogue. The loader's checks go further (references
    between names, shares summing to 1, memory): ``escalation-sim scenarios validate``.
    """
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "escalation-sim scenario"
    schema["properties"] = {"extends": {
        "type": "string", "title": "Extends",
        "description": "Scenario this one starts from: a shipped name, or a path relative to "
                       "this file; tables merge key by key, lists and values replace"},
        **schema["properties"]}
    required = schema.pop("required", [])
    defs = schema["$defs"]
    gov_required = defs["GovernmentParams"].pop("required", [])
    schema["if"] = {"not": {"required": ["extends"]}}
    schema["then"] = {"required": required,
                      "properties": {"government": {"required": gov_required}}}
    kind = defs["InterventionSpec"]["properties"]["kind"]
    kind["enum"] = list(CATALOGUE)
    return schema
