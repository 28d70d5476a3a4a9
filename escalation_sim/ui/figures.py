"""The trainer page's figures (matplotlib ``Figure`` objects, no pyplot: one per session thread).

Every figure carries the caveat that results are the model's, not a forecast.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..model import SERIES
from ..outcomes import CAVEAT
from ..plotting import STAGE_COLOURS
from .session import EVENT_KINDS, Session

PANELS = {"stage": "stage (true ─, warning level - -)",
          "observed": "warning level (what early warning sees)",
          "deaths": "deaths (people)", "displaced": "displaced (people)",
          "mobilized": "mobilized share", "propaganda": "hate-speech exposure",
          "scores": "stage scores (1 = the stage's entry threshold)"}
"""Every panel a live plot can show, by key, with its title."""
DESK = ("stage", "deaths", "displaced", "mobilized", "propaganda", "scores")
PROJECTOR = ("stage", "deaths", "displaced")
ROOM = ("observed", "deaths", "displaced")
"""The panels of the desk view, the projector and the room (no true stage, no scores)."""
SCORES = (("risk", "risk_up", "#1f77b4", "risk (stage 1)"),
          ("threat", "threat_up", "#ff7f0e", "threat (stage 2)"),
          ("atrocity", "atrocity_up", "#b30000", "atrocity (stage 3)"))
INJECT_COLOUR, EVENT_COLOUR, EFFECT_COLOUR = "#e6550d", "0.45", "#31a354"


def _style(fig: Figure, dark: bool, labelsize: int = 10) -> tuple[str, str]:
    fg, bg = ("#eeeeee", "#1e1e1e") if dark else ("#111111", "#ffffff")
    fig.set_facecolor(bg)
    for ax in fig.axes:
        ax.set_facecolor(bg)
        ax.tick_params(colors=fg, labelsize=labelsize)
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


class LivePlot:
    """Panels of one run over the whole horizon (a stable layout), with a marker at every
    inject (orange, solid), event (grey, dotted) and intervention taking effect (green, dashed).

    Drawn fast for the page (matplotlib blitting on the Agg canvas): the static parts (axes,
    ticks, titles, stage bands, legends, caveat) are drawn once and cached; each :meth:`png`
    restores them and draws only the data lines and markers. A growing panel's y-range doubles
    when the data outgrow it, and only then is the cache redrawn. Fixed margins, no layout
    engine (a constrained layout is recomputed at every draw). ``panels``: keys of
    :data:`PANELS`, three to a row; ``large``: projector fonts."""

    GROWING = ("deaths", "displaced", "mobilized", "propaganda", "scores")

    def __init__(self, session: Session, dark: bool = False, panels: tuple[str, ...] = DESK,
                 large: bool = False):
        self.months = session.months
        rows = (len(panels) + 2) // 3
        font = 15 if large else 12
        self.fig = Figure(figsize=(13, 3.5 * rows + 0.3 if large else 3.1 * rows), dpi=80)
        self.fig.subplots_adjust(left=0.06, right=0.99, top=0.84 if rows == 1 else 0.9,
                                 bottom=0.14 if rows == 1 else 0.08, wspace=0.22, hspace=0.3)
        self.canvas = FigureCanvasAgg(self.fig)
        self.axes = dict(zip(panels, self.fig.subplots(rows, 3, sharex=True).ravel(),
                             strict=True))
        self.lines: list[tuple[object, int, float]] = []   # (Line2D, column of SERIES, scale)
        fg, blue = ("#eeeeee", "#6baed6") if dark else ("#111111", "#08519c")
        for key in panels:
            ax = self.axes[key]
            ax.set_title(PANELS[key], fontsize=font)
            ax.set_xlim(0, self.months)
            if key in ("stage", "observed"):
                for k, c in enumerate(STAGE_COLOURS):
                    ax.axhspan(k - 0.5, k + 0.5, color=c, alpha=0.35, lw=0)
                if key == "stage":
                    self._line(ax, "stage", color="#b30000", lw=2.5, drawstyle="steps-post")
                self._line(ax, "observed_stage", color=fg, lw=1.5 if key == "stage" else 2.5,
                           ls="--" if key == "stage" else "-", drawstyle="steps-post")
                ax.set_yticks(range(4))
                ax.set_ylim(-0.5, 3.5)
            elif key == "scores":
                for name, threshold, colour, label in SCORES:
                    self._line(ax, name, 1 / getattr(session.scenario.stages, threshold),
                               color=colour, lw=1.8, label=label)
                ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
                ax.legend(fontsize=font - 3, loc="upper left")
            else:
                self._line(ax, key, color=blue, lw=2.5)
        self.growing = [k for k in self.GROWING if k in panels]
        self.limit = {key: self._limit(key, 0.0) for key in self.growing}
        for key in self.growing:
            self.axes[key].set_ylim(0, self.limit[key] * 1.04)
        for ax in list(self.axes.values())[-3:]:
            ax.set_xlabel("month", fontsize=font - 1)
        self.fg, _ = _style(self.fig, dark, font - 2)
        self.fig.text(0.5, 0.995, f"{session.scenario.name}, seed {session.seed} — {CAVEAT}",
                      fontsize=font - 3, color=self.fg, ha="center", va="top")
        self.background = None

    @staticmethod
    def _limit(key: str, top: float) -> float:
        """Upper y limit: 10 × 2^k people for counts, 2^-k (k ≤ 6) for shares, 2 × 2^k for
        scores relative to their thresholds."""
        if key in ("mobilized", "propaganda"):
            limit = 1 / 64
            while limit < top and limit < 1:
                limit *= 2
            return limit
        limit = 2.0 if key == "scores" else 10.0
        while limit < top:
            limit *= 2
        return limit

    def _line(self, ax, name: str, scale: float = 1.0, **style) -> None:
        (line,) = ax.plot([], [], animated=True, **style)
        self.lines.append((line, SERIES.index(name), scale))

    def _top(self, data: np.ndarray, key: str) -> float:
        if key == "scores":
            return max(float(np.nanmax(data[:, c])) * f for _, c, f in self.lines
                       if SERIES[c] in ("risk", "threat", "atrocity"))
        return float(np.nanmax(data[:, SERIES.index(key)]))

    def png(self, session: Session) -> bytes:
        month = session.month
        months = np.arange(month + 1)
        data = session.model.series[: month + 1]
        stale = self.background is None
        for key in self.growing:
            limit = self._limit(key, self._top(data, key))
            if limit != self.limit[key]:
                self.limit[key] = limit
                self.axes[key].set_ylim(0, limit * 1.04)
                stale = True
        if stale:
            self.canvas.draw()
            self.background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self.background)
        extra = []
        marks = markers(session)
        for ax in self.axes.values():
            for m, colour, _ in marks:
                extra.append(ax.axvline(m, color=colour, animated=True,
                                        lw=1.4 if colour == INJECT_COLOUR else 0.9,
                                        ls="-" if colour == INJECT_COLOUR else
                                        ":" if colour == EVENT_COLOUR else "--"))
        first = next(iter(self.axes.values()))
        for m, colour, text in marks:
            if colour != EVENT_COLOUR:
                extra.append(first.annotate(
                    text.replace("_", " "), (m, 3.45), fontsize=8, rotation=90, va="top",
                    ha="right", color=colour, animated=True))
        for line, column, scale in self.lines:
            line.set_data(months, data[:, column] * scale)
        for artist in [*extra, *(line for line, _, _ in self.lines)]:
            artist.axes.draw_artist(artist)
        for artist in extra:
            artist.remove()
        out = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(out, "png",
                                                                      compress_level=1)
        return out.getvalue()


def comparison(as_is: Session, with_package: Session, label: str, dark: bool = False) -> Figure:
    """Both branches from the fork to the end, and their difference."""
    fig = Figure(figsize=(13, 4.2), dpi=80)
    fig.subplots_adjust(left=0.05, right=0.99, top=0.86, bottom=0.13, wspace=0.25)
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


def png(fig: Figure, dpi: int | None = None) -> bytes:
    """The figure as PNG bytes (at its own dpi unless given)."""
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi or fig.dpi, facecolor=fig.get_facecolor())
    return out.getvalue()


def districts(session: Session) -> list[dict]:
    """Per district: grid position, people alive by group, people killed and displaced (by
    home district), victimization, international protective presence (peacekeepers, police,
    monitors) and each armed group's members based there (:meth:`Session.armed_members`)."""
    m = session.model
    civ = m.civilians
    people = m.params.people_per_civilian
    residents = np.bincount(civ.home, minlength=m.n_districts)
    away = np.bincount(civ.home[civ.displaced & civ.alive], minlength=m.n_districts)
    killed = np.bincount(civ.home[~civ.alive], minlength=m.n_districts)
    names = [g.name for g in m.params.groups]
    armed = session.armed_members(session.month)
    out = []
    for (x, y), d in sorted(m.district_of_cell.items(), key=lambda kv: kv[1]):
        out.append({"district": d, "x": int(x), "y": int(y),
                    "groups": {n: float(m.violence.alive_cells[d, i] * people)
                               for i, n in enumerate(names)},
                    "residents": float(residents[d] * people),
                    "killed": float(killed[d] * people),
                    "displaced": float(away[d] * people),
                    "victimization": float(m.violence.victimization[d].sum()),
                    "displaced_share": float(away[d] / residents[d]) if residents[d] else 0.0,
                    "protection": float(m.violence.protectors[d]),   # people
                    "armed": {n: float(members[d]) for n, members in armed.items()}})
    return out


KILLED_BINS = (0, 0.5, 2, 5, 10, 20, 50, 1000)
"""Killed per 1,000 residents: the map's absolute colour scale (the same in every run)."""
GROUP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666", "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6")
ARMED_MARKERS = ("^", "v", "D", "p", "h", "*")


class LiveMap:
    """The districts as hexagons on their grid, drawn once and updated in place each month:
    fill = people killed per 1,000 residents (an absolute scale, with its colour bar), a bar of
    group shares, the people killed and the share displaced, armed groups' members (black
    symbols sized by strength; facilitator only) and international protection (blue squares
    sized by strength). The room's map (``truth=False``) shows what outside actors see:
    killings, displacement and protection, not the armed groups."""

    def __init__(self, session: Session, dark: bool = False, truth: bool = True):
        import matplotlib
        from matplotlib.colors import BoundaryNorm
        from matplotlib.lines import Line2D
        from matplotlib.patches import Rectangle, RegularPolygon

        rows = districts(session)
        self.truth, font = truth, 12
        self.fig = Figure(figsize=(6.4, 5.6), dpi=80)
        self.fig.subplots_adjust(left=0.01, right=0.86, top=0.93, bottom=0.16)
        self.canvas = FigureCanvasAgg(self.fig)
        ax = self.fig.add_subplot()
        cax = self.fig.add_axes((0.88, 0.2, 0.03, 0.68))
        self.cmap = matplotlib.colormaps["Reds"]
        self.norm = BoundaryNorm(KILLED_BINS, self.cmap.N)
        fg, bg = ("#eeeeee", "#1e1e1e") if dark else ("#111111", "#ffffff")
        names = list(rows[0]["groups"]) if rows else []
        self.cells = []
        for r in rows:
            cx, cy = r["x"] + 0.5 * (r["y"] % 2), r["y"] * 0.87
            hexagon = RegularPolygon((cx, cy), 6, radius=0.56, edgecolor="0.5", lw=1)
            ax.add_patch(hexagon)
            texts = [ax.text(cx, cy + dy, "", ha="center", va="center", fontsize=size,
                             weight=weight)
                     for dy, size, weight in ((0.3, font, "bold"), (-0.05, font - 2, "normal"),
                                              (-0.25, font - 2, "normal"))]
            texts[0].set_text(f"D{r['district']}")
            bars = [ax.add_patch(Rectangle((cx - 0.35, cy + 0.1), 0, 0.07, lw=0,
                                           facecolor=GROUP_COLOURS[i % len(GROUP_COLOURS)]))
                    for i in range(len(names))]
            (shield,) = ax.plot([cx + 0.33], [cy - 0.38], "s", color="#2166ac", mec="white")
            armed = [ax.plot([cx - 0.36 + 0.18 * j], [cy - 0.42], ARMED_MARKERS[j % 6],
                             color="#111111", mec="white")[0]
                     for j in range(len(r["armed"]) if truth else 0)]
            self.cells.append((cx, hexagon, texts, bars, shield, armed))
        ax.set_xlim(-0.7, session.scenario.space.width + 0.2)
        ax.set_ylim(-0.7, (session.scenario.space.height - 1) * 0.87 + 0.7)
        ax.set_aspect("equal")
        ax.axis("off")
        bar = self.fig.colorbar(matplotlib.cm.ScalarMappable(norm=self.norm, cmap=self.cmap),
                                cax=cax)
        bar.set_label("killed per 1,000 residents", color=fg, fontsize=font - 1)
        bar.ax.tick_params(colors=fg, labelsize=font - 3)
        handles = [Line2D([], [], lw=6, color=GROUP_COLOURS[i % len(GROUP_COLOURS)],
                          label=f"group {n}") for i, n in enumerate(names)]
        handles.append(Line2D([], [], ls="", marker="s", color="#2166ac",
                              label="international protection"))
        if truth:
            handles += [Line2D([], [], ls="", marker=ARMED_MARKERS[j % 6], color="#111111",
                               label=a.name.replace("_", " "))
                        for j, a in enumerate(session.scenario.armed_groups)]
        legend = self.fig.legend(handles=handles, loc="lower center", ncol=3,
                                 fontsize=font - 3, frameon=False)
        for t in legend.get_texts():
            t.set_color(fg)
        self.fig.set_facecolor(bg)
        self.title = self.fig.text(0.01, 0.99, "", fontsize=font - 1, va="top", color=fg)

    def png(self, rows: list[dict], month: int) -> bytes:
        """The map of ``rows`` (:func:`districts`) at ``month``, as PNG bytes."""
        top = max([v for r in rows for v in r["armed"].values()] + [1.0])
        for r, (cx, hexagon, texts, bars, shield, armed) in zip(rows, self.cells, strict=True):
            rate = 1000 * r["killed"] / r["residents"] if r["residents"] else 0.0
            hexagon.set_facecolor(self.cmap(self.norm(min(rate, KILLED_BINS[-1] - 1))))
            ink = "#ffffff" if rate >= 10 else "#111111"
            texts[1].set_text(f"{r['killed']:,.0f} killed")
            texts[2].set_text(f"{100 * r['displaced_share']:.0f} % displ.")
            for t in texts:
                t.set_color(ink)
            alive, left = sum(r["groups"].values()) or 1.0, cx - 0.35
            for rect, v in zip(bars, r["groups"].values(), strict=True):
                rect.set_x(left)
                rect.set_width(0.7 * v / alive)
                left += 0.7 * v / alive
            shield.set_visible(r["protection"] > 0)
            shield.set_markersize(6 + 4 * min(r["protection"] / 500.0, 3))
            for marker, members in zip(armed, r["armed"].values(), strict=False):
                marker.set_visible(members > 0)
                marker.set_markersize(5 + 9 * members / top)
        self.title.set_text(f"Month {month}: districts (bar: group shares; symbols sized by "
                            "strength)")
        self.canvas.draw()
        out = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(out, "png",
                                                                      compress_level=1)
        return out.getvalue()
