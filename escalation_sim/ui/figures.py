"""The trainer page's figures (matplotlib ``Figure`` objects, no pyplot: one per session thread).

Every figure carries the caveat that results are the model's, not a forecast.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..model import SERIES
from ..outcomes import CAVEAT
from ..plotting import STAGE_COLOURS
from ..scenario import flatten
from .session import EVENT_KINDS, Session

PANELS = {"stage": "stage (true ─, warning level - -)",
          "observed": "warning level (early warning)",
          "deaths": "deaths (people)", "displaced": "displaced (people)",
          "mobilized": "mobilized share", "propaganda": "hate-speech exposure",
          "scores": "stage scores (1 = threshold)",
          "reported_deaths": "deaths as reported (people)",
          "reported_displaced": "displaced as reported (people)"}
"""Every panel a live plot can show, by key, with its title."""
DESK = ("stage", "deaths", "displaced", "mobilized", "propaganda", "scores")
PROJECTOR = ("stage", "deaths", "displaced")
ROOM = ("observed", "reported_deaths", "reported_displaced")
"""The panels of the desk view, the projector and the room (no true stage, no scores, deaths
and displacement as reported: :meth:`Session.reported_series`)."""
REPORTED = ("reported_deaths", "reported_displaced")
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

    Drawn fast for the page: each panel is a small matplotlib figure of its own, and the page's
    image is the panels side by side, three to a row (two in a box narrower than
    :attr:`NARROW` px), under a strip with the caveat. A panel's
    static parts (axes, ticks, title, stage bands, legend) are drawn once and cached
    (:attr:`static`), and so are they with the markers on top (:attr:`background`: the markers
    change only with an inject, an event or an effect); each :meth:`png` restores the latter
    and draws only the data lines (blitting on the Agg canvas). A growing panel's y-range
    doubles when the data outgrow it, and only then are that panel's static parts drawn again:
    the others are left as they are (text is most of a full draw's cost). Fixed margins in
    pixels, no layout engine. ``panels``: keys of :data:`PANELS`;
    ``large``: projector fonts; ``width``: the image's width in pixels, the width it is shown
    at on the page, so that its text has the size in pixels given in :attr:`TEXT_PX`."""

    GROWING = ("deaths", "displaced", "mobilized", "propaganda", "scores", "reported_deaths",
               "reported_displaced")
    DPI = 72
    """One point is one pixel: font sizes below are pixels in the image."""
    WIDTH = 1038
    """The image's default width (px)."""
    NARROW = 840
    """Below this width (px) the panels go two to a row: three would be too small to read."""
    ASPECT = {False: 0.68, True: 0.84}
    """Each panel's height / width (normal, large)."""
    TEXT_PX = {False: (15, 14), True: (20, 18)}
    """(title, tick labels) in pixels (normal, large): readable from the back of a room at
    1:1 on the page (issue 14 asks for text of at least 18 px on the projector)."""

    def __init__(self, session: Session, dark: bool = False, panels: tuple[str, ...] = DESK,
                 large: bool = False, width: int = WIDTH):
        self.months = session.months
        self.keys = panels
        title_px, tick_px = self.TEXT_PX[large]
        self.tick_px = tick_px
        per_row = self.per_row = 3 if width >= self.NARROW else 2
        w = max(int(width) // per_row, 200)
        h = round(w * self.ASPECT[large])
        left, right, top, bottom = (round(3.4 * tick_px), round(0.9 * tick_px),
                                    round(1.8 * title_px), round(2.7 * tick_px))
        fg, blue = ("#eeeeee", "#6baed6") if dark else ("#111111", "#08519c")
        self.fg, self.bg = fg, ("#1e1e1e" if dark else "#ffffff")
        self.figs: dict[str, Figure] = {}
        self.axes = {}
        self.canvases: dict[str, FigureCanvasAgg] = {}
        # per panel: (Line2D, column of SERIES, scale); a negative column -k-1 is reported
        # series k
        self.lines: dict[str, list[tuple[object, int, float]]] = {}
        rows = -(-len(panels) // per_row)
        for i, key in enumerate(panels):
            fig = Figure(figsize=(w / self.DPI, h / self.DPI), dpi=self.DPI)
            fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h,
                                bottom=bottom / h)
            ax = fig.add_subplot()
            self.figs[key], self.axes[key], self.lines[key] = fig, ax, []
            self.canvases[key] = FigureCanvasAgg(fig)
            ax.set_title(PANELS[key], fontsize=title_px)
            ax.set_xlim(0, self.months)
            ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
            ax.yaxis.set_major_locator(MaxNLocator(4))
            if i // per_row == rows - 1 or i + per_row >= len(panels):
                ax.set_xlabel("month", fontsize=tick_px, labelpad=1)
            else:   # the row below gives the months
                ax.tick_params(labelbottom=False)
            if key in ("stage", "observed"):
                for k, c in enumerate(STAGE_COLOURS):
                    ax.axhspan(k - 0.5, k + 0.5, color=c, alpha=0.35, lw=0)
                if key == "stage":
                    self._line(key, "stage", color="#b30000", lw=2.5, drawstyle="steps-post")
                self._line(key, "observed_stage", color=fg, lw=1.5 if key == "stage" else 2.5,
                           ls="--" if key == "stage" else "-", drawstyle="steps-post")
                ax.set_yticks(range(4))
                ax.set_ylim(-0.5, 3.5)
            elif key == "scores":
                for name, threshold, colour, label in SCORES:
                    self._line(key, name, 1 / getattr(session.scenario.stages, threshold),
                               color=colour, lw=1.8, label=label)
                ax.axhline(1.0, color="0.4", lw=0.8, ls=":")
                ax.legend(fontsize=tick_px - 2, loc="upper left")
            elif key.startswith("reported_"):
                (line,) = ax.plot([], [], animated=True, color=blue, lw=2.5)
                self.lines[key].append((line, -1 - REPORTED.index(key), 1.0))
            else:
                self._line(key, key, color=blue, lw=2.5)
            if key == "mobilized":
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.3g}%"))
            elif key in ("deaths", "displaced", *REPORTED):
                ax.yaxis.set_major_formatter(FuncFormatter(_people))
            _style(fig, dark, tick_px)
        self.growing = [k for k in self.GROWING if k in panels]
        self.limit = {key: self._limit(key, 0.0) for key in self.growing}
        for key in self.growing:
            self.axes[key].set_ylim(0, self.limit[key] * 1.04)
        self.static: dict[str, object] = {}   # each panel's static parts, once drawn
        self.background: dict[str, object] = {}   # the same with the markers on top
        self.marks: list[tuple[int, str, str]] = []   # the markers drawn in the backgrounds
        self.marker_artists: dict[str, list] = {key: [] for key in panels}
        # the image: a strip with the caveat, then the panels, per_row to a row
        strip = round(1.5 * tick_px)
        head = Figure(figsize=(per_row * w / self.DPI, strip / self.DPI), dpi=self.DPI)
        head.set_facecolor(self.bg)
        head.text(0.5, 0.5, f"{session.scenario.name}, seed {session.seed} — {CAVEAT}",
                  fontsize=tick_px - 2, color=fg, ha="center", va="center")
        canvas = FigureCanvasAgg(head)
        canvas.draw()
        self.head = np.asarray(canvas.buffer_rgba())[:, :, :3].copy()
        self.size = (strip + rows * h, per_row * w)
        self.slots = {key: (slice(strip + (i // per_row) * h, strip + (i // per_row + 1) * h),
                            slice((i % per_row) * w, (i % per_row + 1) * w))
                      for i, key in enumerate(panels)}

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

    def _line(self, key: str, name: str, scale: float = 1.0, **style) -> None:
        (line,) = self.axes[key].plot([], [], animated=True, **style)
        self.lines[key].append((line, SERIES.index(name), scale))

    def _top(self, data: np.ndarray, key: str) -> float:
        if key in REPORTED:
            return float(np.nanmax(data[:, len(SERIES) + REPORTED.index(key)]))
        if key == "scores":
            return max(float(np.nanmax(data[:, c])) * f for _, c, f in self.lines[key])
        return float(np.nanmax(data[:, SERIES.index(key)]))

    def _mark(self, marks: list[tuple[int, str, str]]) -> None:
        """Make ``marks`` the markers of every panel (drawn on its static parts at the next
        :meth:`png`)."""
        style = {INJECT_COLOUR: (2.0, "-"), EVENT_COLOUR: (1.0, ":"), EFFECT_COLOUR: (1.0, "--")}
        for i, key in enumerate(self.keys):
            ax = self.axes[key]
            for artist in self.marker_artists[key]:
                artist.remove()
            artists = self.marker_artists[key] = []
            if marks:   # one collection of vertical lines: x in months, y across the axes
                artists.append(ax.add_collection(LineCollection(
                    [[(m, 0), (m, 1)] for m, _, _ in marks], colors=[c for _, c, _ in marks],
                    linewidths=[style[c][0] for _, c, _ in marks],
                    linestyles=[style[c][1] for _, c, _ in marks],
                    transform=ax.get_xaxis_transform(), animated=True), autolim=False))
            if i == 0:
                artists += [ax.annotate(
                    text.replace("_", " "), (m, 3.45), fontsize=self.tick_px - 4, rotation=90,
                    va="top", ha="right", color=colour, animated=True)
                    for m, colour, text in marks if colour != EVENT_COLOUR]
        self.marks = marks
        self.background.clear()

    def png(self, session: Session) -> bytes:
        month = session.month
        months = np.arange(month + 1)
        data = session.model.series[: month + 1]
        if any(k in REPORTED for k in self.keys):   # the room's: append what is reported
            data = np.column_stack([data, *(session.reported_series(k.removeprefix("reported_"))
                                            for k in REPORTED)])
        marks = markers(session)
        if marks != self.marks:
            self._mark(marks)
        for key in self.growing:
            limit = self._limit(key, self._top(data, key))
            if limit != self.limit[key]:
                self.limit[key] = limit
                self.axes[key].set_ylim(0, limit * 1.04)
                self.static.pop(key, None)   # this panel's static parts are drawn again
        image = np.empty((*self.size, 3), np.uint8)   # for this PNG only: not kept
        image[:] = self.head[0, 0]   # the background colour, where no panel is
        image[:len(self.head)] = self.head
        for key in self.keys:
            ax, canvas = self.axes[key], self.canvases[key]
            bbox = self.figs[key].bbox
            if key not in self.static:
                canvas.draw()   # all but the animated artists: markers and data lines
                self.static[key] = canvas.copy_from_bbox(bbox)
                self.background.pop(key, None)
            if key in self.background:
                canvas.restore_region(self.background[key])
            else:
                canvas.restore_region(self.static[key])
                for artist in self.marker_artists[key]:
                    ax.draw_artist(artist)
                self.background[key] = canvas.copy_from_bbox(bbox)
            for line, column, scale in self.lines[key]:
                at = column if column >= 0 else len(SERIES) - 1 - column
                line.set_data(months, data[:, at] * scale)
                ax.draw_artist(line)
            image[self.slots[key]] = np.asarray(canvas.buffer_rgba())[:, :, :3]
        return png_rgb(image)


def _people(value: float, _pos=None) -> str:
    """A tick label for a number of people: 250, 2.5k, 300k, 1.2M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:g}"


def png_rgb(image: np.ndarray) -> bytes:
    """A PNG of an RGB ``(height, width, 3)`` array of bytes, written here because it is a
    third of :meth:`LivePlot.png`'s time with Pillow (adaptive row filters); no row filter,
    zlib's fastest level: a plot's flat colours compress as well either way."""
    height, width, _ = image.shape
    rows = np.zeros((height, 1 + 3 * width), np.uint8)   # each row: filter 0, then the pixels
    rows[:, 1:] = image.reshape(height, -1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 1)) + chunk(b"IEND", b""))


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


def districts(session: Session, truth: bool = True) -> list[dict]:
    """Per district: grid position, people by group, people killed and displaced (by home
    district), international protectors (people: troops, police, protection staff) and, for
    the facilitator (``truth``), each armed group's members based there
    (:meth:`Session.armed_members`) and victimization.

    The room's rows (``truth=False``) hold what outside actors see: killed and displaced as
    *reported* (:meth:`Session.reported_districts`: the true counts of the month reports have
    reached, early warning's delay behind), the groups' shares from the census of month 0,
    the international community's own deployments, and no armed groups."""
    m = session.model
    civ = m.civilians
    people = m.params.people_per_civilian
    residents = np.bincount(civ.home, minlength=m.n_districts) * people
    names = [g.name for g in m.params.groups]
    if truth:
        killed = np.bincount(civ.home[~civ.alive], minlength=m.n_districts) * people
        away = np.bincount(civ.home[civ.displaced & civ.alive], minlength=m.n_districts) * people
        alive = m.violence.alive_cells * people
        armed = session.armed_members(session.month)
    else:
        killed, away = session.reported_districts()
        alive = np.bincount(civ.key, minlength=m.n_districts * m.n_groups).reshape(
            m.n_districts, m.n_groups) * people   # the census: where people lived at the start
        armed = {}
    protectors = session.protectors()
    out = []
    for (x, y), d in sorted(m.district_of_cell.items(), key=lambda kv: kv[1]):
        row = {"district": d, "x": int(x), "y": int(y),
               "groups": {n: float(alive[d, i]) for i, n in enumerate(names)},
               "residents": float(residents[d]),
               "killed": float(killed[d]),
               "displaced": float(away[d]),
               "displaced_share": float(away[d] / residents[d]) if residents[d] else 0.0,
               "protection": float(protectors[d]),   # people
               "armed": {n: float(members[d]) for n, members in armed.items()}}
        if truth:
            row["victimization"] = float(m.violence.victimization[d].sum())
        out.append(row)
    return out


KILLED_BINS = (0, 0.5, 2, 5, 10, 20, 50, 1000)
"""Killed per 1,000 residents: the map's absolute colour scale (the same in every run)."""
GROUP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666", "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6")


ARMED_SYMBOLS = ("triangle-up", "triangle-down", "diamond", "pentagon", "hexagon", "star")
PROTECTOR_COLOUR = "#2166ac"


ARMED_GLYPHS = ("▲", "▼", "◆", "⬟", "⬢", "★")
"""The :data:`ARMED_SYMBOLS` as characters, for the legend beside the map."""


def _class_colours() -> list[str]:
    """The fill of each :data:`KILLED_BINS` class (matplotlib's "Reds")."""
    import matplotlib

    cmap = matplotlib.colormaps["Reds"]
    return [matplotlib.colors.to_hex(cmap((i + 0.5) / (len(KILLED_BINS) - 1)))
            for i in range(len(KILLED_BINS) - 1)]


def _class_name(i: int) -> str:
    low, high = KILLED_BINS[i], KILLED_BINS[i + 1]
    return f"{low:g}–{high:g}" if high < KILLED_BINS[-1] else f"{low:g} or more"


def map_legend_html(session: Session, truth: bool = True) -> str:
    """The map's legend as HTML beside the figure (it wraps at any width, so nothing is cut
    off, and plotly has no legend to lay out again at every month's redraw): the killed-per-
    1,000 scale, the groups' bar colours, protectors and (facilitator) the armed groups."""
    from html import escape

    def entry(swatch: str, text: str) -> str:
        return f'<span class="esim-entry">{swatch}{escape(text)}</span>'

    def box(colour: str) -> str:
        return f'<i class="esim-swatch" style="background:{colour}"></i>'

    parts = [("killed per 1,000 residents", [entry(box(c), _class_name(i)) for i, c in
                                            enumerate(_class_colours())]),
             ("group shares (bar)", [entry(box(GROUP_COLOURS[i % len(GROUP_COLOURS)]),
                                           f"group {g.name}")
                                     for i, g in enumerate(session.scenario.groups)]),
             ("international protectors", [entry(box(PROTECTOR_COLOUR), "people (size)")])]
    if truth:
        parts.append(("armed groups", [
            entry(f'<b class="esim-glyph">{ARMED_GLYPHS[j % len(ARMED_GLYPHS)]}</b>',
                  f"{a.name.replace('_', ' ')} (members)")
            for j, a in enumerate(session.scenario.armed_groups)]))
    return ('<div class="esim-legend" data-testid="map-legend">' + "".join(
        f'<div><b>{escape(title)}</b>{"".join(items)}</div>' for title, items in parts
        if items) + "</div>")


def _bin(rate: float) -> int:
    """Index of the :data:`KILLED_BINS` interval that holds ``rate``."""
    return min(int(np.searchsorted(KILLED_BINS, rate, side="right")) - 1, len(KILLED_BINS) - 2)


def map_title(month: int, truth: bool = True, reported: int | None = None) -> str:
    """The map's title: the month it shows (the room's: as reported, and up to when)."""
    what = "" if truth else f" — as reported (up to month {reported})"
    return f"Month {month}: districts{what}"


def map_spec(session: Session, rows: list[dict], truth: bool = True, dark: bool = False,
             reported: int | None = None, width: int = 0) -> dict:
    """The districts as hexagons on their grid, as a plotly figure in plain dicts (``data``,
    ``layout``; zoom and pan in the browser): fill = people killed per 1,000 residents on an
    absolute scale (:data:`KILLED_BINS`, the same in every run; the legend is
    :func:`map_legend_html`, beside it on the page), a
    bar of the groups' shares, the killed and the share displaced written in each hexagon,
    international protectors (blue squares sized by people) and, for the facilitator, each
    armed group's members (black symbols sized by members). Hovering a district gives its
    numbers. ``rows``: :func:`districts`; the room's (``truth=False``) are the reported ones,
    ``reported`` the month reports have reached; ``width``: px (0: plotly's default).

    The traces are the same, in the same order, every month of a run: a month's map is a
    change of their values (:func:`update_map`), not a new figure. Nothing in it names the
    month (:func:`map_title`, shown above it on the page): a month that changes no district's
    numbers leaves the figure as it was, and the browser draws nothing again."""
    fg, bg = ("#eeeeee", "#1e1e1e") if dark else ("#111111", "#ffffff")
    colours = _class_colours()
    radius = 0.56
    angles = np.radians(np.arange(90, 451, 60))   # pointy-top hexagons
    data: list[dict] = []
    centres, rates = [], []
    for r in rows:
        cx, cy = r["x"] + 0.5 * (r["y"] % 2), r["y"] * 0.87
        centres.append((cx, cy))
        rates.append(1000 * r["killed"] / r["residents"] if r["residents"] else 0.0)
    bins = [_bin(v) for v in rates]
    for i in range(len(KILLED_BINS) - 1):   # one trace per class of the scale
        xs, ys = [], []
        for (cx, cy), b in zip(centres, bins, strict=True):
            if b == i:
                xs += [*(cx + radius * np.cos(angles)).tolist(), None]
                ys += [*(cy + radius * np.sin(angles)).tolist(), None]
        data.append({
            "type": "scatter", "x": xs or [None], "y": ys or [None], "fill": "toself",
            "fillcolor": colours[i], "mode": "lines", "line": {"color": "#888888", "width": 1},
            "hoverinfo": "skip", "legendgroup": "killed", "showlegend": False,
            "name": _class_name(i)})
    names = list(rows[0]["groups"]) if rows else []
    # the bar of the groups' shares: one filled trace per group, a rectangle per district
    # (traces, not layout shapes: a month's change is then a few arrays, not every shape
    # again); ends rounded to 1/1000 of a hexagon's spacing, so that no change below a pixel
    # is sent
    bars = [([], []) for _ in names]
    for (cx, cy), r in zip(centres, rows, strict=True):
        alive, left = sum(r["groups"].values()) or 1.0, cx - 0.35
        for i, v in enumerate(r["groups"].values()):
            right = left + 0.7 * v / alive
            x0, x1 = round(left, 3), round(right, 3)
            bars[i][0].extend([x0, x1, x1, x0, None])
            bars[i][1].extend([cy + 0.26, cy + 0.26, cy + 0.34, cy + 0.34, None])
            left = right
    for i, (xs, ys) in enumerate(bars):
        data.append({"type": "scatter", "x": xs, "y": ys, "fill": "toself", "mode": "lines",
                     "fillcolor": GROUP_COLOURS[i % len(GROUP_COLOURS)],
                     "line": {"width": 0, "color": GROUP_COLOURS[i % len(GROUP_COLOURS)]},
                     "hoverinfo": "skip", "showlegend": False, "legendgroup": "groups",
                     "name": f"group {names[i]} (share)"})

    ink = ["#ffffff" if b >= 4 else "#111111" for b in bins]
    xs, ys = [c[0] for c in centres], [c[1] for c in centres]
    data.append({
        "type": "scatter", "x": xs, "y": ys, "mode": "text", "showlegend": False,
        "text": [f"<b>D{r['district']}</b><br>{r['killed']:,.0f} killed<br>"
                 f"{100 * r['displaced_share']:.0f} % displ." for r in rows],
        "textfont": {"size": 13, "color": ink}, "hoverinfo": "skip"})
    hover = []
    for r, rate in zip(rows, rates, strict=True):
        lines = [f"<b>District {r['district']}</b>", f"residents {r['residents']:,.0f}",
                 f"killed {r['killed']:,.0f} ({rate:.1f} per 1,000)"
                 + ("" if truth else f", reported to month {reported}"),
                 f"displaced {r['displaced']:,.0f}",
                 f"international protectors {r['protection']:,.0f}",
                 *(f"{a.replace('_', ' ')}: {v:,.0f} members" for a, v in r["armed"].items())]
        hover.append("<br>".join(lines))
    data.append({"type": "scatter", "x": xs, "y": ys, "mode": "markers",
                 "marker": {"size": 40, "opacity": 0}, "hovertext": hover,
                 "hoverinfo": "text", "showlegend": False})
    top = max([v for r in rows for v in r["armed"].values()] + [1.0])
    data.append({
        "type": "scatter", "x": [x + 0.3 for x in xs], "y": [y - 0.36 for y in ys],
        "mode": "markers", "name": "international protectors (people)", "hoverinfo": "skip",
        "showlegend": False, "legendgroup": "protectors",
        "marker": {"symbol": "square", "color": PROTECTOR_COLOUR,
                   "line": {"color": "white", "width": 1},
                   "size": [0 if v <= 0 else 8 + 3 * min(v / 500.0, 4)
                            for v in (r["protection"] for r in rows)]}})
    for j, a in enumerate(session.scenario.armed_groups if truth else ()):
        members = [r["armed"].get(a.name, 0.0) for r in rows]
        data.append({
            "type": "scatter", "x": [x - 0.34 + 0.17 * j for x in xs],
            "y": [y - 0.4 for y in ys], "mode": "markers",
            "name": f"{a.name.replace('_', ' ')} (members)", "hoverinfo": "skip",
            "legendgroup": f"armed-{j}", "showlegend": False,
            "marker": {"symbol": ARMED_SYMBOLS[j % len(ARMED_SYMBOLS)], "color": fg,
                       "line": {"color": bg, "width": 1},
                       "size": [0 if v <= 0 else 7 + 12 * float(np.sqrt(v / top))
                                for v in members]}})
    space = session.scenario.space
    x_range = [-0.7, space.width + 0.2]
    y_range = [-0.7, (space.height - 1) * 0.87 + 0.7]
    # as tall as the districts drawn at the width they are given (legend: beside, in HTML)
    height = 520 if not width else min(760, max(240, 28 + round(
        (width - 8) * (y_range[1] - y_range[0]) / (x_range[1] - x_range[0]))))
    layout = {
        "paper_bgcolor": bg, "plot_bgcolor": bg,
        "font": {"color": fg, "size": 13},
        "margin": {"l": 4, "r": 4, "t": 24, "b": 4}, "height": height, "uirevision": "map",
        **({"width": width} if width else {}), "showlegend": False,
        # "domain": the aspect is kept by shrinking the drawing, never by moving the ranges,
        # so a zoom stays the zoom the trainer made
        "xaxis": {"visible": False, "range": x_range, "constrain": "domain"},
        "yaxis": {"visible": False, "scaleanchor": "x", "constrain": "domain",
                  "range": y_range},
        "annotations": [{"text": CAVEAT, "xref": "paper", "yref": "paper", "x": 0, "y": 1.0,
                         "showarrow": False, "font": {"size": 10}, "xanchor": "left",
                         "yanchor": "bottom"}]}
    return {"data": data, "layout": layout}


def map_figure(session: Session, rows: list[dict], month: int, truth: bool = True,
               dark: bool = False, reported: int | None = None):
    """:func:`map_spec` as a plotly ``Figure``, titled (:func:`map_title`)."""
    import plotly.graph_objects as go

    fig = go.Figure(map_spec(session, rows, truth, dark, reported))
    fig.update_layout(title={"text": map_title(month, truth, reported), "font": {"size": 16}},
                      margin={"t": 56})
    return fig



def update_map(widget, old: dict, new: dict) -> None:
    """Change the plotly ``widget`` showing ``old`` (a :func:`map_spec`) to show ``new``, a
    spec of the same traces: only the property paths whose values differ are set, in one
    message to the browser (one redraw there). The axes' ranges are the same in every month's
    spec, so they are never sent again and the trainer's zoom stays."""
    with widget.batch_update():
        for target, was, now in ((widget.layout, old["layout"], new["layout"]),
                                 *zip(widget.data, old["data"], new["data"], strict=True)):
            was = flatten(was)
            for path, value in flatten(now).items():
                if was.get(path) != value:
                    target[path] = value
