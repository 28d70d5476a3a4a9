"""Results on disk: Parquet chunks written atomically, one writer at a time, checked on reading.

Layout of a sweep's directory::

    manifest.json            the experiment, code version, progress (informational)
    design.parquet           the sampled points (numeric design, as SALib's analysis needs it)
    runs/chunk-NNNNNN.parquet    one row per run: identity, parameters, status, outcomes
                                 (and ``posterior_row`` in a sweep with a posterior)
    series/chunk-NNNNNN.parquet  optional time series, one row per kept month of a run
    .lock                    held (``flock``) by the one process writing here; names it
    damaged/                 chunks set aside by ``sweep --resume --repair``

Every file is written to a temporary name private to its writer and moved into place
(:func:`escalation_sim.files.write_atomic`), so a file exists whole or not at all whenever the
process is killed. The run chunks are the source of truth: a run is done if and only if its row
is in a ``runs/`` chunk. A ``series/`` chunk is written *before* the ``runs/`` chunk of the same
number, so on resume a series chunk without its runs chunk is an orphan of a kill between the
two and is deleted (its runs are re-run).

Every chunk is checked when a sweep is resumed or analyzed (:func:`survey`): a chunk that cannot
be read, whose columns are not this sweep's, that holds runs outside the sweep or runs already
in another chunk is *damaged*; it is named with what is wrong, and ``--repair`` moves it to
``damaged/`` so that its runs run again. A run is never counted twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import InputError
from ..files import TMP_SUFFIX, write_atomic, write_json_atomic
from ..outcomes import ROW_COLUMNS
from .manifest import MANIFEST, now, read_manifest, resumed

LOCK = ".lock"

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


POSTERIOR_ROW = "posterior_row"
"""The column of a sweep with a posterior: the 1-based row of the posterior file whose parameter
set the run drew (the file itself is in the manifest's ``posterior``)."""


def run_schema(parameters: dict[str, Any], posterior: bool = False) -> pa.Schema:
    """The schema of ``runs/`` chunks; ``parameters`` maps each path to an example value;
    with a ``posterior``, :data:`POSTERIOR_ROW` follows them."""
    return pa.schema(IDENTITY + [(k, _arrow_type(v)) for k, v in parameters.items()]
                     + ([(POSTERIOR_ROW, pa.int64())] if posterior else []) + OUTCOMES)


def series_schema(columns: list[str]) -> pa.Schema:
    return pa.schema([("run", pa.int64()), ("month", pa.int64())]
                     + [(c, pa.float64()) for c in columns])


# ---- one writer per directory ------------------------------------------------------------------
class DirectoryLock:
    """An exclusive lock on a result directory: ``flock`` on ``DIR/.lock``, held while the
    process lives and released by the operating system when it dies (even by SIGKILL). The lock
    file names its holder (PID, host, start time) for the message a second writer gets."""

    def __init__(self, root: Path):
        self.path = Path(root) / LOCK
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = json.loads(os.read(fd, 4096) or b"{}")
            except ValueError:
                holder = {}
            os.close(fd)
            who = (f"process {holder.get('pid', '?')} on host {holder.get('host', '?')}, "
                   f"since {holder.get('since', '?')}")
            raise InputError(str(self.path.parent), [("", (
                f"another sweep is writing to this directory ({who}); wait for it to end or "
                "stop it, then --resume"))]) from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": now()}).encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)      # closing the descriptor releases the lock
            self._fd = None

    def __enter__(self) -> DirectoryLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


# ---- checking what is on disk ------------------------------------------------------------------
@dataclass
class Survey:
    """What the chunks of a sweep directory hold: the runs of the sound chunks, and the damaged
    chunks with what is wrong with each."""

    chunks: dict[str, list[int]] = field(default_factory=dict)   # runs chunk name -> runs
    failed: int = 0
    damaged: list[tuple[Path, str]] = field(default_factory=list)
    orphans: list[Path] = field(default_factory=list)            # series chunks without runs

    @property
    def runs(self) -> set[int]:
        return {r for runs in self.chunks.values() for r in runs}

    def error(self, root: Path, hint: str) -> InputError:
        return InputError(str(root), [(str(path), problem) for path, problem in self.damaged]
                          + [("", hint)])


def _columns_differ(found: pa.Schema, expected: pa.Schema | list[str]) -> str | None:
    names = expected.names if isinstance(expected, pa.Schema) else expected
    missing = [n for n in names if n not in found.names]
    extra = [n for n in found.names if n not in names]
    if missing or extra:
        return ("its columns are not this sweep's (another experiment's chunk?): "
                + "; ".join(s for s in (f"missing {missing[:4]}" if missing else "",
                                        f"unexpected {extra[:4]}" if extra else "") if s))
    if isinstance(expected, pa.Schema):
        wrong = [f"{f.name} is {found.field(f.name).type}, not {f.type}" for f in expected
                 if not found.field(f.name).type.equals(f.type)]
        if wrong:
            return "its column types are not this sweep's: " + "; ".join(wrong[:3])
    return None


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(path, columns=columns)


def survey(root: str | Path, total: int, schema: pa.Schema | list[str],
           sschema: pa.Schema | None = None) -> Survey:
    """Check every chunk of ``root`` against the sweep's ``total`` runs and run ``schema`` (or
    its column names), and ``sschema`` for the series chunks if given."""
    root = Path(root)
    s = Survey()
    owner: dict[int, str] = {}
    for chunk in sorted((root / "runs").glob("chunk-*.parquet")):
        series = root / "series" / chunk.name
        try:
            problem = _columns_differ(pq.read_schema(chunk), schema)
            if problem is None:
                t = _read(chunk, ["run", "status"])
                runs = np.asarray(t.column("run").to_numpy(zero_copy_only=False))
                status = t.column("status").to_pylist()
        except (pa.ArrowException, OSError, ValueError) as e:
            problem = f"not a readable Parquet file ({type(e).__name__}: {e})"
        if problem is None:
            outside = runs[(runs < 0) | (runs >= total)]
            values, counts = np.unique(runs, return_counts=True)
            twice = [int(r) for r in runs if int(r) in owner]
            if outside.size:
                problem = (f"holds runs outside this sweep's 0-{total - 1} "
                           f"({outside[:3].tolist()})")
            elif (counts > 1).any():
                problem = f"holds run {int(values[counts > 1][0])} twice"
            elif twice:
                problem = (f"duplicated runs: {len(twice)} of its runs (e.g. {twice[0]}) are "
                           f"already in {owner[twice[0]]}")
        if problem is None and sschema is not None and series.exists():
            try:
                problem = _columns_differ(pq.read_schema(series), sschema)
                if problem is None:
                    _read(series, ["run"])
                else:
                    problem = f"its series chunk {series}: {problem}"
            except (pa.ArrowException, OSError, ValueError) as e:
                problem = (f"its series chunk {series} is not a readable Parquet file "
                           f"({type(e).__name__}: {e})")
        if problem is not None:
            s.damaged.append((chunk, problem))
            continue
        s.chunks[chunk.name] = runs.tolist()
        owner.update(dict.fromkeys(s.chunks[chunk.name], chunk.name))
        s.failed += sum(x != "ok" for x in status)
    if (root / "series").is_dir():
        s.orphans = [c for c in sorted((root / "series").glob("chunk-*.parquet"))
                     if not (root / "runs" / c.name).exists()]
    return s


def set_aside(root: Path, chunk: Path) -> Path:
    """Move a damaged runs chunk (and its series chunk) to ``root/damaged/``."""
    dest = root / "damaged"
    dest.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = dest / f"runs-{chunk.stem}-{stamp}.parquet"
    shutil.move(chunk, target)
    series = root / "series" / chunk.name
    if series.exists():
        shutil.move(series, dest / f"series-{chunk.stem}-{stamp}.parquet")
    return target


# ---- writing -----------------------------------------------------------------------------------
class ParquetStore:
    """Streams run rows to Parquet chunks; holds at most one chunk's rows in memory.

    A chunk is flushed when it has ``chunk_rows`` rows or its oldest row is ``chunk_seconds``
    old (checked as rows arrive), and at :meth:`close`. :meth:`open` takes the directory's lock
    (:class:`DirectoryLock`) and :meth:`close` releases it.
    """

    def __init__(self, root: str | Path, chunk_rows: int = 256, chunk_seconds: float = 30.0):
        self.root = Path(root)
        self.chunk_rows = chunk_rows
        self.chunk_seconds = chunk_seconds
        self.manifest: dict[str, Any] = {}
        self.lock = DirectoryLock(self.root)
        self.repaired: list[tuple[Path, str, Path]] = []
        self._rows: list[dict[str, Any]] = []
        self._series: list[np.ndarray] = []
        self._since = time.monotonic()
        self._next = 0
        self._closed = False
        self.done = 0
        self.failed = 0

    # ---- opening ---------------------------------------------------------------------------
    def open(self, manifest: dict[str, Any], schema: pa.Schema,
             series_columns: list[str] | None, resume: bool, repair: bool = False) -> set[int]:
        """Take the directory's lock, check what is on disk; return the run indices done.

        Nothing is written here but the lock file (and, with ``repair``, damaged chunks moved
        aside): the manifest is written by :meth:`start`, when runs are about to start.
        """
        self.schema = schema
        self.sschema = series_schema(series_columns) if series_columns is not None else None
        self.lock.acquire()
        try:
            return self._open(manifest, resume, repair)
        except BaseException:
            self.lock.release()
            raise

    def _open(self, manifest: dict[str, Any], resume: bool, repair: bool) -> set[int]:
        self.manifest = resumed(self.root, manifest, resume)
        for folder in (self.root, self.root / "runs", self.root / "series"):
            for tmp in folder.glob(f"*{TMP_SUFFIX}"):   # torn writes of a killed writer (we
                tmp.unlink()                            # hold the lock: no other is alive)
        s = survey(self.root, manifest["total_runs"], self.schema, self.sschema)
        if s.damaged and not repair:
            raise s.error(self.root, "resume with --repair to set the damaged chunks aside (in "
                          "damaged/) and run their runs again")
        for chunk, problem in s.damaged:
            self.repaired.append((chunk, problem, set_aside(self.root, chunk)))
        for orphan in s.orphans:
            orphan.unlink()    # written before a kill that came before its runs chunk
        numbers = [-1] + [int(Path(name).stem.split("-")[1]) for name in s.chunks]
        numbers += [int(c.stem.split("-")[1]) for c, _ in s.damaged if c.stem[6:].isdigit()]
        self._next = max(numbers) + 1
        done = s.runs
        self.done = len(done)
        self.failed = s.failed
        return done

    def start(self) -> None:
        """Claim the directory for this sweep: folders and the manifest, status ``running``."""
        (self.root / "runs").mkdir(parents=True, exist_ok=True)
        if self.sschema is not None:
            (self.root / "series").mkdir(exist_ok=True)
        self._write_manifest("running")

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
        """Flush, write the manifest with ``status`` (if the sweep started) and release the
        lock. Closing again does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.manifest.get("status") is not None:
                self.flush()
                self._write_manifest(status)
        finally:
            self.lock.release()

    def _write_manifest(self, status: str) -> None:
        self.manifest.update(status=status, done=self.done, failed=self.failed, updated=now())
        write_json_atomic(self.root / MANIFEST, self.manifest)


# ---- reading -----------------------------------------------------------------------------------
def _sound(root: Path) -> tuple[Survey, dict[str, Any]]:
    """The survey of a sweep directory for reading; damaged chunks are an error (exit 2)."""
    manifest = read_manifest(root)
    if not (root / "runs").is_dir() or not any((root / "runs").glob("chunk-*.parquet")):
        raise InputError(str(root), [("", "no results here (no runs/chunk-*.parquet); run "
                                      "'escalation-sim sweep' first")])
    names = ([n for n, _ in IDENTITY] + list(manifest.get("parameters", []))
             + ([POSTERIOR_ROW] if manifest.get("posterior") else [])
             + [n for n, _ in OUTCOMES])
    s = survey(root, int(manifest.get("total_runs", 0)), names)
    if s.damaged:
        raise s.error(root, "'escalation-sim sweep EXPERIMENT --out DIR --resume --repair' sets "
                            "damaged chunks aside and runs their runs again")
    return s, manifest


def read_runs(root: str | Path):
    """All run rows of a sweep directory as a pandas DataFrame, sorted by run index.

    Raises :class:`InputError` naming each damaged chunk (see :func:`survey`)."""
    root = Path(root)
    s, _ = _sound(root)
    table = pa.concat_tables([_read(root / "runs" / name) for name in s.chunks])
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
    """The kept time series of a sweep's runs (run, month, columns), or None if none were kept;
    series chunks without their runs chunk (a kill between the two writes) are left out."""
    root = Path(root)
    if not (root / "series").is_dir():
        return None
    s, _ = _sound(root)
    files = [root / "series" / name for name in s.chunks if (root / "series" / name).exists()]
    if not files:
        return None
    try:
        table = pa.concat_tables([_read(f) for f in files])
    except (pa.ArrowException, OSError, ValueError) as e:
        raise InputError(str(root / "series"), [("", f"a series chunk is damaged: {e}; "
                                                 "'sweep --resume --repair' reruns it")]) from None
    return table.to_pandas().sort_values(["run", "month"], kind="stable").reset_index(drop=True)
