"""Trainer runs kept on the server, keyed by unguessable tokens in the page's URL.

A :class:`Run` survives a reload of its page (the URL carries ``?run=KEY``), and is shared by
two pages: the facilitator's (``?run=KEY``: the truth and the controls) and the room's
(``?room=TOKEN``: only what outside actors would see, no controls). Tokens are random
(``secrets``), never derived from anything the browser sends, and name no file. Runs live in
memory only: a server restart forgets them. At most :data:`LIMIT` runs are kept; the least
recently used is dropped first.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..params import Scenario
from .session import Session

LIMIT = 32
"""Runs kept at once (a default run holds about 5 MiB)."""
CIVILIANS = 12_000_000
"""Simulated civilians kept at once over all runs (about 100 B each in the model), so that a
few large uploads cannot exhaust the server's memory; the least recently used runs go first,
never the one just used."""


@dataclass
class Branch:
    """A branch-and-compare result and the state of the run it was made from."""

    as_is: Session
    with_package: Session
    package: tuple[str, ...]
    month: int
    injects: int

    def stale(self, session: Session) -> bool:
        """Whether the run has moved on (stepped, injected, reset) since the branch."""
        return session.month != self.month or len(session.injects) != self.injects


@dataclass
class Run:
    """One trainer's run and what the page shows about it."""

    session: Session
    scenario_name: str
    key: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    room: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    uploaded: Scenario | None = None
    edits: dict[str, Any] = field(default_factory=dict)
    drawn: int | None = None                # the posterior's parameter set the run took
    branch: Branch | None = None
    paused: tuple[int, str] | None = None   # (month, why): shown only while still at that month
    busy: str = ""                          # long work in progress, said in words
    error: str = ""                         # the last action's problem, until the next action
    version: int = 0                        # bumped on every change: pages re-render
    cancel: threading.Event = field(default_factory=threading.Event)   # the current work's
    progress: float | None = None           # share of the current work done (None: unknown)
    work: int = 0                           # the current work's number: older work commits nothing
    thread: threading.Thread | None = None  # the current work's thread
    abandoned: threading.Thread | None = None   # cancelled work still ending in the background

    @property
    def lock(self) -> threading.RLock:
        """The session's lock: held while the run changes, and while a page reads it."""
        return self.session.lock

    def changed(self) -> None:
        self.version += 1


_RUNS: OrderedDict[str, Run] = OrderedDict()
_ROOMS: dict[str, str] = {}
_GUARD = threading.Lock()


def create(session: Session, scenario_name: str) -> Run:
    run = Run(session, scenario_name)
    with _GUARD:
        _RUNS[run.key] = run
        _ROOMS[run.room] = run.key
    trim()
    return run


def trim() -> None:
    """Drop the least recently used runs beyond :data:`LIMIT` runs or :data:`CIVILIANS`."""
    with _GUARD:
        while len(_RUNS) > 1 and (len(_RUNS) > LIMIT or sum(
                r.session.scenario.run.n_civilians for r in _RUNS.values()) > CIVILIANS):
            _, old = _RUNS.popitem(last=False)
            _ROOMS.pop(old.room, None)


def find(key: str | None) -> Run | None:
    """The run of a facilitator key, or None."""
    with _GUARD:
        run = _RUNS.get(key or "")
        if run is not None:
            _RUNS.move_to_end(run.key)
        return run


def find_room(token: str | None) -> Run | None:
    """The run a room token shows, or None."""
    with _GUARD:
        key = _ROOMS.get(token or "")
    return find(key)


def parse(search: str | None) -> dict[str, str]:
    """``run`` and ``room`` from a query string (anything else is ignored)."""
    from urllib.parse import parse_qs

    q = parse_qs(search or "")
    return {k: q[k][0] for k in ("run", "room") if q.get(k)}
