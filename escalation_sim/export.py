"""Writing a run's outputs: the monthly time series, the event log and a scenario file.

Used by the command line (``run``) and the trainer UI, so both write the same columns.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Sequence

from .model import SERIES, EscalationModel
from .params import Scenario
from .scenario import dump_scenario

FORMATS = ("csv", "parquet")


def table_bytes(columns: dict[str, Sequence], fmt: str = "csv",
                types: dict[str, str] | None = None) -> bytes:
    """Equal-length ``columns`` (name → values) as CSV (floats written by ``repr``) or Parquet;
    ``types`` names the Arrow type of a column (e.g. ``"int64"``), which an empty column
    needs."""
    if fmt == "csv":
        text = io.StringIO()
        w = csv.writer(text, lineterminator="\n")
        w.writerow(columns)
        w.writerows(zip(*columns.values(), strict=True))
        return text.getvalue().encode()
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = types or {}
        out = io.BytesIO()
        pq.write_table(pa.table({name: pa.array(values, pa.type_for_alias(types[name])
                                                if name in types else None)
                                 for name, values in columns.items()}), out)
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")


def timeseries_bytes(model: EscalationModel, fmt: str = "csv") -> bytes:
    """The months recorded so far, one row per month, columns ``month`` and ``SERIES``."""
    recorded = model.series[: model.steps + 1]
    return table_bytes({"month": list(range(model.steps + 1)),
                        **{name: recorded[:, i] for i, name in enumerate(SERIES)}}, fmt)


def events_bytes(entries, fmt: str = "csv") -> bytes:
    """The narrative event log (``month``, ``kind``, ``text``) as CSV or Parquet."""
    entries = list(entries)
    return table_bytes({"month": [e.month for e in entries], "kind": [e.kind for e in entries],
                        "text": [e.text for e in entries]}, fmt,
                       {"month": "int64", "kind": "string", "text": "string"})


def scenario_toml(scenario: Scenario, header: str = "") -> str:
    """A TOML file that loads back (``load_scenario``) as exactly ``scenario``: the text of
    :func:`~escalation_sim.scenario.dump_scenario`, under ``header`` as comments.

    Unset optional fields (``None``) are left out, since TOML has no null; every such field
    defaults to ``None``, and the round trip is checked before the text is returned.
    """
    text = dump_scenario(scenario)
    if Scenario.model_validate(tomllib.loads(text)) != scenario:
        raise ValueError("the scenario does not survive a TOML round trip")
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    return "\n".join(lines) + ("\n\n" if lines else "") + text
