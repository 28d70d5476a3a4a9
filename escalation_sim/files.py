"""Output files written whole or not at all.

Every output file (a sweep's chunks and manifest, ``outcomes.csv``, time series) is written to a
temporary name private to the writing process (``.NAME.PID.tmp``), flushed to disk, moved into
place with :func:`os.replace` and the directory entry flushed too: after a crash, a power cut or
a kill at any moment the file is either the old one, the new one whole, or absent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

TMP_SUFFIX = ".tmp"


def tmp_name(path: Path) -> Path:
    """The temporary name of ``path`` for this process."""
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


def fsync_dir(path: Path) -> None:
    """Flush a directory's entries (a rename in it) to disk; a no-op where unsupported."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(path: Path, write: Callable[[Path], Any]) -> None:
    """Write a file through ``write(tmp_path)`` and move it into place atomically."""
    path = Path(path)
    tmp = tmp_name(path)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_bytes_atomic(path: Path, data: bytes) -> None:
    write_atomic(path, lambda tmp: tmp.write_bytes(data))


def json_safe(obj: Any) -> Any:
    """``obj`` with every NaN float (a quantile never reached, a rate with no rows) as None,
    in nested dicts, lists and tuples: JSON has no NaN."""
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj


def write_json_atomic(path: Path, obj: Any) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(json.dumps(obj, indent=2, default=str)))
