"""A sweep's manifest (``DIR/manifest.json``): the experiment, code versions, progress, status.

The manifest is informational (the run chunks are the source of truth) but it is what makes a
directory a sweep's: it is written when the first run is about to start — not before, so that a
sweep that fails to start (a Dask scheduler that does not answer) leaves the directory free — and
``--resume`` checks that the experiment file and scenarios are the ones the sweep started with.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import InputError

MANIFEST = "manifest.json"
FORMAT = 5
"""The result format a sweep directory is written in: 2 since outcome rows carry the
mass-killing onset and the deaths by victim and perpetrator, 3 since ``mass_atrocity`` means the
onset (model v2), 4 since they say whether an episode ended (``mass_killing_ended``), 5 since a
sweep may draw its runs' parameters from a posterior (the manifest's ``posterior``, the runs'
``posterior_row``); a directory of a format not in :data:`READS` is refused with one line (its
chunks would read as another experiment's)."""
READS = (4, 5)
"""Formats this version reads: 4 is 5 without a posterior (the same files, no ``posterior``)."""


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def code_version() -> str:
    """The package version, with the git commit when run from a checkout."""
    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=here,
                                capture_output=True, text=True, timeout=5, check=True
                                ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=here, capture_output=True, text=True, timeout=5).stdout.strip()
        return f"{__version__}+g{commit}{'.dirty' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def new_manifest(plan, path: str | Path) -> dict[str, Any]:
    """The manifest of a sweep of ``plan`` (a :class:`~.planning.Plan`) read from ``path``."""
    exp = plan.experiment
    return {
        "format": FORMAT,
        "experiment": {"name": exp.name, "file": str(Path(path).resolve()),
                       "digest": plan.digest, "definition": exp.model_dump(mode="json")},
        "scenarios": plan.config.sources, "skipped_scenarios": plan.skipped,
        "code_versions": [code_version()],
        "total_runs": plan.total, "points": len(plan.design), "replications": exp.replications,
        "policies": exp.policies, "parameters": plan.design.names,
        "problem": plan.design.problem, "sampler": exp.sampler.model_dump(),
        "posterior": _posterior(plan), "started": now(),
    }


def _posterior(plan) -> dict[str, Any] | None:
    """The posterior the runs drew from: its file, the SHA-256 of its bytes (``--resume``
    refuses another), the parameters the runs took from it and the row each replication drew."""
    post = plan.posterior
    if post is None:
        return None
    import hashlib

    from ..record.posterior import scenario_columns

    return {"file": post.source,
            "sha256": hashlib.sha256(Path(post.path or post.source).read_bytes()).hexdigest(),
            "parameters": scenario_columns(post),
            "rows_by_replication": [j + 1 for j in plan.draws]}


def read_manifest(root: str | Path) -> dict[str, Any]:
    path = Path(root) / MANIFEST
    if not path.is_file():
        raise InputError(str(root), [("", "not a sweep directory (no manifest.json)")])
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise InputError(str(path), [("", f"unreadable manifest: {e}")]) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("experiment"), dict):
        raise InputError(str(path), [("", "not a sweep manifest (no experiment)")])
    if manifest.get("format") not in READS:
        raise InputError(str(path), [("format", f"written by another version of escalation-sim "
                                      f"(result format {manifest.get('format')!r}; this version "
                                      f"reads {' and '.join(map(str, READS))}): run the sweep "
                                      "again into a new --out")])
    return manifest


def resumed(root: Path, manifest: dict[str, Any], resume: bool) -> dict[str, Any]:
    """``manifest`` as it continues the sweep already in ``root`` (if any); refuse a directory
    that holds a sweep without ``resume``, or a different experiment or scenarios."""
    if not (root / MANIFEST).exists():
        return manifest
    old = read_manifest(root)
    if not resume:
        raise InputError(str(root), [("", "already holds a sweep; use --resume to finish it, "
                                      "or another --out")])
    if old.get("experiment", {}).get("digest") != manifest["experiment"]["digest"]:
        raise InputError(str(root), [("", "the experiment file differs from the one this sweep "
                                      "started with; cannot resume")])
    if (old.get("posterior") or {}).get("sha256") != (manifest.get("posterior") or {}).get(
            "sha256"):
        raise InputError(str(root), [("", "the posterior file differs from the one this sweep "
                                      "started with; cannot resume")])
    if sorted(old.get("scenarios", {})) != sorted(manifest.get("scenarios", {})):
        raise InputError(str(root), [("", "the scenarios found differ from those this sweep "
                                      f"started with ({sorted(old.get('scenarios', {}))}); "
                                      "cannot resume")])
    return {**manifest, "started": old.get("started", manifest["started"]),
            "code_versions": sorted(set(old.get("code_versions", []))
                                    | set(manifest["code_versions"]))}
