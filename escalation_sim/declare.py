"""How a parameter is declared: :func:`P` and the frozen :class:`Section` every schema section
derives from.

Both the scenario schema (:mod:`escalation_sim.params`) and the intervention catalogue
(:mod:`escalation_sim.catalogue`, whose kinds declare their own coefficients) use them, so they
live below both.

A parameter's provenance has two parts, kept apart so that a citation of the mechanism never
makes an assumed number look measured:

* ``provenance`` — where the **mechanism** comes from: a paragraph of the 2014 report
  ("R14 §n") or of the 2016 report ("R16 §n"), a paper, or "assumption";
* ``value`` — where the **number** comes from, one of :data:`VALUE_SOURCES` or a cited estimate
  written ``"cited: SOURCE: the datum"``.

The field's JSON-schema extra holds both (``mechanism``, ``value``) and, for readers that show
one line (``scenarios show``, the trainer's tooltips), ``provenance``: both in one string
(:func:`provenance`), so that no display shows a citation without the value's source.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

VALUE_SOURCES: dict[str, str] = {
    "assumption": "the modeller's choice, not taken from data",
    "calibrated": "fitted to data (none yet: reserved for the calibration work)",
    "scenario": "a description of the country that each scenario file sets; the default is a "
                "placeholder",
    "policy": "a choice of the policy that each policy sets",
    "section": "a section: its values are those of its fields",
}
"""The value sources a parameter may declare, besides a cited estimate ("cited: ...")."""


def valid_value_source(value: str) -> bool:
    """Whether ``value`` is a known value source or a cited estimate with its datum
    (``"cited: SOURCE: DATUM"``)."""
    if value in VALUE_SOURCES:
        return True
    parts = value.split(": ")
    return len(parts) >= 3 and parts[0] == "cited" and all(p.strip() for p in parts[1:])


def provenance(mechanism: str, value: str) -> str:
    """Mechanism and value source in one line: ``"R14 §9; value: assumption"`` (``"assumption"``
    when both are assumptions; the mechanism alone for a section)."""
    if value == "section" or mechanism == value == "assumption":
        return mechanism
    return f"{mechanism}; value: {value}"


def P(default: Any, description: str, unit: str, provenance_: str, *, value: str,
      **constraints: Any) -> Any:
    """Declare a parameter with its meaning, unit, the provenance of its mechanism and the source
    of its value, next to its default."""
    if not valid_value_source(value):
        raise ValueError(f"value source {value!r}: one of {', '.join(VALUE_SOURCES)}, or "
                         "'cited: SOURCE: DATUM'")
    return Field(
        default,
        description=description,
        json_schema_extra={"unit": unit, "mechanism": provenance_, "value": value,
                           "provenance": provenance(provenance_, value)},
        **constraints,
    )


class Section(BaseModel):
    """Base of every schema section: unknown keys are errors, numbers finite, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)
