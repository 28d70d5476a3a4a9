"""Scenario files uploaded in the browser: validated exactly as the command line does."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ..errors import InputError
from ..params import Scenario
from ..scenario import apply_override, load_scenario, validate

MAX_BYTES = 1_000_000


def load_upload(filename: str, data: bytes) -> Scenario:
    """Parse and validate an uploaded scenario (TOML, never executed). Errors are
    :class:`InputError`s that name the uploaded file, the field and the problem."""
    name = Path(filename).name or "upload.toml"
    if not name.endswith(".toml"):
        raise InputError(name, [("", "a scenario file is a .toml file")])
    if len(data) > MAX_BYTES:
        raise InputError(name, [("", f"file too large ({len(data):,} bytes; at most "
                                     f"{MAX_BYTES:,})")])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            return load_scenario(path)
        except InputError as e:
            raise InputError(name, e.problems) from None


def with_overrides(scenario: Scenario, values: dict[str, Any], source: str) -> Scenario:
    """``scenario`` with fields set by dotted path (the trainer's parameter edits)."""
    if not values:
        return scenario
    data = scenario.model_dump()
    for path, value in values.items():
        apply_override(data, f"{path}={value!r}")
    return validate(data, f"{source} (with the parameters set here)")


def editable_fields(model: BaseModel, sections: tuple[str, ...]) -> dict[str, list[tuple]]:
    """Numeric parameters by section: ``{section: [(dotted path, value, description, unit,
    provenance, low, high, is_int)]}`` for the parameter panel."""
    out: dict[str, list[tuple]] = {}

    def walk(obj: BaseModel, prefix: str, section: str) -> None:
        for name, f in type(obj).model_fields.items():
            value = getattr(obj, name)
            path = f"{prefix}.{name}"
            if isinstance(value, BaseModel):
                walk(value, path, section)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                low = next((getattr(m, "ge", getattr(m, "gt", None)) for m in f.metadata
                            if hasattr(m, "ge") or hasattr(m, "gt")), None)
                high = next((getattr(m, "le", getattr(m, "lt", None)) for m in f.metadata
                             if hasattr(m, "le") or hasattr(m, "lt")), None)
                extra = f.json_schema_extra or {}
                out.setdefault(section, []).append(
                    (path, value, f.description or name, extra.get("unit", ""),
                     extra.get("provenance", ""), low, high, isinstance(value, int)))

    for section in sections:
        walk(getattr(model, section), section, section)
    return out
