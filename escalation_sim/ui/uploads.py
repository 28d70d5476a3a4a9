"""Scenario files uploaded in the browser, and the only scenarios a browser may name.

An upload is parsed in memory (never written to disk, never executed) and validated exactly as
the command line validates a file, with one difference: it may extend only a shipped scenario,
by name (``extends = "default"``), never a path, so that nothing a browser sends makes the
server read one of its own files. Every error, whatever its cause, is one :class:`InputError`
naming the (sanitized) file name; nothing in it comes from a file on the server other than the
shipped scenarios.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import BaseModel

from ..errors import InputError
from ..params import Scenario
from ..scenario import (
    load_scenario,
    merge,
    parse_toml,
    read_scenario,
    shipped,
    validate,
    with_assignments,
)

MAX_BYTES = 1_000_000
MAX_NAME = 80
"""Longest file name shown in a message (longer names are cut)."""
_log = logging.getLogger(__name__)


def safe_name(filename: Any) -> str:
    """The file name an upload is called by in messages: its last path component, control and
    other unprintable characters (a NUL included) replaced by ``_``, at most :data:`MAX_NAME`
    characters; ``upload.toml`` if nothing is left. Only ever used as a label."""
    name = re.split(r"[/\\]", filename if isinstance(filename, str) else "")[-1]
    name = "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else "_"
                   for c in name).strip()
    if len(name) > MAX_NAME:
        name = name[: MAX_NAME - 8] + "..." + name[-5:]
    return name if name.strip("._") else "upload.toml"


def load_upload(filename: str, data: bytes) -> Scenario:
    """Parse and validate an uploaded scenario (TOML, never executed, never written to disk).
    Any error is an :class:`InputError` naming the sanitized file name, the field and the
    problem: an unexpected one (a bug) says only that, and goes to the server's log."""
    name = safe_name(filename)
    try:
        return _load(name, data)
    except InputError as e:
        raise InputError(name, e.problems) from None
    except Exception:
        _log.exception("uploaded scenario %r could not be loaded", name)
        raise InputError(name, [("", "this file could not be loaded (an error of the "
                                     "application, logged on the server)")]) from None


def _load(name: str, data: bytes) -> Scenario:
    if not name.endswith(".toml"):
        raise InputError(name, [("", "a scenario file is a .toml file")])
    if len(data) > MAX_BYTES:
        raise InputError(name, [("", f"file too large ({len(data):,} bytes; at most "
                                     f"{MAX_BYTES:,})")])
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(name, [("", f"not UTF-8 text (byte {e.start:,}: {e.reason})")]) from None
    layer = parse_toml(text, name)
    parent = layer.pop("extends", None)
    base = {} if parent is None else read_scenario(shipped(parent, name))
    return validate(merge(base, layer), name)


def load_shipped(name: Any) -> Scenario:
    """A shipped scenario by bare name: what the browser's scenario picker may ask for (never a
    path, whatever the browser sends)."""
    return load_scenario(shipped(name, "scenario", ""))


def with_overrides(scenario: Scenario, values: dict[str, Any], source: str) -> Scenario:
    """``scenario`` with fields set by dotted path (the trainer's parameter edits)."""
    if not values:
        return scenario
    return with_assignments(scenario, [f"{path}={value!r}" for path, value in values.items()],
                            f"{source} (with the parameters set here)")


def describe(obj: BaseModel, name: str, path: str) -> tuple:
    """``(dotted path, value, description, unit, provenance, low, high, is_int)`` of the
    numeric field ``name`` of ``obj``."""
    f = type(obj).model_fields[name]
    value = getattr(obj, name)
    low = next((getattr(m, "ge", getattr(m, "gt", None)) for m in f.metadata
                if hasattr(m, "ge") or hasattr(m, "gt")), None)
    high = next((getattr(m, "le", getattr(m, "lt", None)) for m in f.metadata
                 if hasattr(m, "le") or hasattr(m, "lt")), None)
    extra = f.json_schema_extra or {}
    return (path, value, f.description or name, extra.get("unit", ""),
            extra.get("provenance", ""), low, high, isinstance(value, int))


def editable_fields(model: BaseModel, sections: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Numeric parameters by section: ``{section: [(dotted path, value, description, unit,
    provenance, low, high, is_int)]}`` for the parameter panel."""
    out: dict[str, list[tuple]] = {}

    def walk(obj: BaseModel, prefix: str, section: str) -> None:
        for name in type(obj).model_fields:
            value = getattr(obj, name)
            path = f"{prefix}.{name}"
            if isinstance(value, BaseModel):
                walk(value, path, section)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                out.setdefault(section, []).append(describe(obj, name, path))

    for section in sections:
        walk(getattr(model, section), section, section)
    return out


def key_fields(scenario: Scenario) -> list[tuple]:
    """The scenario's ``key_parameters`` (validated: bounded numbers), described like
    :func:`editable_fields`' items, in the scenario's order."""
    out = []
    for path in scenario.key_parameters:
        *parents, name = path.split(".")
        obj = scenario
        for part in parents:
            obj = getattr(obj, part)
        out.append(describe(obj, name, path))
    return out
