"""History: the country's past at month 0, and its memory fading month by month (R14 §57).

A prior mass-killing episode, an ongoing armed conflict and a recent coup (scenario section
``history``) act only through mechanisms, never on an outcome:

* **memory** — the victims' group remembers: its memory of the episode is the share of the
  group killed, saturating (one half at ``memory_half``), faded by the years since
  (``exp(−years / memory_years)``), and keeps fading during the run at the same pace. Memory
  raises the group's grievance (``w_memory``) and fear (``fear_memory``) in the mobilization
  step, and so every road that runs through them;
* **the perpetrator's legacy** — an armed perpetrator keeps arms (``legacy_arms`` × memory); a
  state perpetrator leaves impunity (``legacy_impunity`` × memory × the share transitional
  justice has not dealt with), which justice then lowers with its delay;
* **an ongoing conflict** — its intensity is the battle deaths per person per year, saturating at
  ``conflict_half``; every armed group starts armed (``conflict_arms`` × intensity) and every
  group an armed group targets starts with a memory of violence (``conflict_fear`` × intensity);
* **a recent coup** — the coup's effects (a captured security sector, lost political will, a
  raised baseline of complicity) at the strength ``exp(−months / events.coup_memory_months)``;
  the lost will and raised complicity then keep fading during the run as an in-run coup's do
  (:class:`~escalation_sim.agents.Government`), so a past coup is a coup at month ``−months``.

An episode that ends during the run leaves the same legacy, through the same code
(:meth:`History.remember`, called by the violence step in the month it ends): a run that had
an episode carries it into the years after as a scenario that starts after one does.

Distrust between groups (the network's ties) is not changed by the past. The module owns the
memory of each group.
"""

from __future__ import annotations

import math

import numpy as np

from ..numeric import saturate
from .base import Module


class History(Module):
    """Step 1: the past at month 0 (in :meth:`start`); each month, memory fades."""

    name = "history"
    section = "history"
    reads = ("groups: shares", "armed groups", "brakes: transitional_justice",
             "events: coup parameters")

    def __init__(self, model):
        super().__init__(model)
        self.memory = np.zeros(model.n_groups)   # memory of past atrocity, per group, [0, 1)
        self.fade = math.exp(-1.0 / (12.0 * self.p.memory_years))   # per month

    def start(self) -> None:
        model, h = self.model, self.p
        names = [g.name for g in model.groups]
        pop = model.params.run.population
        if h.prior_episode_years_ago is not None and h.prior_victims is not None:
            deaths = np.zeros(model.n_groups)
            deaths[names.index(h.prior_victims)] = h.prior_episode_deaths
            self.remember(deaths, h.prior_perpetrator, h.prior_episode_years_ago)
        if h.battle_deaths > 0:
            intensity = float(saturate(h.battle_deaths / pop, h.conflict_half))
            for a in model.armed_groups:
                a.arm(h.conflict_arms * intensity)
                self.memory[a.targets] = np.maximum(self.memory[a.targets],
                                                    h.conflict_fear * intensity)
        if h.coup_months_ago is not None:
            ev = model.params.events
            strength = math.exp(-h.coup_months_ago / ev.coup_memory_months)
            model.brakes["security_sector"].capture(ev.coup_capture * strength)
            model.government.coup(strength, 1.0 - (1.0 - ev.coup_will) * strength,
                                  ev.coup_complicity)

    def remember(self, deaths: np.ndarray, perpetrator: str | None, years_ago: float) -> None:
        """The legacy of a mass-killing episode that ended ``years_ago`` years ago: ``deaths``
        (people, per group) were killed by ``perpetrator`` (``"state"``, an armed group's name,
        or None). Each victims' group remembers — ``sat(share killed, memory_half)`` faded by
        the years since, kept if it already remembers more — and the perpetrator keeps its arms
        (an armed group) or leaves impunity (the state), in proportion to the deepest memory.
        A prior episode (at month 0) and an episode that ends during the run (called by the
        violence step in the month it ends, ``years_ago`` 0) leave the same legacy."""
        model, h = self.model, self.p
        pop = model.params.run.population
        depth = 0.0
        for g in np.flatnonzero(deaths > 0):
            share = deaths[g] / (pop * model.groups[g].share)
            d = float(saturate(share, h.memory_half)) * math.exp(-years_ago / h.memory_years)
            self.memory[g] = max(self.memory[g], d)
            depth = max(depth, d)
        if depth == 0.0:
            return
        if perpetrator == "state":
            tj = model.brakes["transitional_justice"].strength
            model.institutions.raise_impunity(h.legacy_impunity * depth * (1.0 - tj))
        elif perpetrator is not None:
            for a in model.armed_groups:
                if a.name == perpetrator:
                    a.arm(h.legacy_arms * depth)

    def step(self) -> None:
        self.memory *= self.fade
