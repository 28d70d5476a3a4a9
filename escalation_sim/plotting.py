"""Figures (matplotlib, no display needed). Every figure says it shows the model, not a country."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .model import SERIES  # noqa: E402
from .outcomes import CAVEAT, RunOutcome  # noqa: E402
from .stages import Stage  # noqa: E402

STAGE_COLOURS = ("#9ecae1", "#fdd49e", "#fc8d59", "#b30000")


def stage_trajectories(outcomes: Sequence[RunOutcome], path: Path, title: str) -> Path:
    """Share of runs at each stage by month (stacked), and cumulative P(mass atrocity)."""
    stages = np.array([o.stages for o in outcomes])
    months = np.arange(stages.shape[1])
    shares = np.stack([(stages == k).mean(axis=0) for k in range(4)])
    ma_month = np.array([o.mass_atrocity_month if o.mass_atrocity else np.inf
                         for o in outcomes])
    cum_ma = (ma_month[None, :] <= months[:, None]).mean(axis=1)
    fig, ax = plt.subplots(figsize=(9, 5), constrained_layout=True)
    ax.stackplot(months, shares, colors=STAGE_COLOURS,
                 labels=[f"{int(s)} {s.label}" for s in Stage])
    ax.plot(months, cum_ma, color="black", lw=2, label="mass atrocity so far")
    ax.set(xlim=(0, months[-1]), ylim=(0, 1), xlabel="month",
           ylabel="share of runs", title=f"{title} ({len(outcomes)} runs)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.text(0.01, 0.005, CAVEAT, fontsize=7, color="0.3")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run_panels(series: np.ndarray, events: Sequence, path: Path, title: str) -> Path:
    """One run: stage, deaths, displacement, mobilization and propaganda, with event markers."""
    col = {k: i for i, k in enumerate(SERIES)}
    months = np.arange(series.shape[0])
    panels = [("stage", "stage (true, and observed dashed)"), ("deaths", "deaths (people)"),
              ("displaced", "displaced (people)"), ("mobilized", "mobilized share"),
              ("propaganda", "hate-speech exposure")]
    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 10), sharex=True,
                             constrained_layout=True)
    for ax, (key, label) in zip(axes, panels, strict=True):
        ax.plot(months, series[:, col[key]], color="#b30000" if key == "stage" else "#08519c")
        if key == "stage":
            ax.plot(months, series[:, col["observed_stage"]], "k--", lw=1)
            ax.set_yticks(range(4))
            ax.set_ylim(-0.2, 3.2)
        ax.set_ylabel(label, fontsize=8)
        for e in events:
            ax.axvline(e.month, color="0.6", lw=0.8, ls=":")
    for e in events:
        axes[0].annotate(e.kind, (e.month, 3.1), fontsize=6, rotation=90, va="top")
    axes[0].set_title(title)
    axes[-1].set_xlabel("month")
    fig.text(0.01, 0.002, CAVEAT, fontsize=7, color="0.3")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
