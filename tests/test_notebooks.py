"""The notebooks under notebooks/ run from top to bottom (on tiny experiments), so they cannot go
stale."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow   # ensembles, subprocesses or a browser: the slow tier

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    monkeypatch.setenv("ESCALATION_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()   # raises CellExecutionError at the first cell that fails


def test_there_are_four_notebooks():
    assert [p.name for p in NOTEBOOKS] == ["01_quick_start.ipynb", "02_sweep_analysis.ipynb",
                                           "03_policy_comparison.ipynb", "04_validation.ipynb"]
