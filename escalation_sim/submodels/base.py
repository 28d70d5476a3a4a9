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

