"""Results on disk: Parquet chunks written atomically, and a JSON manifest.

Layout of a sweep's directory::

    manifest.json            the experiment, code version, progress (informational)
    design.parquet           the sampled points (numeric design, as SALib's analysis needs it)
    runs/chunk-NNNNNN.parquet    one row per run: identity, parameters, status, outcomes
    series/chunk-NNNNNN.parquet  optional time series, one row per kept month of a run

Every file is written to ``NAME.tmp`` and moved into place with :func:`os.replace`, so a file
either exists whole or not at all, whenever the process is killed. The run chunks are the source
of truth: a run is done if and only if its row is in a ``runs/`` chunk. A ``series/`` chunk is
written *before* the ``runs/`` chunk of the same number, so on resume a series chunk without its
runs chunk is an orphan of a kill between the two and is deleted (its runs are re-run).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..outcomes import ROW_COLUMNS

MANIFEST = "manifest.json"
FORMAT = 1

IDENTITY = [("run", pa.int64()), ("point", pa.int64()), ("replication", pa.int64()),
            ("policy", pa.string()), ("seed", pa.int64()), ("status", pa.string()),
            ("error", pa.string())]
"""Columns that identify a run and say whether it succeeded (``ok``, ``failed``)."""

_TYPES = {"int": pa.int64(), "int | None": pa.int64(), "bool": pa.bool_(),
          "float": pa.float64(), "str": pa.string(), "str | None": pa.string()}

OUTCOMES = [(name, _TYPES[kind]) for name, kind in ROW_COLUMNS if name != "seed"]
"""Per-run outcome columns: the flat form of an outcome
(:data:`~escalation_sim.outcomes.ROW_COLUMNS`, as in ``outcomes.csv``; the stage trajectory is
kept in the series if asked for), its seed being an identity column."""


def _arrow_type(value: Any) -> pa.DataType:
    if isinstance(value, bool):
        return pa.bool_()
    if isinstance(value, int):
        return pa.int64()
    if isinstance(value, float):
        return pa.float64()
    return pa.string()


def run_schema(parameters: dict[str, Any]) -> pa.Schema:
    """The schema of ``runs/`` chunks; ``parameters`` maps each path to an example value."""
    return pa.schema(IDENTITY + [(k, _arrow_type(v)) for k, v in parameters.items()] + OUTCOMES)


def series_schema(columns: list[str]) -> pa.Schema:
    return pa.schema([("run", pa.int64()), ("month", pa.int64())]
                     + [(c, pa.float64()) for c in columns])


def write_atomic(path: Path, write) -> None:
    """Write a file through ``write(tmp_path)`` and move it into place atomically."""
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_json_atomic(path: Path, obj: Any) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2, default=str)))


class ParquetStore:
    """Streams run rows to Parquet chunks; holds at most one chunk's rows in memory.

    A chunk is flushed when it has ``chunk_rows`` rows or its oldest row is ``chunk_seconds``
    old (checked as rows arrive), and at :meth:`close`.
    """

    def __init__(self, root: str | Path, chunk_rows: int = 256, chunk_seconds: float = 30.0):
        self.root = Path(root)
        self.chunk_rows = chunk_rows
        self.chunk_seconds = chunk_seconds
        self.manifest: dict[str, Any] = {}
        self._rows: list[dict[str, Any]] = []
        self._series: list[np.ndarray] = []
        self._since = time.monotonic()
        self._next = 0
        self.done = 0
        self.failed = 0

    # ---- opening ---------------------------------------------------------------------------
    def open(self, manifest: dict[str, Any], schema: pa.Schema,
             series_columns: list[str] | None, resume: bool) -> set[int]:
        """Start or resume; return the run indices already on disk."""
        self.schema = schema
        self.sschema = series_schema(series_columns) if series_columns is not None else None
        path = self.root / MANIFEST
        if path.exists():
            try:
                old = json.loads(path.read_text())
            except (OSError, ValueError) as e:
                raise InputError(str(path), [("", f"unreadable manifest: {e}")]) from None
            if not resume:
                raise InputError(str(self.root), [("", "already holds a sweep; use --resume to "
                                                   "finish it, or another --out")])
            if old.get("experiment", {}).get("digest") != manifest["experiment"]["digest"]:
                raise InputError(str(self.root), [("", "the experiment file differs from the "
                                                   "one this sweep started with; cannot resume")])
            if sorted(old.get("scenarios", {})) != sorted(manifest.get("scenarios", {})):
                raise InputError(str(self.root), [("", "the scenarios found differ from those "
                                                   f"this sweep started with "
                                                   f"({sorted(old.get('scenarios', {}))}); "
                                                   "cannot resume")])
            manifest = {**manifest, "started": old.get("started", manifest["started"]),
                        "code_versions": sorted(set(old.get("code_versions", []))
                                                | set(manifest["code_versions"]))}
        (self.root / "runs").mkdir(parents=True, exist_ok=True)
        if self.sschema is not None:
            (self.root / "series").mkdir(exist_ok=True)
        for tmp in self.root.rglob("*.tmp"):   # torn writes of a killed process
            tmp.unlink()
        done: set[int] = set()
        numbers = [-1]
        for chunk in sorted((self.root / "runs").glob("chunk-*.parquet")):
            t = pq.read_table(chunk, columns=["run", "status"])
            runs = t.column("run").to_pylist()
            dup = done.intersection(runs)
            if dup:
                raise InputError(str(chunk), [("run", f"runs {sorted(dup)[:5]} already in "
                                               "another chunk")])
            done.update(runs)
            self.failed += sum(s != "ok" for s in t.column("status").to_pylist())
            numbers.append(int(chunk.stem.split("-")[1]))
        if (self.root / "series").is_dir():
            for chunk in (self.root / "series").glob("chunk-*.parquet"):
                if not (self.root / "runs" / chunk.name).exists():
                    chunk.unlink()   # written before a kill that came before its runs chunk
        self._next = max(numbers) + 1
        self.done = len(done)
        self.manifest = manifest
        self._write_manifest("running")
        return done

    # ---- streaming -------------------------------------------------------------------------
    def add(self, row: dict[str, Any], series: np.ndarray | None = None) -> None:
        if not self._rows:
            self._since = time.monotonic()
        self._rows.append(row)
        if series is not None and self.sschema is not None:
            self._series.append(series)
        self.done += 1
        self.failed += row["status"] != "ok"
        if (len(self._rows) >= self.chunk_rows
                or time.monotonic() - self._since >= self.chunk_seconds):
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        name = f"chunk-{self._next:06d}.parquet"
        if self.sschema is not None:
            data = (np.concatenate(self._series) if self._series
                    else np.empty((0, len(self.sschema))))
            table = pa.table({f.name: pa.array(data[:, i], type=f.type)
                              if f.type != pa.int64() else
                              pa.array(data[:, i].astype(np.int64), type=f.type)
                              for i, f in enumerate(self.sschema)}, schema=self.sschema)
            write_atomic(self.root / "series" / name, lambda p: pq.write_table(table, p))
        table = pa.Table.from_pylist(self._rows, schema=self.schema)
        write_atomic(self.root / "runs" / name, lambda p: pq.write_table(table, p))
        self._next += 1
        self._rows.clear()
        self._series.clear()
        self._write_manifest("running")

    def close(self, status: str) -> None:
        self.flush()
        self._write_manifest(status)

    def _write_manifest(self, status: str) -> None:
        self.manifest.update(status=status, done=self.done, failed=self.failed,
                             updated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        write_json_atomic(self.root / MANIFEST, self.manifest)


def read_runs(root: str | Path):
    """All run rows of a sweep directory as a pandas DataFrame, sorted by run index."""
    root = Path(root)
    files = sorted((root / "runs").glob("chunk-*.parquet"))
    if not files:
        raise InputError(str(root), [("", "no results here (no runs/chunk-*.parquet); run "
                                      "'escalation-sim sweep' first")])
    table = pa.concat_tables([pq.read_table(f) for f in files])
    return table.to_pandas().sort_values("run", kind="stable").reset_index(drop=True)


def read_failures(root: str | Path) -> list[dict[str, Any]]:
    """The failed runs of a sweep (run, point, policy, error), read without loading the rest."""
    rows: list[dict[str, Any]] = []
    for f in sorted((Path(root) / "runs").glob("chunk-*.parquet")):
        t = pq.read_table(f, columns=["run", "point", "policy", "error"],
                          filters=[("status", "!=", "ok")])
        rows += t.to_pylist()
    return sorted(rows, key=lambda r: r["run"])


def read_series(root: str | Path):
    """The kept time series of a sweep (run, month, columns), or None if none were kept."""
    root = Path(root)
    files = sorted((root / "series").glob("chunk-*.parquet")) if (root / "series").is_dir() \
        else []
    if not files:
        return None
    table = pa.concat_tables([pq.read_table(f) for f in files])
    return table.to_pandas().sort_values(["run", "month"], kind="stable").reset_index(drop=True)


def read_manifest(root: str | Path) -> dict[str, Any]:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise InputError(str(root), [("", "not a sweep directory (no manifest.json)")])
    try:
        return json.loads(path.read_text())
    except ValueError as e:
        raise InputError(str(path), [("", f"unreadable manifest: {e}")]) from None
