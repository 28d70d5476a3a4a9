"""Civilians: grievance, fear, radicalization and threshold mobilization (R14 §8–10).

All updates are array operations. Targets for grievance and fear are computed once per
district×group cell and gathered to civilians by their ``key``.

* Grievance target: horizontal inequality (amplified by economic stress), political exclusion,
  victimization of one's group in one's district, impunity, the group's memory of past atrocity,
  and event shocks (R14 §8, §41–42, §57).
* Fear target: victimization nearby, armed men nearby who target one's group (the security
  dilemma, Posen 1993: fear before anyone is killed), hate speech directed at one's group, the
  group's memory of past atrocity (R14 §9–10), and, for groups out of power, a coup regime
  (``fear_coup``, off by default).
* Radicalization approaches ``exposure × (radicalization_base + grievance)`` — hate speech
  resonates with the aggrieved — quickly upwards and slowly downwards.
* Mobilization is a threshold decision (Granovetter 1978; Epstein 2002). The motive has several
  roads, each its own term, so that no single one is necessary (model v2, part 5b):
  radicalization (hate speech's road); grievance itself (exclusion and inequality, Gurr 1970;
  Cederman, Gleditsch & Buhaug 2013); fear (armed self-protection, R14 §10); opportunity (an
  armed group of one's own group that can pay and arm its recruits, the poorer the group the
  stronger the pull: Collier & Hoeffler 2004; Weinstein 2007); the share of one's ties already
  mobilized. Against it: deterrence, the expected punishment from an accountable security
  sector and judiciary scaled by one's risk aversion, and the group's war-weariness, which
  builds up slowly while a large share of the group is under arms and fades more slowly still
  (exhaustion: meant as one way an episode ends, though with the assumed values it seldom
  ends one; see README, "Episodes that end"). A
  mobilized civilian stands down only when the motive falls a margin below the threshold.

The module owns horizontal inequality (which inclusive governance reduces through
:meth:`Mobilization.reduce_inequality`), the group aggregates of the civilians' attitudes, and is
the one writer of their grievance, fear, radicalization and mobilization.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..numeric import relax_to, saturate
from ..population import stacked_views
from .base import Module

if TYPE_CHECKING:
    from ..population import Crowd


def horizontal_inequality(status: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Each group's shortfall below the population-weighted mean status, on [0, 1]."""
    mean = float(np.einsum("g,g->", status, share))   # einsum, not BLAS: CPU-independent bits
    return np.clip((mean - status) / max(mean, 1e-9), 0.0, 1.0)


def radicalization_target(exposure: np.ndarray, grievance: np.ndarray,
                          base: float) -> np.ndarray:
    """Radicalization that sustained exposure produces: hate speech resonates with grievance
    (``base``: the target per unit exposure at no grievance)."""
    return np.minimum(exposure * (base + grievance), 1.0)


def expected_punishment(security_restraint_capacity: float, judiciary: float,
                        impunity: float, w_security: float, w_judiciary: float) -> float:
    """Probability-like expectation of being punished for taking up arms, on [0, 1] (weights
    summing to at most 1)."""
    return (w_security * security_restraint_capacity + w_judiciary * judiciary) * (
        1.0 - impunity)


def motive(radical: np.ndarray, peer: np.ndarray, fear: np.ndarray, risk_aversion: np.ndarray,
           punishment: float, w_peer: float, w_fear: float, w_det: float,
           pull: np.ndarray | float = 0.0) -> np.ndarray:
    """Mobilization motive of each civilian:
    ``radical + w_peer * peer + w_fear * fear - w_det * punishment * risk_aversion + pull``,
    summed in that order into one buffer (the same bits with fewer temporaries); ``pull`` is the
    per-civilian sum of the group-level roads (grievance, opportunity, minus weariness)."""
    m = radical + w_peer * peer
    part = np.multiply(fear, w_fear)
    m += part
    m -= np.multiply(risk_aversion, w_det * punishment, out=part)
    m += pull
    return m


def opportunity(poverty: np.ndarray, base: np.ndarray, recruit_share: np.ndarray,
                multiplier: np.ndarray, n_groups: int) -> np.ndarray:
    """What armed groups offer recruits of each group, on [0, 1]: for each group, its poverty
    (1 − economic status) times the recruiting reach of the armed groups based in it (their
    recruit shares times sponsor support and arms, summed, capped at 1)."""
    offer = np.bincount(base, weights=recruit_share * multiplier, minlength=n_groups)
    return poverty * np.minimum(offer, 1.0)


class Mobilization(Module):
    """Step 4: grievance, fear and radicalization update; threshold mobilization."""

    name = "mobilization"
    section = "mobilization"
    series = ("mobilized", "propaganda", "grievance", "fear", "radicalization")
    reads = ("history: memory", "events: stress, grievance shocks", "information: hate",
             "violence: victimization, menace, armed groups", "institutions: impunity",
             "government: inclusiveness, coup strength",
             "brakes: security_sector, judiciary")

    def __init__(self, model):
        super().__init__(model)
        groups = model.params.groups
        self.inequality = horizontal_inequality(np.array([g.economic_status for g in groups]),
                                                np.array([g.share for g in groups]))
        self.group_alive = np.zeros(model.n_groups)        # alive civilians per group
        self.poverty = 1.0 - np.array([g.economic_status for g in groups])
        self.weariness = np.zeros(model.n_groups)           # war-weariness of each group
        self.group_totals = np.zeros((4, model.n_groups))  # grievance, fear, radical, exposure
        self._out_of_power = np.array([0.0 if g.ruling else 1.0 for g in model.groups])
        civ = model.civilians     # each group's civilians: a contiguous slice (sorted by group)
        self._parts = [slice(int(start), int(start + size))
                       for start, size in zip(civ.group_starts, civ.group_sizes, strict=True)]

    def discrimination(self) -> np.ndarray:
        """Political exclusion of each group: groups out of power, by (1 - inclusiveness)."""
        return self._out_of_power * (1.0 - self.model.government.inclusiveness)

    def coup_fear(self) -> np.ndarray:
        """Fear of a coup regime per group: ``fear_coup`` times the coup's fading strength, for
        the groups out of power (0 for the ruling group; zeros when no coup raised complicity)."""
        return self.p.fear_coup * self.model.government.coup_strength * self._out_of_power

    def stand_down(self, groups: np.ndarray) -> None:
        """A settlement's demobilization: every mobilized member of ``groups`` (bool over
        groups) stands down at once; they take up arms again only if their motive, now without
        their mobilized ties, crosses their threshold."""
        civ = self.model.civilians
        civ.mobilized &= ~civ.by_group(groups)

    def reduce_inequality(self, share: float) -> None:
        """Inclusive-governance assistance: horizontal inequality falls by ``share``."""
        self.inequality *= 1.0 - share

    def start(self) -> None:
        """Month 0: grievance at its structural level, fear at the group's memory of past
        atrocity (and, for groups out of power, a past coup's regime: :meth:`coup_fear`)."""
        p, model = self.p, self.model
        civ = model.civilians
        memory = model.history.memory
        h = model.params.history
        civ.grievance[:] = civ.by_group(np.clip(
            (p.w_inequality * self.inequality
             + p.w_discrimination * self.discrimination()
             + p.w_impunity * model.institutions.impunity
             + h.w_memory * memory), 0, 1).astype(np.float32))
        civ.fear[:] = civ.by_group(np.clip(h.fear_memory * memory + self.coup_fear(), 0, 1)
                                   .astype(np.float32))

    def step(self) -> None:
        model, p = self.model, self.p
        civ = model.civilians
        events = model.events
        vict = model.violence.victimization_index()              # (districts, groups)
        memory = model.history.memory
        h = model.params.history
        grievance_cell = (p.w_inequality * self.inequality * (1.0 + events.stress)
                          + p.w_discrimination * self.discrimination()
                          + p.w_impunity * model.institutions.impunity
                          + h.w_memory * memory
                          + events.grievance_shock)[None, :] + p.w_victimization * vict
        fear_cell = (p.fear_victimization * vict
                     + p.fear_armed * saturate(model.violence.menace, p.menace_half)
                     + (p.fear_threat * model.information.hate + h.fear_memory * memory)[None, :])
        if p.fear_coup > 0:    # off by default: no months' arithmetic, the same bits
            fear_cell += self.coup_fear()[None, :]
        # (the arrays' clip: numpy's np.clip is the same ufunc behind two more Python layers)
        relax_to(civ.grievance,
                 civ.by_cell(grievance_cell.clip(0.0, 1.0).astype(np.float32)),
                 p.grievance_rate)
        relax_to(civ.fear, civ.by_cell(fear_cell.clip(0.0, 1.0).astype(np.float32)),
                 p.fear_rate)
        r_target = radicalization_target(civ.exposure, civ.grievance, p.radicalization_base)
        r_target -= civ.radical
        # each gap times the rate of its direction (the same product per element as two masked
        # multiplies, which cost about three times as much at any size)
        r_target *= np.where(r_target > 0, np.float32(p.radicalization_rate),
                             np.float32(p.deradicalization_rate))
        civ.radical += r_target

        mobilized_share = np.array([g.mobilized_share for g in model.groups])
        burden = saturate(mobilized_share, p.weariness_half)   # the burden of the war
        # war-weariness follows the share of the group under arms: it builds at weariness_rate
        # and fades far more slowly (weariness_fade), so sustained fighting wears its own motive
        # down, a long war leaves a tired society that stands down, and only years later, once
        # weariness has faded, may it fight again
        # (no burden and no weariness: it stays at zero, and the update would add zeros)
        if burden.any() or self.weariness.any():
            self.weariness += np.where(burden > self.weariness, p.weariness_rate,
                                       p.weariness_fade) * (burden - self.weariness)
        m = self.current_motive()
        stay = civ.mobilized & (m > civ.threshold - p.demobilization_margin)
        civ.mobilized = self.able() & (stay | (m > civ.threshold))

    def current_motive(self) -> np.ndarray:
        """Each civilian's motive to mobilize from the present state (:func:`motive`): the
        roads, the share of one's ties mobilized, and deterrence; the group-level roads are
        grievance's pull, plus the opportunity the armed groups based in one's group offer,
        less the group's war-weariness."""
        model, p = self.model, self.p
        civ = model.civilians
        punish = self.punishment()
        # the share of one's ties mobilized; no product needed in months when nobody is
        peer = (civ.ties @ civ.mobilized.astype(np.float32) if civ.mobilized.any()
                else np.float32(0))
        a = model.violence.armed_arrays()
        offer = (opportunity(self.poverty, a[0], a[1], a[2], model.n_groups) if a is not None
                 else np.zeros(model.n_groups))
        pull = (p.w_grievance * civ.grievance
                + civ.by_group((p.w_opportunity * offer
                                - p.w_weariness * self.weariness).astype(np.float32)))
        return motive(civ.radical, peer, civ.fear, civ.risk_aversion, punish, p.w_peer,
                      p.w_self_protection, p.w_deterrence, pull)

    def punishment(self) -> float:
        """This month's expected punishment (:func:`expected_punishment`) from the security
        sector's lawful capacity, the judiciary and impunity: a Python float while the brakes
        have not moved, a numpy scalar after (which decides the deterrence term's rounding)."""
        model, p = self.model, self.p
        sec = model.brakes["security_sector"]
        return expected_punishment(sec.capacity * sec.restraint,
                                   model.brakes["judiciary"].strength,
                                   model.institutions.impunity, p.punishment_security,
                                   p.punishment_judiciary)

    def able(self) -> np.ndarray:
        """Which civilians may mobilize: alive, not displaced, not detained."""
        civ = self.model.civilians
        able = civ.alive & ~civ.displaced
        if self.model.params.violence.counterinsurgency > 0:
            able &= civ.detained == 0
        return able

    def aggregate(self) -> None:
        """Group sums and means of grievance, fear, radicalization, exposure and mobilization
        over alive civilians, for the leaders, observation and the recorder (civilians are
        stored sorted by group). Observation calls it first, after this month's violence."""
        civ, n_groups = self.model.civilians, self.model.n_groups
        # alive and mobilized civilians per group
        self.book(np.array((np.bincount(civ.group[civ.alive], minlength=n_groups),
                            np.bincount(civ.group[civ.mobilized], minlength=n_groups)),
                           dtype=float))

    def book(self, sums: np.ndarray) -> None:
        """:meth:`aggregate` from ``sums``, the (2, groups) counts of alive and of mobilized
        civilians per group (:func:`book_runs` for runs stepped together)."""
        book_runs([self], sums[None])

    def attitude_sums(self, alive_counts: np.ndarray, out: np.ndarray) -> None:
        """Each group's sums of the four attitudes over its alive civilians, into ``out`` (4,
        groups), from ``alive_counts`` (per group)."""
        civ = self.model.civilians
        alive = civ.alive
        for g, part in enumerate(self._parts):
            # the four attitudes at once: numpy's pairwise sums in float64 (not BLAS: the same
            # bits on any CPU), minus the dead; one call per slice (ragged sums over several
            # slices at once add in another order)
            out[:, g] = np.add.reduce(civ.attitudes[:, part], axis=1, dtype=np.float64)
            if alive_counts[g] < part.stop - part.start:
                out[:, g] -= np.add.reduce(civ.attitudes[:, part][:, ~alive[part]], axis=1,
                                           dtype=np.float64)

    def record(self) -> tuple[float, ...]:
        n_alive = max(float(self.group_alive.sum()), 1.0)
        grievance, fear, radical, exposure = (self.group_totals.sum(axis=1) / n_alive).tolist()
        mobilized = np.count_nonzero(self.model.civilians.mobilized) / n_alive
        return (mobilized, exposure, grievance, fear, radical)


def book_runs(mods: list[Mobilization], sums: np.ndarray) -> None:
    """:meth:`Mobilization.book` of R runs from ``sums``, their (R, 2, groups) counts of alive
    and of mobilized civilians per group: each run's attitude sums its own, the means for all
    runs at once (elementwise: the same bits as run by run)."""
    totals = np.zeros((len(mods), 4, sums.shape[2]))   # rows: grievance, fear, radical, exposure
    for r, mob in enumerate(mods):
        mob.attitude_sums(sums[r, 0], totals[r])
    n = np.maximum(sums[:, 0], 1.0)
    grievance, fear = (totals[:, 0] / n).tolist(), (totals[:, 1] / n).tolist()
    mobilized = (sums[:, 1] / n).tolist()
    for r, mob in enumerate(mods):
        mob.group_alive = sums[r, 0]
        mob.group_totals = totals[r]
        for g, group in enumerate(mob.model.groups):
            group.mean_grievance = grievance[r][g]
            group.mean_fear = fear[r][g]
            group.mobilized_share = mobilized[r][g]


_FLOAT32 = ("grievance_rate", "fear_rate", "radicalization_base", "radicalization_rate",
            "deradicalization_rate", "w_grievance", "w_peer", "w_self_protection",
            "demobilization_margin")
"""Parameters that meet float32 arrays in :meth:`Mobilization.step`: a Python float is cast to
float32 there first (NEP 50), so their per-run columns are float32 to give the same bits."""
_FLOAT64 = ("w_inequality", "w_discrimination", "w_impunity", "w_victimization",
            "fear_victimization", "fear_armed", "menace_half", "fear_threat", "fear_coup",
            "weariness_half", "weariness_rate", "weariness_fade", "w_opportunity",
            "w_weariness")


class MobilizationBatch:
    """:meth:`Mobilization.step` of R runs computed at once, with the same bits in every run.

    ``mods`` are the runs' own modules (one structure: civilians, districts, groups) and
    ``crowd`` their stacked civilians (:class:`~escalation_sim.population.Crowd`). The runs'
    weariness and inequality become views of (R, groups) arrays; each month the step gathers
    what other modules own (victimization, menace, memory, shocks, hate, the regime's scalars)
    from the runs, computes every run's update as one array operation, and writes the
    civilians' attitudes, mobilization and weariness in place. Every branch the model skips
    (nobody mobilized, no weariness) is computed and adds exact zeros; where the model's types
    decide the bits (the deterrence term: float32 arithmetic with a Python float, float64 with
    a numpy scalar) each run follows its own. The model's step stays the reference:
    ``tests/test_batch.py`` holds the two together byte for byte."""

    def __init__(self, mods: list[Mobilization], crowd: Crowd) -> None:
        self.mods, self.crowd = mods, crowd
        models = [m.model for m in mods]
        params = [m.p for m in mods]
        R = len(mods)
        self.col = {k: np.array([getattr(p, k) for p in params])[:, None] for k in _FLOAT64}
        self.col |= {k: np.array([getattr(p, k) for p in params], dtype=np.float32)[:, None]
                     for k in _FLOAT32}
        history = [m.params.history for m in models]
        self.w_memory = np.array([h.w_memory for h in history])[:, None]
        self.fear_memory = np.array([h.fear_memory for h in history])[:, None]
        self.coup = self.col["fear_coup"] > 0
        self.detention = np.array([m.params.violence.counterinsurgency > 0
                                   for m in models])[:, None]
        self.out = np.stack([m._out_of_power for m in mods])
        self.views: list = []   # (owner, attribute, stacked array) of each view installed
        self.weariness = stacked_views(mods, "weariness", self.views)
        self.inequality = stacked_views(mods, "inequality", self.views)
        self.n_groups = models[0].n_groups
        self.cells = models[0].n_districts * self.n_groups
        self.cell_offset = (np.arange(R, dtype=np.int32) * self.cells)[:, None]
        self.at_group = crowd.group + (np.arange(R) * self.n_groups)[:, None]
        self.victimization_half = np.array([m.params.violence.victimization_half
                                            for m in models])[:, None, None]
        # what armed groups offer recruits (:func:`opportunity`): their base groups numbered
        # across runs, recruit shares and the groups' poverty are fixed for a run
        self.poverty = np.stack([m.poverty for m in mods])
        armed = [m.violence._armed_fixed for m in models]
        self.armed_base = np.array([a[0] for a in armed], dtype=np.intp).reshape(R, -1) + (
            np.arange(R) * self.n_groups)[:, None]
        self.recruit_share = np.array([a[1] for a in armed], dtype=float).reshape(R, -1)

    def step(self) -> None:
        mods, col, crowd = self.mods, self.col, self.crowd
        models = [m.model for m in mods]
        R = len(mods)
        vict = saturate(np.stack([m.violence.victimization for m in models]),
                        self.victimization_half)   # :meth:`Violence.victimization_index`
        menace = np.stack([m.violence.menace for m in models])
        memory = np.stack([m.history.memory for m in models])
        shock = np.stack([m.events.grievance_shock for m in models])
        hate = np.stack([m.information.hate for m in models])
        stress = np.array([m.events.stress for m in models])[:, None]
        impunity = np.array([m.institutions.impunity for m in models])[:, None]
        inclusiveness = np.array([m.government.inclusiveness for m in models])[:, None]

        discrimination = self.out * (1.0 - inclusiveness)
        grievance_cell = (col["w_inequality"] * self.inequality * (1.0 + stress)
                          + col["w_discrimination"] * discrimination
                          + col["w_impunity"] * impunity
                          + self.w_memory * memory
                          + shock)[:, None, :] + col["w_victimization"][:, :, None] * vict
        fear_cell = (col["fear_victimization"][:, :, None] * vict
                     + col["fear_armed"][:, :, None]
                     * saturate(menace, col["menace_half"][:, :, None])
                     + (col["fear_threat"] * hate + self.fear_memory * memory)[:, None, :])
        if self.coup.any():
            coup = np.array([m.government.coup_strength for m in models])[:, None]
            fear_cell = np.where(self.coup[:, :, None], fear_cell + (
                (col["fear_coup"] * coup) * self.out)[:, None, :], fear_cell)
        at = crowd.key + self.cell_offset                    # each civilian's cell, batch-wide
        attitudes = crowd.attitudes
        grievance, fear, radical = attitudes[:, 0], attitudes[:, 1], attitudes[:, 2]
        relax_to(grievance, grievance_cell.clip(0.0, 1.0).astype(np.float32).ravel().take(at),
                 col["grievance_rate"])
        relax_to(fear, fear_cell.clip(0.0, 1.0).astype(np.float32).ravel().take(at),
                 col["fear_rate"])
        r_target = radicalization_target(attitudes[:, 3], grievance,
                                         col["radicalization_base"])
        r_target -= radical
        r_target *= np.where(r_target > 0, col["radicalization_rate"],
                             col["deradicalization_rate"])
        radical += r_target

        share = np.array([[g.mobilized_share for g in m.groups] for m in models])
        burden = saturate(share, col["weariness_half"])
        weariness = self.weariness
        weariness += np.where(burden > weariness, col["weariness_rate"],
                              col["weariness_fade"]) * (burden - weariness)

        mobilized = crowd.mobilized
        peer = (crowd.ties @ mobilized.ravel().astype(np.float32)).reshape(R, -1)
        # :func:`opportunity` for all runs, the groups numbered across runs (each run's
        # weighted count adds its armed groups in their order, from 0.0, as its own does)
        if self.armed_base.size:
            multiplier = np.array([[a.multiplier for a in m.armed_groups] for m in models],
                                  dtype=float)
            offer = opportunity(self.poverty.ravel(), self.armed_base.ravel(),
                                self.recruit_share.ravel(), multiplier.ravel(),
                                R * self.n_groups).reshape(R, -1)
        else:   # no armed groups: the model's offer is zeros, not poverty times zero
            offer = np.zeros((R, self.n_groups))
        group_pull = (col["w_opportunity"] * offer - col["w_weariness"] * weariness).astype(
            np.float32)
        pull = col["w_grievance"] * grievance + group_pull.ravel().take(self.at_group)
        m = radical + col["w_peer"] * peer
        part = np.multiply(fear, col["w_self_protection"])
        m += part
        # deterrence, as :func:`motive` computes it run by run: the product w_det × punishment
        # meets the float32 risk aversion as float32 where it is a Python float (NEP 50) and in
        # float64, rounded after, where it is a numpy scalar (once the brakes have moved)
        deterrence = [mod.p.w_deterrence * mod.punishment() for mod in mods]
        wide = np.array([isinstance(d, np.floating) for d in deterrence])
        deterrence = np.array(deterrence, dtype=float)[:, None]
        narrow = np.multiply(crowd.risk_aversion, deterrence.astype(np.float32))
        if wide.any():
            np.copyto(narrow, np.multiply(crowd.risk_aversion, deterrence),
                      casting="same_kind", where=wide[:, None])
        m -= narrow
        m += pull
        self.motive = m   # (runs, civilians), float32: the finest check of the arithmetic
        threshold = crowd.threshold
        stay = mobilized & (m > threshold - col["demobilization_margin"])
        able = crowd.alive & ~crowd.displaced
        able &= ~self.detention | (crowd.detained == 0)
        np.logical_and(able, stay | (m > threshold), out=mobilized)
