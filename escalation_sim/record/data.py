"""Load and validate the Early Warning Project's record (``data/ewp/``).

Two files, described in ``data/ewp/README.md``: country-years of mass-killing episodes
(1946–2013) and country-years of the EWP's predictors with its outcome (1960–2011). A file that
does not fit raises :class:`~escalation_sim.errors.InputError` naming the file, the line and
column, and the problem (the command line prints it and exits with code 2).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

_HERE = Path(__file__).resolve().parent
DATA_DIRS = (_HERE.parent.parent / "data" / "ewp", _HERE.parent / "_data" / "ewp")
"""Where the record is found: the repository's ``data/ewp/``, or the copy in a wheel."""

EPISODES_FILE = "episodes_1946_2013.csv"
PREDICTORS_FILE = "predictors_1960_2011.csv"

CITATION = ("Early Warning Project (United States Holocaust Memorial Museum, Simon-Skjodt "
            "Center), Statistical Risk Assessment 2025, replication files, and their sources "
            "(V-Dem, UCDP, EPR and others; data/ewp/README.md)")

EPISODE_COUNTS = ("mk_onset_count", "mk_offset_count", "mk_ongoing_count")
"""Per country-year: episodes that began, ended, and were ongoing (onset and offset years
included) in that year. Required, with ``profile`` and ``year``."""
EPISODE_FLAGS = {"mk_onset": "mk_onset_count", "mk_offset": "mk_offset_count",
                 "mk_ongoing": "mk_ongoing_count"}
"""Optional 0/1 columns; each must be 1 exactly when its count is positive."""

PREDICTORS = (
    "widetargeting", "narrowtargeting", "v2csgender_binary", "v2mecenefm_binary",
    "partyban.new.0", "partyban.new.1", "partyban.new.2", "minorityrule", "judicialreform",
    "religiousfreedom", "pol_killing_approved", "freediscussion", "social_inequality",
    "even_civilrights", "repress_civilsoc", "social_power_dist", "ses_power_dist",
    "popsize.log2", "gdppcgrowth", "un_imr_sqrt", "efindex", "discrimpop", "reg.na", "reg.eap",
    "reg.sca", "reg.mna", "reg.eur", "ios.iccpr1", "battledeaths.log2", "coup.try.5yr",
    "mk_ongoing_count_log2", "mean_mk_onset_interaction", "mk_onset_prev_year", "newcountry",
    "mk_ever", "countryage.new.log2", "includesnonstate")
"""The EWP model's predictors in the file (its ``predictornames.fullest`` without ``year`` and
``year_sq``). Numbers; an empty cell is a missing value."""
OUTCOME = "mk_onset_1or2"
"""The EWP's outcome: a mass-killing onset in the next one or two years (0/1, required)."""
OPTIONAL_OUTCOMES = ("mk_onset", "mk_onset_1", "mk_onset_2")
"""Onset this year, next year, the year after (0/1; the last two may be empty)."""

MAX_PROBLEMS = 10
"""Problems listed per file before the rest are counted."""


def data_dir() -> Path:
    """The directory holding the shipped record."""
    for d in DATA_DIRS:
        if d.is_dir():
            return d
    raise InputError("data/ewp", [("", "the EWP record is not installed (no data/ewp/ directory)")])


class _Problems:
    """Problems found in one file, capped at :data:`MAX_PROBLEMS`."""

    def __init__(self, source: str):
        self.source = source
        self.items: list[tuple[str, str]] = []
        self.more = 0

    def add(self, field: str, problem: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append((field, problem))
        else:
            self.more += 1

    def raise_if_any(self) -> None:
        if self.items:
            items = list(self.items)
            if self.more:
                items.append(("", f"... and {self.more} more problems"))
            raise InputError(self.source, items)


def _read(path: str | Path) -> pd.DataFrame:
    """Every cell as text (no type guessing); the line of row ``i`` is ``i + 2``."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                            skipinitialspace=True, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(str(path), [("", "no such file")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(str(path), [("", f"cannot read: {e}")]) from None
    except pd.errors.EmptyDataError:
        raise InputError(str(path), [("", "empty file (no header line)")]) from None
    except pd.errors.ParserError as e:
        # pandas says e.g. "Error tokenizing data. C error: Expected 11 fields in line 7, saw 12"
        detail = str(e).split("C error: ")[-1].strip()
        raise InputError(str(path), [("", f"not a valid CSV table: {detail}")]) from None
    if table.empty:
        raise InputError(str(path), [("", "no data rows (only a header line)")])
    return table


def _line(index: int) -> str:
    return f"line {index + 2}"


def _numbers(table: pd.DataFrame, column: str, kind: str, problems: _Problems,
             missing_ok: bool = False) -> pd.Series:
    """Column ``column`` as floats; ``kind`` is ``number``, ``count`` (integer ≥ 0) or ``flag``
    (0 or 1). Each bad cell is a problem naming its line and column; bad cells become NaN."""
    text = table[column].str.strip()
    values = pd.to_numeric(text, errors="coerce").astype(float)
    empty = text == ""
    wanted = {"number": "a number", "count": "a whole number >= 0", "flag": "0 or 1"}[kind]
    bad = values.isna() & ~empty
    bad |= ~np.isfinite(values) & values.notna()
    if kind == "count":
        bad |= values.notna() & ((values < 0) | (values != np.round(values)))
    elif kind == "flag":
        bad |= values.notna() & ~values.isin((0.0, 1.0))
    if not missing_ok:
        bad |= empty
    for i in np.flatnonzero(bad.to_numpy()):
        shown = text.iloc[i]
        problems.add(f"{_line(i)}, column {column}",
                     f"empty (must be {wanted})" if shown == "" else f"{shown!r} is not {wanted}")
    return values.where(~bad)


def _require_columns(table: pd.DataFrame, columns, problems: _Problems) -> None:
    missing = [c for c in columns if c not in table.columns]
    for c in missing:
        problems.add(f"column {c}", "missing (the header line has no such column)")
    problems.raise_if_any()


def _keys(table: pd.DataFrame, problems: _Problems) -> pd.DataFrame:
    """``profile`` and ``year`` as integers, each (profile, year) once."""
    out = pd.DataFrame({"profile": _numbers(table, "profile", "count", problems),
                        "year": _numbers(table, "year", "count", problems)})
    problems.raise_if_any()
    out = out.astype(np.int64)
    first: dict[tuple[int, int], int] = {}
    for i, key in enumerate(zip(out.profile.tolist(), out.year.tolist(), strict=True)):
        if first.setdefault(key, i) != i:
            problems.add(_line(i), f"profile {key[0]}, year {key[1]} repeats {_line(first[key])}")
    return out


def load_episodes(path: str | Path | None = None) -> pd.DataFrame:
    """The episode record: one row per country-year, sorted by profile and year.

    Columns ``profile``, ``year`` and :data:`EPISODE_COUNTS` (integers), and ``line`` (the row's
    line in the file). Checked: the counts are whole numbers ≥ 0; each profile's years are
    consecutive and appear once; onsets and offsets of a year are among its ongoing episodes;
    the episodes ongoing in a year that did not begin in it are exactly those ongoing in the
    year before that did not end in it; the optional flags (:data:`EPISODE_FLAGS`) agree with
    their counts.
    """
    path = Path(path) if path is not None else data_dir() / EPISODES_FILE
    source = str(path)
    table = _read(path)
    problems = _Problems(source)
    _require_columns(table, ("profile", "year", *EPISODE_COUNTS), problems)
    out = _keys(table, problems)
    for c in EPISODE_COUNTS:
        out[c] = _numbers(table, c, "count", problems)
    flags = {f: _numbers(table, f, "flag", problems) for f in EPISODE_FLAGS if f in table}
    for f in ("widetargeting", "narrowtargeting"):
        if f in table:
            _numbers(table, f, "flag", problems)
    problems.raise_if_any()
    out[list(EPISODE_COUNTS)] = out[list(EPISODE_COUNTS)].astype(np.int64)
    for f, values in flags.items():
        count = out[EPISODE_FLAGS[f]]
        for i in np.flatnonzero(((count > 0).astype(int) != values).to_numpy()):
            problems.add(f"{_line(i)}, column {f}",
                         f"{int(values.iloc[i])} disagrees with {EPISODE_FLAGS[f]} = "
                         f"{int(count.iloc[i])}")
    for c in ("mk_onset_count", "mk_offset_count"):
        for i in np.flatnonzero((out[c] > out.mk_ongoing_count).to_numpy()):
            problems.add(f"{_line(i)}, column {c}",
                         f"{int(out[c].iloc[i])} exceeds mk_ongoing_count = "
                         f"{int(out.mk_ongoing_count.iloc[i])}")
    problems.raise_if_any()
    out["line"] = np.arange(len(out)) + 2
    out = out.sort_values(["profile", "year"], kind="stable").reset_index(drop=True)
    same = out.profile.to_numpy()[1:] == out.profile.to_numpy()[:-1]
    gap = same & (np.diff(out.year.to_numpy()) != 1)
    for i in np.flatnonzero(gap) + 1:
        problems.add(f"line {out.line.iloc[i]}",
                     f"profile {out.profile.iloc[i]} jumps from year {out.year.iloc[i - 1]} to "
                     f"{out.year.iloc[i]} (each profile's years must be consecutive)")
    carried_in = (out.mk_ongoing_count - out.mk_onset_count).to_numpy()
    left = (out.mk_ongoing_count - out.mk_offset_count).to_numpy()
    for i in np.flatnonzero(same & ~gap & (carried_in[1:] != left[:-1])) + 1:
        problems.add(f"line {out.line.iloc[i]}",
                     f"profile {out.profile.iloc[i]}, year {out.year.iloc[i]}: "
                     f"{carried_in[i]} episodes carried into the year (mk_ongoing_count - "
                     f"mk_onset_count) but {left[i - 1]} left ongoing at the end of "
                     f"{out.year.iloc[i - 1]} (mk_ongoing_count - mk_offset_count)")
    problems.raise_if_any()
    return out


def load_predictors(path: str | Path | None = None) -> pd.DataFrame:
    """The predictor record: one row per country-year, in file order.

    Columns ``profile``, ``year`` (integers), :data:`PREDICTORS` (floats, NaN where missing),
    :data:`OUTCOME` (0/1, required) and those of :data:`OPTIONAL_OUTCOMES` the file has (0/1 or
    NaN), and ``line``. Checked: every cell is of its kind; each (profile, year) appears once;
    ``mk_onset_1or2`` is the larger of ``mk_onset_1`` and ``mk_onset_2`` where both are known.
    Columns not listed here are ignored.
    """
    path = Path(path) if path is not None else data_dir() / PREDICTORS_FILE
    source = str(path)
    table = _read(path)
    problems = _Problems(source)
    _require_columns(table, ("profile", "year", *PREDICTORS, OUTCOME), problems)
    out = _keys(table, problems)
    columns = {c: _numbers(table, c, "number", problems, missing_ok=True) for c in PREDICTORS}
    columns[OUTCOME] = _numbers(table, OUTCOME, "flag", problems)
    for c in OPTIONAL_OUTCOMES:
        if c in table:
            columns[c] = _numbers(table, c, "flag", problems, missing_ok=True)
    problems.raise_if_any()
    out = pd.concat([out, pd.DataFrame(columns)], axis=1)
    out[OUTCOME] = out[OUTCOME].astype(np.int64)
    if "mk_onset_1" in out and "mk_onset_2" in out:
        both = out[["mk_onset_1", "mk_onset_2"]]
        known = both.notna().all(axis=1)
        for i in np.flatnonzero((known & (both.max(axis=1) != out[OUTCOME])).to_numpy()):
            problems.add(f"{_line(i)}, column {OUTCOME}",
                         f"{out[OUTCOME].iloc[i]} disagrees with mk_onset_1 = "
                         f"{both.iloc[i, 0]:g} and mk_onset_2 = {both.iloc[i, 1]:g}")
    problems.raise_if_any()
    out["line"] = np.arange(len(out)) + 2
    return out
