"""What every step of the month declares: the module protocol.

In the manner of Starsim's modules (``define_pars`` / ``define_states`` / ``define_results``) and
of Mesa's agents that say what they read, a :class:`Module` declares

* ``section`` — its section of the scenario (``model.params.<section>``, its parameters);
* ``series`` — the monthly series it records (names; :meth:`record` gives their values in order);
* ``reads`` — what it reads that other modules or agents own (documentation, printed by
  :meth:`escalation_sim.model.EscalationModel.plan`);

and owns the state it sets in ``__init__``: it is that state's one writer, and other modules
change it only through the owner's methods. ``start`` runs once at month 0, after every module
is built; ``step`` runs its month.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from mesa import Model


class Module:
    """One step of the month (see the module docstring)."""

    name: ClassVar[str]
    section: ClassVar[str | None] = None
    series: ClassVar[tuple[str, ...]] = ()
    reads: ClassVar[tuple[str, ...]] = ()

    def __init__(self, model: Model):
        self.model = model
        self.p: Any = getattr(model.params, self.section) if self.section else None

    def start(self) -> None:
        """Month 0, once every module exists (nothing by default)."""

    def step(self) -> None:
        raise NotImplementedError

    def record(self) -> tuple[float, ...]:
        """This month's values of :attr:`series`, in its order."""
        return ()


def stacked_views(mods: list, name: str, views: list) -> np.ndarray:
    """The runs' arrays ``name`` stacked into one (runs, …) array, each run's attribute made a
    view of its row (what a run's own code writes in place the batch sees, and the reverse), and
    each (owner, name, stacked) appended to ``views`` (``escalation_sim.batch`` checks at the
    end of the runs that none was rebound)."""
    stacked = np.stack([getattr(m, name) for m in mods])
    for r, m in enumerate(mods):
        setattr(m, name, stacked[r])
        views.append((m, name, stacked))
    return stacked
