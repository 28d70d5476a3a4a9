"""Writing a run's outputs: the monthly time series, the event log and a scenario file.

Used by the command line (``run``) and the trainer UI, so both write the same columns.
"""

from __future__ import annotations

import csv
import io
import tomllib
from typing import TYPE_CHECKING

import tomli_w

from .params import Scenario

if TYPE_CHECKING:
    from .model import EscalationModel

FORMATS = ("csv", "parquet")


def timeseries_bytes(model: EscalationModel, fmt: str = "csv") -> bytes:
    """The months recorded so far, one row per month, columns ``month`` and ``SERIES``."""
    from .model import SERIES

    columns = ["month", *SERIES]
    rows = [[m, *model.series[m]] for m in range(model.steps + 1)]
    if fmt == "csv":
        text = io.StringIO()
        w = csv.writer(text, lineterminator="\n")
        w.writerow(columns)
        w.writerows(rows)
        return text.getvalue().encode()
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = io.BytesIO()
        pq.write_table(pa.table({c: [r[i] for r in rows] for i, c in enumerate(columns)}), out)
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")


def events_bytes(entries, fmt: str = "csv") -> bytes:
    """The narrative event log (``month``, ``kind``, ``text``) as CSV or Parquet."""
    rows = [(e.month, e.kind, e.text) for e in entries]
    if fmt == "csv":
        text = io.StringIO()
        w = csv.writer(text, lineterminator="\n")
        w.writerow(["month", "kind", "text"])
        w.writerows(rows)
        return text.getvalue().encode()
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        out = io.BytesIO()
        pq.write_table(pa.table({"month": pa.array([r[0] for r in rows], pa.int64()),
                                 "kind": pa.array([r[1] for r in rows], pa.string()),
                                 "text": pa.array([r[2] for r in rows], pa.string())}), out)
        return out.getvalue()
    raise ValueError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")


def scenario_toml(scenario: Scenario, header: str = "") -> str:
    """A TOML file that loads back (``load_scenario``) as exactly ``scenario``.

    Unset optional fields (``None``) are left out, since TOML has no null; every such field
    defaults to ``None``, and the round trip is checked before the text is returned.
    """
    data = scenario.model_dump(mode="json", exclude_none=True)
    text = tomli_w.dumps(data, multiline_strings=True)
    if Scenario.model_validate(tomllib.loads(text)) != scenario:
        raise ValueError("the scenario does not survive a TOML round trip")
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    return "\n".join(lines) + ("\n\n" if lines else "") + text

