"""The trainer page's figures (matplotlib ``Figure`` objects, no pyplot: one per session thread).

Every figure carries the caveat that results are the model's, not a forecast.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure

from ..model import SERIES
from ..outcomes import CAVEAT
from ..plotting import STAGE_COLOURS
from ..submodels.observation import INDICATORS
from .session import EVENT_KINDS, Session

_COL = {k: i for i, k in enumerate(SERIES)}
PANELS = (("stage", "stage (observed dashed)"), ("deaths", "deaths (people)"),
          ("displaced", "displaced (people)"), ("mobilized", "mobilized share"),
          ("propaganda", "hate-speech exposure"), ("indicators", "risk-factor indicators"))
INJECT_COLOUR, EVENT_COLOUR, EFFECT_COLOUR = "#e6550d", "0.45", "#31a354"


def _style(fig: Figure, dark: bool) -> tuple[str, str]:
    fg, bg = ("#eeeeee", "#1e1e1e") if dark else ("#111111", "#ffffff")
    fig.set_facecolor(bg)
    for ax in fig.axes:
        ax.set_facecolor(bg)
        ax.tick_params(colors=fg, labelsize=10)
        ax.yaxis.label.set_color(fg)
        ax.xaxis.label.set_color(fg)
        ax.title.set_color(fg)
        for s in ax.spines.values():
            s.set_color(fg)
    return fg, bg


def markers(session: Session) -> list[tuple[int, str, str]]:
    """(month, colour, label) of every marker: injects, events, interventions taking effect."""
    out = [(i.month - 1, INJECT_COLOUR, i.kind) for i in session.injects]
    for e in session.model.events_log:
        if e.kind in EVENT_KINDS:
            out.append((e.month, EVENT_COLOUR, e.kind))
        elif e.kind == "intervention" and e.text.endswith("takes effect"):
            out.append((e.month, EFFECT_COLOUR, e.text.partition(":")[0]))
    return out


def timeseries(session: Session, dark: bool = False) -> Figure:
    """Six panels over the whole horizon (a stable layout), with a marker at every inject
    (orange, solid), event (grey, dotted) and intervention taking effect (green, dashed)."""
    fig = Figure(figsize=(13, 6.4), layout="constrained")
    axes = fig.subplots(2, 3, sharex=True).ravel()
    months = np.arange(session.month + 1)
    data = session.model.series[: session.month + 1]
    for ax, (key, label) in zip(axes, PANELS, strict=True):
        if key == "indicators":
            for name in INDICATORS:
                ax.plot(months, data[:, _COL[f"ind_{name}"]], lw=1, label=name.replace("_", " "))
            ax.set_ylim(-0.02, 1.02)
        elif key == "stage":
            for k, c in enumerate(STAGE_COLOURS):
                ax.axhspan(k - 0.5, k + 0.5, color=c, alpha=0.35, lw=0)
            ax.step(months, data[:, _COL["stage"]], where="post", color="#b30000", lw=2)
            ax.step(months, data[:, _COL["observed_stage"]], where="post", color="k", lw=1,
                    ls="--")
            ax.set_yticks(range(4))
            ax.set_ylim(-0.5, 3.5)
        else:
            ax.plot(months, data[:, _COL[key]], color="#08519c", lw=2)
        ax.set_title(label, fontsize=12)
        ax.set_xlim(0, session.months)
        for m, colour, _ in markers(session):
            ax.axvline(m, color=colour, lw=1.4 if colour == INJECT_COLOUR else 0.9,
                       ls="-" if colour == INJECT_COLOUR else
                       ":" if colour == EVENT_COLOUR else "--")
    for m, colour, text in markers(session):
        if colour != EVENT_COLOUR:
            axes[0].annotate(text.replace("_", " "), (m, 3.45), fontsize=8, rotation=90,
                             va="top", ha="right", color=colour)
    for ax in axes[3:]:
        ax.set_xlabel("month", fontsize=11)
    fg, _ = _style(fig, dark)
    axes[5].legend(fontsize=6, ncols=2, loc="upper left", framealpha=0.5)
    fig.suptitle(f"{session.scenario.name}, seed {session.seed} — {CAVEAT}", fontsize=10,
                 color=fg)
    return fig


def comparison(as_is: Session, with_package: Session, label: str, dark: bool = False) -> Figure:
    """Both branches from the fork to the end, and their difference."""
    fig = Figure(figsize=(13, 4.2), layout="constrained")
    axes = fig.subplots(1, 4)
    months = np.arange(as_is.months + 1)
    for ax, key, title in zip(axes[:3], ("stage", "deaths", "displaced"),
                              ("stage", "deaths (people)", "displaced (people)"), strict=True):
        ax.plot(months, as_is.series(key), color="#636363", lw=2, label="as is")
        ax.plot(months, with_package.series(key), color=INJECT_COLOUR, lw=2, label=label)
        ax.set_title(title, fontsize=12)
    diff = with_package.series("deaths") - as_is.series("deaths")
    axes[3].plot(months, diff, color="#08519c", lw=2)
    axes[3].axhline(0, color="0.5", lw=0.8)
    axes[3].set_title("deaths: with package − as is", fontsize=12)
    fork = as_is_fork(as_is, with_package)
    for ax in axes:
        ax.axvline(fork, color=INJECT_COLOUR, lw=1)
        ax.set_xlabel("month")
        ax.set_xlim(0, as_is.months)
    axes[0].set_yticks(range(4))
    fg, _ = _style(fig, dark)
    axes[1].legend(fontsize=9)
    fig.suptitle(f"Branch at month {fork}, same random numbers — {CAVEAT}", fontsize=10,
                 color=fg)
    return fig


def as_is_fork(as_is: Session, with_package: Session) -> int:
    extra = with_package.injects[len(as_is.injects):]
    return extra[0].month - 1 if extra else as_is.month


def png(fig: Figure, dpi: int = 110) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, facecolor=fig.get_facecolor())
    return out.getvalue()


def districts(session: Session) -> list[dict]:
    """Per district: grid position, people alive by group, victimization, share of its
    residents displaced, and international protective presence (peacekeepers and police)."""
    m = session.model
    civ = m.civilians
    people = m.params.run.population / m.params.run.n_civilians
    residents = np.bincount(civ.home, minlength=m.n_districts)
    away = np.bincount(civ.home[civ.displaced & civ.alive], minlength=m.n_districts)
    names = [g.name for g in m.params.groups]
    out = []
    for (x, y), d in sorted(m.district_of_cell.items(), key=lambda kv: kv[1]):
        out.append({"district": d, "x": int(x), "y": int(y),
                    "groups": {n: float(m.alive_cells[d, i] * people)
                               for i, n in enumerate(names)},
                    "victimization": float(m.victimization[d].sum()),
                    "displaced_share": float(away[d] / residents[d]) if residents[d] else 0.0,
                    "protection": float(m.protection[d])})
    return out
