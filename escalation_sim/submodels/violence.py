"""Violence: who attacks whom, who protects, who is killed, who flees (R14 §10, §44, §53–54, §64).

Per district×group cell:

* **Armed groups** field their members (a share of their base group's mobilized civilians in
  each district, multiplied by sponsor support and arms inflow) and direct their *intent* at
  their target groups — their ideology's, plus reprisal for harm done to their own group
  (``revenge``). Part of their strength reaches neighbouring districts; the intent-weighted
  fighters aimed at each cell, per person, are its *menace* (what civilians fear before anyone
  is killed).
* **The security sector**'s lawful part (capacity × professionalism × integrity × political
  will) protects (below); the capacity left unrestrained by professionalism and integrity is
  used by a complicit government against the groups its ruling leader excludes — against their
  mobilized members (collective punishment), with hate speech against all of them, and on
  orders against all of them in proportion to the regime's threat (``state_orders``; Valentino
  2004) (R14 §44, §76; R16 §27). With ``repression`` (0 by default) it targets a political
  opposition too: the groups not excluded, other than the ruling one, with that weight (R14 §10).
  With ``purge`` (0 by default) a regime that came by coup kills on orders as if under threat,
  in proportion to the coup's fading strength, whether or not anyone is armed (Harff 2003:
  political upheaval; the road of the purge). With ``organized_at`` (0 by default) its killing
  of all of a group's members is organized, times ``organized_factor``, where it reaches that
  level per member and month (a decision to destroy, Straus 2015).
* **Protection is a presence with a size** (R14 §44, §67–69). In each district, protectors —
  international troops, police and protection staff deployed by interventions
  (:meth:`Violence.protect`, in people) and the lawful part of the security forces (``forces``
  per 1,000 people × capacity × restraint × political will, spread with the residents) — face
  the armed force threatening civilians there: armed groups' members acting in the district
  (times their multiplier) and the complicit part of the security forces. They stop the share
  ``1 − exp(−k · protectors / armed force)`` of each perpetrator's killings (Epstein's arrest
  probability, ``k = violence.deterrence``). Consent-bound protectors deter the state's own
  forces and state-affiliated militias with the weight ``violence.state_efficacy`` only (Fjelde,
  Hultman & Nilsson 2019: local peacekeeping presence reduces rebel, not government, killings).
* **Local dispute-resolution bodies** defuse a share of incidents (brake (e)).
* Expected killings in a cell become a per-civilian monthly hazard (capped), and each alive
  civilian is killed with that probability. The stream draws one uniform per civilian every
  month, dead or alive, so its draws stay aligned across runs that differ elsewhere.
* **Violations** other than killings are Poisson counts per cell with mean
  ``violations_per_killing`` × the cell's expected killings (capped by the people present),
  drawn by inverting the Poisson distribution function at one uniform per cell, so the stream
  advances by the same amount whatever the expected counts are.
* **Displacement**: civilians who are not mobilized and whose fear, weighted by risk aversion,
  exceeds the flight threshold flee to the least violent district (expected killings per person)
  among their own and its neighbours — if one is calmer than their own by more than
  ``refuge_margin``; displaced civilians whose fear has fallen low go home.
* **What people react to is expected, not drawn**: victimization (which drives grievance, fear,
  reprisal), the killing and violation rates the indicators read, and where people flee to are
  computed from the expected killings, not from the realized draws, so that they do not depend
  on how many people one simulated civilian stands for (model v2, part 2).

Targeted groups' self-protection is not a separate rule: fear raises mobilization in the civilian
submodel, mobilized members feed their group's armed groups, and those attack — the spiral.

* **Who killed whom**: each cell's killings are attributed to the perpetrators — the state's
  forces and each armed group — in proportion to their shares of the cell's expected killings,
  and split by victim status: *combatants* (civilians mobilized at the time) and
  *noncombatants* (the others). Campaign exhaustion and the legacy of episodes read it.
* **Campaign exhaustion** (``exhaustion_half``; Valentino 2004's strategic logic): while a
  perpetrator's twelve-month count of noncombatants killed is at the scale of mass killing (a
  *campaign*: from ``exhaustion_start`` until it falls below ``exhaustion_stop``), its toll
  adds up to its exhaustion, forgotten once the campaign is over (it tires the current campaign
  only, not a new one years later); its killings are multiplied by ``H / (H + exhaustion)``
  (:func:`restraint`), ``H`` the campaign's resolve, drawn when it starts
  (:func:`resolve`: ``exhaustion_half`` times a lognormal of mean 1 and log-sd
  ``exhaustion_spread``). Nothing tires a perpetrator before its first campaign, so a run is
  identical to one without exhaustion until its first onset.
* **Counter-insurgency** (``counterinsurgency``, 0 by default): the mobilized members of groups
  whose armed groups target the ruling group are detained for ``detention`` months with a
  monthly probability that rises with the ratio of security forces to insurgents in the
  district (:func:`attrition`); the detained cannot mobilize.
* **Mass-killing episodes** (the Early Warning Project's and the Political Instability Task
  Force's definition, Ulfelder & Valentino 2008): an *onset* is the first month in which one
  perpetrator's deliberate killings of noncombatants (expected, not drawn: see
  :meth:`Violence.attribute`) over the last ``outcomes.onset_window``
  months (12) reach ``outcomes.onset_deaths`` people (1,000); the episode ends when that count
  falls below ``outcomes.episode_end_deaths``; a later onset is a recurrence. In the month an
  episode ends it leaves its legacy (:meth:`History.remember`: the victims' memory, the
  perpetrator's impunity or arms), as a prior episode does at month 0. The onset is the
  model's "mass atrocity" outcome (model v2; v1 counted cumulative killings of anyone against a
  share of the population).

The module owns the operational reach of armed groups, the international protectors per
district (people, set afresh each month by interventions through :meth:`Violence.protect`), the
share of expected killings deterrence stopped this month (``prevented``), the alive
civilians per cell, victimization, the killing and violation counts and rates, the deaths by
perpetrator and victim status, each perpetrator's exhaustion, campaign and resolve, and the
episodes with their tolls per group;
it is the one writer of civilians' ``alive``, ``displaced``, ``district`` and ``detained``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from scipy import special

from ..numeric import saturate
from ..population import stacked_views
from .base import Module

if TYPE_CHECKING:
    from ..population import Crowd


class ArmedPressure(NamedTuple):
    """What the armed groups bring to a month, computed once and read by the killing, the
    menace and the protectors' deterrence."""

    pressure: np.ndarray   # expected killings per (district, group)
    strength: np.ndarray   # members per armed group (simulated civilians)
    parts: np.ndarray      # each armed group's part of ``pressure``: (armed group, D, G)
    fighting: np.ndarray   # members acting in each district times their multiplier: (D, A)
    aimed: np.ndarray      # intent-weighted fighting aimed at each (district, group)


def armed_pressure(mobilized: np.ndarray, reach: np.ndarray, base: np.ndarray,
                   share: np.ndarray, multiplier: np.ndarray, intent: np.ndarray,
                   lethality: np.ndarray, targets: np.ndarray) -> ArmedPressure:
    """Expected killings per month by armed groups, with what they are made of (see
    :class:`ArmedPressure`).

    Args:
        mobilized: mobilized civilians per (district, group).
        reach: (districts, districts) operational reach: ``reach[i, j]`` is the share of members
            based in district j who act in district i (columns sum to one).
        base, share, multiplier, intent, lethality: per armed group.
        targets: (armed groups, groups) bool.
    """
    members = mobilized[:, base] * share[None, :]                       # (D, A)
    # einsum rather than @: small products without BLAS, so the bits do not depend on the CPU
    fighting = np.einsum("ij,ja->ia", reach, members * multiplier[None, :])          # (D, A)
    share_per_target = targets / np.maximum(targets.sum(axis=1, keepdims=True), 1.0)
    weighted = fighting * (intent * lethality)[None, :]                              # (D, A)
    # armed groups with lethality 0 count for nothing in the menace either (ODD 7.4)
    aimed = np.einsum("da,ag->dg", fighting * (intent * (lethality > 0))[None, :],
                      share_per_target)
    return ArmedPressure(np.einsum("da,ag->dg", weighted, share_per_target),
                         members.sum(axis=0),
                         weighted.T[:, :, None] * share_per_target[:, None, :], fighting, aimed)


def state_targets(excludes: np.ndarray, ruling: int, repression: float) -> np.ndarray:
    """The weight of each group in the state's violence: 1 for a group the ruling leader
    excludes; ``repression`` for any other group but the ruling one (a political opposition,
    ``violence.repression``); 0 for the ruling group. With ``repression`` 0, the excluded
    groups exactly (as floats)."""
    targets = np.asarray(excludes, dtype=float)
    if repression > 0:
        targets = np.maximum(targets, repression)
        targets[ruling] = float(excludes[ruling])
    return targets


def state_pressure(mobilized: np.ndarray, alive: np.ndarray, perpetration: float,
                   excluded: np.ndarray, hate: np.ndarray, rate: float,
                   hate_weight: float, threat: float = 0.0,
                   orders_weight: float = 0.0, organized_at=0.0,
                   organized_factor=1.0) -> np.ndarray:
    """Expected killings per month by the security sector, per (district, group): against the
    mobilized members of excluded groups (collective punishment), against all their members in
    proportion to the hate speech aimed at them, and — on orders, whatever the speech — in
    proportion to the regime's threat (counter-insurgency by mass killing, Valentino 2004);
    ``excluded`` weighs each group (:func:`state_targets`: an opposition with ``repression``).
    Where the killing of all of a group's members reaches ``organized_at`` per member and
    month (above 0), it is organized: times ``organized_factor`` (``violence.organized_at``).
    Numbers or arrays that broadcast (one per run)."""
    scale = rate * perpetration * excluded[..., None, :]
    whole = (hate_weight * hate + orders_weight * threat)[..., None, :]
    if np.any(organized_at):   # (off: the same expression, bit for bit)
        whole = np.where((organized_at > 0) & (scale * whole >= organized_at),
                         whole * organized_factor, whole)
    return scale * (mobilized + whole * alive)


def deterrence(protectors: np.ndarray, attackers: np.ndarray, k: float) -> np.ndarray:
    """Share of the killings an armed force would commit that protectors present stop, in the
    manner of Epstein's (2002) arrest probability: ``1 − exp(−k · protectors / attackers)``.

    Zero with no protectors, whatever the attackers; rises with the ratio and tends to 1;
    1 where protectors face no armed force at all (which then kills no one anyway); zero
    everywhere when ``k`` is 0 (protection switched off). ``k`` may be an array that broadcasts
    (one per run)."""
    if not np.any(k):
        return np.zeros(np.shape(protectors))
    shape = np.broadcast_shapes(np.shape(protectors), np.shape(attackers))
    ratio = np.divide(protectors, attackers, out=np.full(shape, np.inf), where=attackers > 0)
    ratio = np.where(protectors > 0, ratio, 0.0)
    if np.all(k):
        return -np.expm1(-k * ratio)
    with np.errstate(invalid="ignore"):    # 0 × an infinite ratio where k is 0, not selected
        return np.where(k == 0, 0.0, -np.expm1(-k * ratio))


def attrition(forces: np.ndarray, insurgents: np.ndarray, rate: float) -> np.ndarray:
    """Monthly probability that a mobilized insurgent is detained in each
    district: ``rate · r / (1 + r) = rate · forces / (forces + insurgents)``, ``r`` the ratio of
    the security forces present (``forces``) to the insurgents acting there (``insurgents``,
    armed-equivalent people).

    Lanchester's (1916) aimed fire, per insurgent and bounded: half the maximum ``rate`` at
    parity, tending to it as the forces outnumber the insurgents, zero with no forces; ``rate``
    where no insurgent acts (there is then no one to remove)."""
    odds = np.divide(forces, forces + insurgents, out=np.ones(np.shape(forces)),
                     where=insurgents > 0)
    return rate * odds


def restraint(exhaustion: np.ndarray, half: float) -> np.ndarray:
    """Share of its killings a perpetrator still commits given its exhaustion (people):
    ``half / (half + exhaustion)``; 1 with no exhaustion, a half at ``half``, falling towards 0
    as exhaustion grows."""
    return half / (half + exhaustion)


def resolve(rng: np.random.Generator, spread: float) -> float:
    """A campaign's resolve relative to the perpetrator's typical one: lognormal with mean 1
    and log-standard deviation ``spread`` (exactly 1 when ``spread`` is 0; one normal draw
    from ``rng`` either way, so the stream advances alike)."""
    z = rng.standard_normal()
    return float(np.exp(spread * z - 0.5 * spread * spread)) if spread > 0 else 1.0


def tire_campaigns(runs: list[Violence], counts: np.ndarray, latest: np.ndarray,
                   exhaustion: np.ndarray, campaign: np.ndarray, resolves: np.ndarray,
                   tiring: np.ndarray, start: np.ndarray, stop: np.ndarray) -> None:
    """Campaigns tire their perpetrators, in the runs where ``tiring`` (``exhaustion_half`` >
    0), all arrays (runs, perpetrators) and written in place: a campaign starts at ``counts``
    (noncombatants killed in the onset window, people) of ``start`` (``exhaustion_start``),
    with its resolve drawn from its run's stream (in perpetrator order), and goes on down to
    ``stop``; its toll, this month's ``latest`` row of the window, adds up while it goes on.
    Once it is over its costs no longer hold the perpetrator back: the next campaign starts
    afresh, with its own resolve."""
    started = counts >= start
    for r, p in zip(*np.nonzero(started & ~campaign & tiring[:, None]), strict=True):
        d = runs[r].p
        resolves[r, p] = d.exhaustion_half * resolve(runs[r].model.streams["campaigns"],
                                                     d.exhaustion_spread)
    on = started | (campaign & (counts >= stop))
    tired = np.where(on, exhaustion + latest, 0.0)
    campaign[tiring] = on[tiring]
    exhaustion[tiring] = tired[tiring]


def hazard(expected: np.ndarray, alive: np.ndarray, defused: float, cap: float) -> np.ndarray:
    """Monthly probability that a civilian of each (district, group) is killed, from the
    expected killings left after deterrence (``expected``) and the share local bodies defuse."""
    kills = expected * (1.0 - defused)
    return np.minimum(kills / np.maximum(alive, 1.0), cap)


def poisson_quantile(u: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Poisson draws by inversion: the smallest k with P(X ≤ k) ≥ u, exactly as scipy's
    ``poisson.ppf``. Small means walk up the distribution function term by term (fast on the few
    dozen cells of a month); large means, and any cell left after 80 terms, use scipy's special
    functions."""
    mean = np.maximum(mean, 1e-12)
    every = bool(mean.max() <= 20.0)   # the usual month: every cell walks, no masks needed
    if every:
        term = np.exp(-mean)
        if not (term < u).any():         # a quiet month: P(X = 0) ≥ u in every cell
            return np.zeros(mean.shape)
    walk = mean <= 20.0
    k = np.zeros_like(mean)
    if every or walk.any():
        m, v = (mean, u) if every else (mean[walk], u[walk])
        term = term if every else np.exp(-m)
        cdf = term.copy()
        steps = np.zeros_like(m)
        for i in range(1, 80):
            below = cdf < v
            if not below.any():
                break
            steps += below
            term *= m / i
            cdf += term
        if every:
            k, walk = steps, cdf >= v
            if walk.all():
                return k
        else:
            k[walk] = steps
            walk[walk] = cdf >= v                # cells the walk resolved
    rest = ~walk
    if rest.any():
        m, v = mean[rest], u[rest]
        q = np.ceil(special.pdtrik(v, m))
        below = np.maximum(q - 1, 0)
        k[rest] = np.where(special.pdtr(below, m) >= v, below, q)
    return k


def refuges(violence: np.ndarray, neighbours: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """For each district, the least violent district among itself and its neighbours, if that
    one is calmer by more than the share ``margin`` of the district's own violence; otherwise the
    district is its own refuge (ties, and small differences, keep people home). Leading axes
    (runs) broadcast: ``violence`` (…, D), ``neighbours`` (…, D, D), ``margin`` (…, 1)."""
    masked = np.where(neighbours, violence[..., None, :], np.inf)
    best = np.argmin(masked, axis=-1)
    calmest = np.take_along_axis(masked, best[..., None], axis=-1)[..., 0]
    return np.where(calmest < (1.0 - margin) * violence, best, np.arange(violence.shape[-1]))


def operational_reach(neighbours: np.ndarray, spill: float) -> np.ndarray:
    """``reach[i, j]``: share of the members based in district j who act in district i; a share
    ``spill`` of them spreads evenly over j's neighbours (columns sum to one)."""
    n = neighbours.shape[0]
    others = neighbours & ~np.eye(n, dtype=bool)
    n_others = others.sum(axis=0, keepdims=True)
    return np.where(n_others > 0, (1.0 - spill) * np.eye(n)
                    + spill * others / np.maximum(n_others, 1), np.eye(n))


def shares(parts: np.ndarray) -> np.ndarray:
    """Each perpetrator's share of each cell's expected killings (zero where none are expected);
    ``parts`` is (…, perpetrators, districts, groups)."""
    total = parts.sum(axis=-3, keepdims=True)
    return np.divide(parts, total, out=np.zeros_like(parts), where=total > 0)


STATE_FORCES = "state forces"
"""The state's name as a perpetrator (of killings and of an :class:`Episode`)."""


@dataclass
class Episode:
    """One mass-killing episode: its perpetrator, onset month and end month (None: ongoing)."""

    perpetrator: str
    onset: int
    end: int | None = None


class Violence(Module):
    """Step 5: armed groups and the security sector attack or protect; local bodies defuse;
    civilians are killed; violations; displacement and return."""

    name = "violence"
    section = "violence"
    series = ("deaths", "killings", "violations", "displaced", "armed")
    reads = ("armed groups (stepped here)", "mobilization: mobilized civilians",
             "information: hate", "brakes: security_sector, local_peace",
             "outcomes: onset_deaths, onset_window, "
             "episode_end_deaths")

    def __init__(self, model):
        super().__init__(model)
        s = model.params
        civ = model.civilians
        self.reach = operational_reach(model.neighbours, self.p.spill)
        # international protectors per district this month (people, armed equivalents), and
        # the same weighted by their efficacy against the state's forces
        self.protectors = np.zeros(model.n_districts)
        self.protectors_state = np.zeros(model.n_districts)
        self.international = 0.0    # international protectors present this month (people)
        self.prevented = 0.0        # share of this month's expected killings deterrence stopped
        self.victimization = np.zeros((model.n_districts, model.n_groups))
        self.menace = np.zeros((model.n_districts, model.n_groups))  # armed threat per person
        # alive civilians per (district, group), kept up to date here
        self.alive_cells = np.bincount(
            civ.key, minlength=model.n_districts * model.n_groups).reshape(
            model.n_districts, model.n_groups).astype(float)
        self.killing_rate = 0.0     # killings per civilian per month, smoothed (weight 1/3)
        self.violation_rate = 0.0   # violations per civilian per month, smoothed (weight 1/3)
        self.killings = 0           # simulated civilians killed this month
        self.violations = 0         # violations this month
        self.deaths = 0             # simulated civilians killed so far
        self.violations_total = 0
        # who killed whom: the state's forces, then each armed group (people, not civilians)
        self.perpetrators = (STATE_FORCES, *(x.name for x in model.armed_groups))
        self.deaths_by = np.zeros(len(self.perpetrators))    # every victim, attributed
        self.noncombatant_deaths = 0.0                        # people
        self.combatant_deaths = 0.0
        self._window = np.zeros((s.outcomes.onset_window, len(self.perpetrators)))  # people
        self.episodes: list[Episode] = []
        self._ongoing: list[Episode | None] = [None] * len(self.perpetrators)
        self.onset_month: int | None = None           # the first mass-killing onset
        # each perpetrator's exhaustion (people: its killings of noncombatants in its current
        # campaign, 0 between campaigns) and whether its campaign is on; used when
        # exhaustion_half > 0
        self.exhaustion = np.zeros(len(self.perpetrators))
        self.campaign = np.zeros(len(self.perpetrators), bool)
        # each perpetrator's resolve in its current campaign (people: the exhaustion that
        # halves its killings), drawn when the campaign starts
        self.resolve = np.full(len(self.perpetrators), self.p.exhaustion_half)
        # noncombatants killed by each perpetrator per group in its ongoing episode (people)
        self._toll = np.zeros((len(self.perpetrators), model.n_groups))
        a = model.armed_groups   # what does not change during a run
        self._armed_fixed = (np.array([x.base for x in a], int),
                             np.array([x.recruit_share for x in a], float),
                             np.array([x.lethality for x in a], float),
                             np.array([x.targets for x in a], float).reshape(len(a),
                                                                           model.n_groups))
        # which row of :meth:`stopped`'s deterrence each perpetrator faces: the state's forces
        # and state-affiliated militias the protectors' weight against the state (1), others 0
        self._deterred_as = np.array([1, *(int(x.kind == "state_militia") for x in a)])
        self._harm: np.ndarray | None = None      # this month's :meth:`group_harm`, once asked

    def protect(self, people: float | np.ndarray, districts: np.ndarray | None = None,
                against_state: float | None = None) -> None:
        """Deploy ``people`` international protectors this month (armed-soldier equivalents)
        into every district (``people`` each, or an array per district), or into
        ``districts``. ``against_state`` is their deterrent weight against the state's forces
        and state-affiliated militias; by default ``violence.state_efficacy`` (consent-bound
        protectors)."""
        weight = self.p.state_efficacy if against_state is None else against_state
        where = slice(None) if districts is None else districts
        self.protectors[where] += people
        self.protectors_state[where] += np.multiply(people, weight)

    def end_protection(self) -> None:
        """Presence is set afresh every month by the interventions still active."""
        self.protectors[:] = 0.0
        self.protectors_state[:] = 0.0

    def stopped(self, fighting: np.ndarray | None, alive: np.ndarray) -> np.ndarray:
        """Share of each perpetrator's killings stopped in each district this month, per
        (perpetrator, district): :func:`deterrence` of the protectors present — international
        ones and the lawful part of the security forces — against the armed force there — the
        armed groups' ``fighting`` (:class:`ArmedPressure`; None when no one is under arms) and
        the complicit part of the security forces. The state's forces and state-affiliated
        militias face the protectors weighted by their efficacy against the state
        (``violence.state_efficacy`` for the consent-bound)."""
        model, p = self.model, self.p
        sec = model.brakes["security_sector"]
        spread = self.spread(alive)
        lawful = sec.protection * sec.forces * spread
        attackers = sec.perpetration * sec.forces * spread
        if fighting is not None:
            attackers = attackers + fighting.sum(axis=1) * model.params.people_per_civilian
        # against armed groups (row 0) and against the state's side (row 1), in one call
        versus = deterrence(np.array((self.protectors + lawful,
                                      self.protectors_state + p.state_efficacy * lawful)),
                            attackers, p.deterrence)
        return versus[self._deterred_as]

    @staticmethod
    def spread(alive: np.ndarray) -> np.ndarray:
        """Each district's share of the alive residents: the security forces follow people."""
        residents = alive.sum(axis=1)
        return residents / max(float(residents.sum()), 1.0)

    def counterinsurgency(self, fighting: np.ndarray | None, alive: np.ndarray) -> np.ndarray:
        """Monthly probability that a mobilized civilian of each (district, group) is detained by
        the security forces' counter-insurgency (:func:`attrition`), per (district, group): only
        groups whose armed groups target the ruling group (the regime's threat) are hunted; the
        forces (capacity × forces, lawful and complicit) follow the people, the insurgents are
        the ``fighting`` (:class:`ArmedPressure`; None when no one is under arms) of those armed
        groups in the district."""
        model = self.model
        out = np.zeros(alive.shape)
        if fighting is None:
            return out
        base, _, _, targets = self._armed_fixed
        hunted = targets[:, model.government.ruling] > 0     # armed groups aimed at the regime
        if not hunted.any():
            return out
        insurgents = fighting[:, hunted].sum(axis=1) * model.params.people_per_civilian
        sec = model.brakes["security_sector"]
        forces = sec.capacity * sec.forces * self.spread(alive)
        out[:, np.unique(base[hunted])] = attrition(forces, insurgents,
                                                    self.p.counterinsurgency)[:, None]
        return out

    def victimization_index(self) -> np.ndarray:
        """Victimization per (district, group) on [0, 1): half at ``victimization_half`` of the
        cell per month."""
        return saturate(self.victimization, self.p.victimization_half)

    def group_harm(self) -> np.ndarray:
        """Harm per person of each group over the whole country (killings and violations,
        expected, smoothed as victimization is; its cells weighted by the people alive in them):
        what a group's armed men avenge and its members tire of. Computed once a month (every
        armed group asks before this month's killings change it)."""
        if self._harm is None:
            alive = self.alive_cells
            self._harm = ((self.victimization * alive).sum(axis=0)
                          / np.maximum(alive.sum(axis=0), 1.0))
        return self._harm

    def armed_arrays(self) -> tuple[np.ndarray, ...] | None:
        """Per-armed-group arrays for :func:`armed_pressure` (None without armed groups)."""
        a = self.model.armed_groups
        if not a:
            return None
        base, share, lethality, targets = self._armed_fixed
        return (base, share, np.fromiter((x.multiplier for x in a), float, len(a)),
                np.fromiter((x.intent for x in a), float, len(a)), lethality, targets)

    def book(self, kills: np.ndarray, violations: np.ndarray, expected_kills: np.ndarray | None,
             alive: np.ndarray) -> None:
        """Book this month's killings and violations per (district, group) (``expected_kills``
        None: no hazard anywhere this month, hence no killing expected or drawn).

        What civilians, leaders and observers react to — victimization, the killing and
        violation rates the indicators read — is computed from the *expected* killings (the
        hazards times the people present) and the expected violations, not from the realized
        draws: one simulated death stands for ``people_per_civilian`` people, and reacting to it
        would make fear, flight and mobilization depend on how many people a simulated civilian
        stands for (model v2, part 2). Deaths, violations and the outcomes count the realized
        draws."""
        p, model = self.p, self.model
        mem = p.victimization_memory
        if expected_kills is None:
            # no killing expected (nor drawn): harm adds exact zeros to the decayed victimization
            self.victimization = mem * self.victimization
            self.killings, total = 0, 0.0
        else:
            # harm per cell: killings and other violations (each ``violations_per_killing`` of
            # them weighing as one killing), both expected
            harm = expected_kills * (1.0 + p.violations_per_killing
                                     / max(p.violations_per_killing, 1.0))
            self.victimization = (mem * self.victimization
                                  + (1 - mem) * harm / np.maximum(alive, 1))
            self.killings = int(kills.sum())
            total = float(expected_kills.sum())
        n = model.civilians.n
        self.violations = int(violations.sum())
        self.deaths += self.killings
        self.violations_total += self.violations
        self.killing_rate += (total / n - self.killing_rate) / p.rate_window
        self.violation_rate += (total * p.violations_per_killing / n
                                - self.violation_rate) / p.rate_window

    def attribute(self, kills: np.ndarray | None, noncombatant: np.ndarray | None,
                  expected_noncombatant: np.ndarray | None, parts: np.ndarray | None) -> None:
        """Book this month's killings per (district, group) to their perpetrators (``parts``:
        each perpetrator's expected killings per cell) and victim status (``noncombatant``:
        the killed who were not mobilized), then update the episodes. ``parts`` None: no
        hazard anywhere this month (no killing drawn or expected: nothing to book).

        Deaths count the realized draws; the episodes (onset, end, recurrence) count each
        perpetrator's *expected* killings of noncombatants (``expected_noncombatant``: the
        hazard times the noncombatants present), so that whether 1,000 people were killed in a
        year does not depend on the Poisson noise of draws that each stand for
        ``people_per_civilian`` people (with 100 people a draw, that noise alone made onsets
        two to three times as frequent at 10^4 civilians as at 10^5)."""
        model = self.model
        out = model.params.outcomes
        scale = model.params.people_per_civilian
        if parts is None:   # the sums below would add exact zeros, and write a row of them
            self._window[model.steps % out.onset_window] = 0.0
        else:
            share = shares(parts)
            self.deaths_by += (share * kills).sum(axis=(1, 2)) * scale
            self.noncombatant_deaths += float(noncombatant.sum()) * scale
            self.combatant_deaths += float((kills - noncombatant).sum()) * scale
            self._window[model.steps % out.onset_window] = (
                share * expected_noncombatant).sum(axis=(1, 2)) * scale
        counts = self._window.sum(axis=0)
        self.tire(counts)
        if parts is not None:   # each perpetrator's victims per group (kept while ongoing)
            self._toll += (share * expected_noncombatant).sum(axis=1) * scale
        self.update_episodes(counts)

    def tire(self, counts: np.ndarray) -> None:
        """Campaigns tire their perpetrators (when ``exhaustion_half`` > 0), from ``counts``
        (noncombatants killed in the onset window, people, by perpetrator):
        :func:`tire_campaigns` for this run."""
        d, model = self.p, self.model
        if not d.exhaustion_half > 0:
            return
        slot = model.steps % model.params.outcomes.onset_window
        tire_campaigns([self], counts[None], self._window[slot][None], self.exhaustion[None],
                       self.campaign[None], self.resolve[None], np.ones(1, bool),
                       np.array([[d.exhaustion_start]]), np.array([[d.exhaustion_stop]]))

    def update_episodes(self, counts: np.ndarray) -> None:
        """Each perpetrator's episode begins, goes on or ends with ``counts``, its noncombatants
        killed in the onset window (people); an ended episode leaves its legacy."""
        model = self.model
        out = model.params.outcomes
        for p, (name, count) in enumerate(zip(self.perpetrators, counts, strict=True)):
            episode = self._ongoing[p]
            if episode is None and count >= out.onset_deaths:
                episode = Episode(name, model.steps)
                self.episodes.append(episode)
                self._ongoing[p] = episode
                if self.onset_month is None:
                    self.onset_month = model.steps
                model.log("mass_killing", f"Mass-killing onset: {name} have killed {count:,.0f} "
                          f"noncombatants in {out.onset_window} months")
            elif episode is not None and count < out.episode_end_deaths:
                episode.end = model.steps
                self._ongoing[p] = None
                model.log("mass_killing", f"The mass killing by {name} ends: {count:,.0f} "
                          f"noncombatants killed in the last {out.onset_window} months")
                # the episode's legacy: its victims' memory, the perpetrator's impunity or arms
                model.history.remember(self._toll[p], "state" if p == 0 else name, 0.0)
            if self._ongoing[p] is None:   # an episode's toll counts from its onset month
                self._toll[p] = 0.0

    def step(self) -> None:
        self.strike(*self.expect())

    def expect(self) -> tuple:
        """The month's first half: the armed groups' step, their pressure and the state's,
        exhaustion, the protectors' deterrence, the hazard. Returns what :meth:`strike` needs:
        the alive and mobilized civilians per cell, the expected killings, each perpetrator's
        part, the armed groups' fighting (None when no one is under arms) and the hazard."""
        model, d = self.model, self.p
        civ = model.civilians
        n_cells = model.n_districts * model.n_groups
        shape = (model.n_districts, model.n_groups)
        alive = self.alive_cells                        # alive civilians per (district, group)
        mobilized = np.bincount(civ.key[civ.mobilized], minlength=n_cells).reshape(shape)

        for group in model.armed_groups:
            group.step()
        a = self.armed_arrays()
        expected = np.zeros(shape)
        parts = np.zeros((len(self.perpetrators), *shape))
        fighting = None
        if a is not None and mobilized.any():
            armed = armed_pressure(mobilized, self.reach, *a)
            expected += armed.pressure
            parts[1:], fighting = armed.parts, armed.fighting
            self.menace = armed.aimed / np.maximum(alive, 1.0)   # per person of the cell
            for group, s in zip(model.armed_groups, armed.strength, strict=True):
                group.strength = float(s)
        elif a is not None:
            # nobody is under arms: armed groups field no one, and their pressure and menace
            # are the exact zeros armed_pressure would compute (products of zero members)
            self.menace = np.zeros(shape)
            for group in model.armed_groups:
                group.strength = 0.0
        sec = model.brakes["security_sector"]
        ruling = model.government.ruling
        targets = state_targets(model.leaders[ruling].excludes, ruling, d.repression)
        if targets.any():   # else the state targets no group: its part stays exact zeros
            gov = model.government   # (purge 0 adds an exact 0: the threat unchanged)
            parts[0] = state_pressure(mobilized, alive, sec.perpetration, targets,
                                      model.information.hate, d.state_violence,
                                      d.state_violence_hate,
                                      gov.threat + d.purge * gov.coup_strength, d.state_orders,
                                      d.organized_at, d.organized_factor)
        if d.exhaustion_half > 0 and self.exhaustion.any():   # exhausted perpetrators kill less
            parts *= restraint(self.exhaustion, self.resolve)[:, None, None]
            expected = parts.sum(axis=0)
        elif targets.any():
            expected += parts[0]
        # protection: each perpetrator loses the share of its killings that the protectors in
        # the district stop (``stopped``), before local bodies defuse a share of the rest
        self.international = float(self.protectors.sum())
        # no killing expected anywhere: nothing to stop, the parts stay exact zeros
        if expected.any():
            parts *= 1.0 - self.stopped(fighting, alive)[:, :, None]
        before = float(expected.sum())
        expected = parts.sum(axis=0)
        self.prevented = 1.0 - float(expected.sum()) / before if before > 0 else 0.0
        h = hazard(expected, alive, d.defuse_strength * model.brakes["local_peace"].strength,
                   d.max_hazard)
        return alive, mobilized, expected, parts, fighting, h

    def strike(self, alive: np.ndarray, mobilized: np.ndarray, expected: np.ndarray,
               parts: np.ndarray, fighting: np.ndarray | None, h: np.ndarray) -> None:
        """The month's second half, from the hazard (:meth:`expect`): detention, the killings'
        draw, violations, the books and episodes, flight and return."""
        model, d = self.model, self.p
        civ = model.civilians
        n_cells = model.n_districts * model.n_groups
        shape = (model.n_districts, model.n_groups)
        # counter-insurgency: the mobilized of the hunted groups face an extra probability of
        # detention, on the same draw (above the killing hazard, so no one is both)
        hunt = None
        if d.counterinsurgency > 0:
            civ.detained[civ.detained > 0] -= 1          # a month of detention served
            hunt = self.counterinsurgency(fighting, alive)
        rng = model.streams["violence"]
        u = rng.random(civ.n, dtype=np.float32)
        killing = bool(h.any())
        if killing:
            killed = civ.alive & (u < civ.by_cell(h.astype(np.float32)))
            noncombatant = np.bincount(civ.key[killed & ~civ.mobilized],
                                       minlength=n_cells).reshape(shape)
            civ.alive &= ~killed
            civ.mobilized &= civ.alive
            civ.displaced &= civ.alive
            kills = np.bincount(civ.key[killed], minlength=n_cells).reshape(shape)
        else:   # no hazard anywhere: the same draw, and no one is killed (u < 0 never holds)
            noncombatant = np.zeros(shape, dtype=np.intp)
            kills = np.zeros(shape, dtype=np.intp)
        if hunt is not None and hunt.any():   # detained, not killed: out of the fight a term
            detained = civ.mobilized & (u < civ.by_cell(np.minimum(h + hunt, 1.0)
                                                        .astype(np.float32)))
            civ.detained[detained] = d.detention
            civ.mobilized &= ~detained
        expected_kills = h * alive   # capped by the people present; what the killings' draw means
        violations = poisson_quantile(rng.random(expected.shape),
                                      expected_kills * d.violations_per_killing)
        if killing:
            self.book(kills, violations, expected_kills, alive)
            self.attribute(kills, noncombatant, h * np.maximum(alive - mobilized, 0.0), parts)
        else:   # kills and the killings expected are exact zeros: they would add nothing
            self.book(kills, violations, None, alive)
            self.attribute(None, None, None, None)

        # displacement and return
        flee = (civ.alive & ~civ.displaced & ~civ.mobilized
                & (civ.fear * (d.flight_base + civ.risk_aversion) > d.flee_fear))
        fleeing = bool(flee.any())
        if fleeing:
            # the expected killing rate, not the realized draws (see :meth:`book`)
            violence = expected_kills.sum(axis=1) / np.maximum(alive.sum(axis=1), 1.0)
            refuge = refuges(violence, model.neighbours, d.refuge_margin)
            # nowhere safer nearby: stay
            flee &= civ.by_cell(np.repeat(refuge != np.arange(refuge.size), model.n_groups))
            civ.district[flee] = refuge[civ.district[flee]]
            civ.displaced |= flee
            fleeing = bool(flee.any())            # some of them found a refuge
        back = civ.displaced & (civ.fear < d.return_fear)  # the displaced are all alive
        returning = bool(back.any())
        if returning:
            civ.district[back] = civ.home[back]
            civ.displaced &= ~back
        self.alive_cells = alive - kills
        if fleeing or returning:
            moved = flee | back
            cells = self.alive_cells.ravel()
            cells -= np.bincount(civ.key[moved], minlength=n_cells)
            civ.relocate(moved)
            cells += np.bincount(civ.key[moved], minlength=n_cells)
        self._harm = None          # victimization and the people alive have changed

    def record(self) -> tuple[float, ...]:
        model = self.model
        scale = model.params.people_per_civilian
        return (self.deaths * scale, self.killings * scale, self.violations * scale,
                np.count_nonzero(model.civilians.displaced) * scale,
                sum(a.strength for a in model.armed_groups) * scale)


class ViolenceBatch:
    """:meth:`Violence.step` of R runs computed at once, with the same bits in every run
    (:mod:`escalation_sim.batch`).

    The armed groups' step stays each run's own (scalar updates whose types travel on), then
    the first half (:meth:`Violence.expect`: the armed groups' pressure, the state's,
    exhaustion, the protectors' deterrence, the hazard) and the second (:meth:`strike`) are
    computed for all runs as (runs, …) arrays, every branch the model skips computed and adding
    exact zeros. Two layouts follow the model's so that einsum adds in its order: each run's
    ``mobilized[:, base]`` block as the model's fancy index lays it out, and the deterrence
    row each perpetrator faces gathered per run. The ruling group and the groups its leader
    excludes are fixed for a run (nothing changes them), so they are stacked once."""

    def __init__(self, mods: list[Violence], crowd: Crowd) -> None:
        self.mods, self.crowd = mods, crowd
        models = [m.model for m in mods]
        ps = [m.p for m in mods]
        m0 = models[0]
        self.shape = (m0.n_districts, m0.n_groups)
        R = len(mods)

        def col(values) -> np.ndarray:
            return np.array(values, dtype=float)

        self.repression = col([p.repression for p in ps])[:, None]
        self.rate = col([p.state_violence for p in ps])
        self.hate_weight = col([p.state_violence_hate for p in ps])[:, None]
        self.orders = col([p.state_orders for p in ps])
        self.organized_at = col([p.organized_at for p in ps])[:, None, None]
        self.organized_factor = col([p.organized_factor for p in ps])[:, None, None]
        self.purge = [p.purge for p in ps]
        self.efficacy = col([p.state_efficacy for p in ps])[:, None]
        self.k = col([p.deterrence for p in ps])[:, None, None]
        self.people = col([m.params.people_per_civilian for m in models])[:, None]
        self.defuse = [p.defuse_strength for p in ps]
        self.cap = col([p.max_hazard for p in ps])[:, None, None]
        self.ruling = np.array([m.government.ruling for m in models])
        self.excludes = np.stack([np.asarray(m.leaders[m.government.ruling].excludes,
                                             dtype=float) for m in models])
        self.deterred_as = np.stack([m._deterred_as for m in mods])[:, :, None]
        self.armed = bool(m0.armed_groups)
        if self.armed:
            base, share, lethality, targets = (np.stack(x) for x in zip(
                *(m._armed_fixed for m in mods), strict=True))
            self.base, self.share, self.lethality = base, share, lethality
            self.per_target = targets / np.maximum(targets.sum(axis=2, keepdims=True), 1.0)
            self.reach = np.stack([m.reach for m in mods])
        n_cells = self.shape[0] * self.shape[1]
        self.cell_offset = (np.arange(R, dtype=np.int64) * n_cells)[:, None]
        self.rows = np.arange(R)
        # each perpetrator's onset window, campaign and toll: stacked, the runs' own are views
        self.views: list = []
        self.window = stacked_views(mods, "_window", self.views)
        self.exhaustion = stacked_views(mods, "exhaustion", self.views)
        self.campaign = stacked_views(mods, "campaign", self.views)
        self.resolve = stacked_views(mods, "resolve", self.views)
        self.toll = stacked_views(mods, "_toll", self.views)
        self.tiring = np.array([p.exhaustion_half > 0 for p in ps])
        self.exhaustion_start = col([p.exhaustion_start for p in ps])[:, None]
        self.exhaustion_stop = col([p.exhaustion_stop for p in ps])[:, None]
        outcomes = [m.params.outcomes for m in models]
        self.onset_deaths = col([o.onset_deaths for o in outcomes])[:, None]
        # the second half's columns; fear meets these as Python floats do, in float32 (NEP 50)
        self.vpk = col([p.violations_per_killing for p in ps])
        self.mem = col([p.victimization_memory for p in ps])[:, None, None]
        self.rate_window = col([p.rate_window for p in ps])
        self.hunting = np.array([p.counterinsurgency > 0 for p in ps])
        self.detention = np.array([p.detention for p in ps], dtype=np.int16)
        self.flight_base = np.array([p.flight_base for p in ps], dtype=np.float32)[:, None]
        self.flee_fear = np.array([p.flee_fear for p in ps], dtype=np.float32)[:, None]
        self.return_fear = np.array([p.return_fear for p in ps], dtype=np.float32)[:, None]
        self.margin = col([p.refuge_margin for p in ps])[:, None]
        self.neighbours = np.stack([m.neighbours for m in models])

    def step(self) -> None:
        mods, models, crowd = self.mods, [m.model for m in self.mods], self.crowd
        R, shape = len(mods), self.shape
        for model in models:
            for group in model.armed_groups:
                group.step()
        alive = np.stack([m.alive_cells for m in mods])
        mob = np.bincount((crowd.key + self.cell_offset)[crowd.mobilized],
                          minlength=R * shape[0] * shape[1]).reshape(R, *shape)
        hate = np.stack([m.information.hate for m in models])
        secs = [m.brakes["security_sector"] for m in models]
        perpetration = np.array([s.perpetration for s in secs], dtype=float)
        forces = np.array([s.forces for s in secs], dtype=float)
        protection = np.array([s.protection for s in secs], dtype=float)
        threat = np.array([m.government.threat + purge * m.government.coup_strength
                           for m, purge in zip(models, self.purge, strict=True)], dtype=float)
        if self.armed:
            multiplier = np.stack([np.fromiter((x.multiplier for x in m.armed_groups), float)
                                   for m in models])
            intent = np.stack([np.fromiter((x.intent for x in m.armed_groups), float)
                               for m in models])
            # each run's ``mobilized[:, base]`` is Fortran-ordered in the model, and einsum's
            # order of summation follows the strides: each run's block is laid out alike
            members = np.take_along_axis(mob.transpose(0, 2, 1), self.base[:, :, None],
                                         axis=1).transpose(0, 2, 1) * self.share[:, None, :]
            fighting = np.einsum("rij,rja->ria", self.reach,
                                 members * multiplier[:, None, :])
            weighted = fighting * (intent * self.lethality)[:, None, :]
            aimed = np.einsum("rda,rag->rdg",
                              fighting * (intent * (self.lethality > 0))[:, None, :],
                              self.per_target)
            pressure = np.einsum("rda,rag->rdg", weighted, self.per_target)
            armed_parts = (weighted.transpose(0, 2, 1)[:, :, :, None]
                           * self.per_target[:, :, None, :])
            menace = aimed / np.maximum(alive, 1.0)
            strength = members.sum(axis=1)
        # the state's targets (:func:`state_targets`) and pressure (:func:`state_pressure`)
        excludes, repression = self.excludes, self.repression
        targets = np.where(repression > 0, np.maximum(excludes, repression), excludes)
        targets[self.rows, self.ruling] = excludes[self.rows, self.ruling]
        state = state_pressure(mob, alive, perpetration[:, None, None], targets, hate,
                               self.rate[:, None, None], self.hate_weight, threat[:, None],
                               self.orders[:, None], self.organized_at,
                               self.organized_factor)
        # each run's parts laid out as the model's (perpetrator, district, group) array, which
        # its second half sums over cells in memory order (a concatenation would keep the armed
        # parts' transposed layout)
        parts = np.empty((R, len(mods[0].perpetrators), *shape))
        parts[:, 0] = state
        if self.armed:
            parts[:, 1:] = armed_parts
        tired = self.tiring & self.exhaustion.any(axis=1)
        if tired.any():
            parts[tired] *= restraint(self.exhaustion[tired],
                                      self.resolve[tired])[:, :, None, None]
        expected = np.where(tired[:, None, None], parts.sum(axis=1),
                            pressure + parts[:, 0] if self.armed else parts[:, 0])
        # the protectors' deterrence (:meth:`Violence.stopped`)
        protectors = np.array([(m.protectors, m.protectors_state) for m in mods], dtype=float)
        residents = alive.sum(axis=2)
        spread = residents / np.maximum(residents.sum(axis=1, keepdims=True), 1.0)
        lawful = (protection * forces)[:, None] * spread
        attackers = (perpetration * forces)[:, None] * spread
        if self.armed:
            attackers = attackers + fighting.sum(axis=2) * self.people
        facing = np.stack([protectors[:, 0] + lawful,
                           protectors[:, 1] + self.efficacy * lawful], axis=1)
        versus = deterrence(facing, attackers[:, None, :], self.k)
        parts *= 1.0 - np.take_along_axis(versus, self.deterred_as, axis=1)[:, :, :, None]
        before = expected.reshape(R, -1).sum(axis=1)
        expected = parts.sum(axis=1)
        after = expected.reshape(R, -1).sum(axis=1)
        prevented = np.where(before > 0, 1.0 - after / np.where(before > 0, before, 1.0), 0.0)
        defused = np.array([d * m.brakes["local_peace"].strength
                            for d, m in zip(self.defuse, models, strict=True)],
                           dtype=float)[:, None, None]
        h = hazard(expected, alive, defused, self.cap)
        international = protectors[:, 0].sum(axis=1)
        anyone = mob.reshape(R, -1).any(axis=1)
        fought: list = [None] * R   # each run's fighting, None where no one is under arms
        for r, (v, model) in enumerate(zip(mods, models, strict=True)):
            if self.armed:
                v.menace = menace[r]
                for group, s in zip(model.armed_groups, strength[r].tolist(), strict=True):
                    group.strength = s
                if anyone[r]:
                    fought[r] = fighting[r]
            v.international = float(international[r])
            v.prevented = float(prevented[r])
        self.strike(alive, mob, parts, fought, h)

    def strike(self, alive: np.ndarray, mob: np.ndarray, parts: np.ndarray, fought: list,
               h: np.ndarray) -> None:
        """:meth:`Violence.strike` for all runs: each run's draws from its own streams, then
        detention, violations, the books, campaigns and flight as (runs, …) arrays, every
        branch the model skips computed and adding exact zeros; the scalars written back with
        the model's types (Python ints and floats), the episodes' onsets, ends, log lines and
        legacy by each run's own :meth:`Violence.update_episodes`."""
        mods, models, crowd = self.mods, [m.model for m in self.mods], self.crowd
        R, shape, rows = len(mods), self.shape, self.rows
        n = crowd.alive.shape[1]
        n_cells = shape[0] * shape[1]

        def count(mask: np.ndarray) -> np.ndarray:   # per (run, district, group), keys as now
            return np.bincount((crowd.key + self.cell_offset)[mask],
                               minlength=R * n_cells).reshape(R, *shape)

        def by_cell(values: np.ndarray) -> np.ndarray:
            return values.reshape(R, -1)[rows[:, None], crowd.key]

        hunt = np.zeros((R, *shape))
        for r in np.flatnonzero(self.hunting):   # a month of detention served; who is hunted
            detained = crowd.detained[r]
            detained[detained > 0] -= 1
            hunt[r] = mods[r].counterinsurgency(fought[r], alive[r])
        u = np.empty((R, n), np.float32)
        for r, model in enumerate(models):
            model.streams["violence"].random(out=u[r], dtype=np.float32)
        killing = h.reshape(R, -1).any(axis=1)
        killed = crowd.alive & (u < by_cell(h.astype(np.float32)))
        noncombatant = count(killed & ~crowd.mobilized)
        crowd.alive &= ~killed
        crowd.mobilized &= crowd.alive
        crowd.displaced &= crowd.alive
        kills = count(killed)
        hunted = self.hunting & hunt.reshape(R, -1).any(axis=1)
        if hunted.any():   # detained, not killed: out of the fight a term
            now = (hunted[:, None] & crowd.mobilized
                   & (u < by_cell(np.minimum(h + hunt, 1.0).astype(np.float32))))
            crowd.detained[now] = np.broadcast_to(self.detention[:, None], now.shape)[now]
            crowd.mobilized &= ~now
        expected_kills = h * alive
        draws = np.empty((R, *shape))
        for r, model in enumerate(models):
            draws[r] = model.streams["violence"].random(shape)
        violations = poisson_quantile(draws, expected_kills * self.vpk[:, None, None])

        # the books (:meth:`Violence.book`)
        vpk = self.vpk
        harm = expected_kills * (1.0 + vpk / np.maximum(vpk, 1.0))[:, None, None]
        decayed = self.mem * np.stack([v.victimization for v in mods])
        victimization = np.where(killing[:, None, None],
                                 decayed + (1 - self.mem) * harm / np.maximum(alive, 1), decayed)
        killings = np.where(killing, kills.reshape(R, -1).sum(axis=1), 0).tolist()
        total = np.where(killing, expected_kills.reshape(R, -1).sum(axis=1), 0.0)
        violations_n = [int(x) for x in violations.reshape(R, -1).sum(axis=1)]
        killing_rate = np.array([v.killing_rate for v in mods])
        violation_rate = np.array([v.violation_rate for v in mods])
        killing_rate = (killing_rate + (total / n - killing_rate) / self.rate_window).tolist()
        violation_rate = (violation_rate + (total * vpk / n - violation_rate)
                          / self.rate_window).tolist()

        # who killed whom, the onset window, campaigns (:meth:`Violence.attribute`)
        scale = self.people
        expected_nc = h * np.maximum(alive - mob, 0.0)
        share = shares(parts)
        by = (share * kills[:, None]).sum(axis=(2, 3)) * scale
        noncombatant_people = (noncombatant.reshape(R, -1).sum(axis=1) * scale[:, 0]).tolist()
        combatant_people = ((kills - noncombatant).reshape(R, -1).sum(axis=1)
                            * scale[:, 0]).tolist()
        window_row = np.where(killing[:, None],
                              (share * expected_nc[:, None]).sum(axis=(2, 3)) * scale, 0.0)
        toll = (share * expected_nc[:, None]).sum(axis=2) * scale[:, :, None]
        for r, v in enumerate(mods):
            v.victimization = victimization[r]
            v.killings, v.violations = killings[r], violations_n[r]
            v.deaths += v.killings
            v.violations_total += v.violations
            v.killing_rate, v.violation_rate = killing_rate[r], violation_rate[r]
            if killing[r]:
                v.deaths_by += by[r]
                v.noncombatant_deaths += noncombatant_people[r]
                v.combatant_deaths += combatant_people[r]
        slot = models[0].steps % self.window.shape[1]
        self.window[:, slot] = window_row
        counts = self.window.sum(axis=1)
        if self.tiring.any():
            tire_campaigns(self.mods, counts, self.window[:, slot], self.exhaustion,
                           self.campaign, self.resolve, self.tiring, self.exhaustion_start,
                           self.exhaustion_stop)
        self.toll[killing] += toll[killing]
        # each run's episodes begin, go on or end by its own code where one could (a count at
        # the onset threshold, or one ongoing); elsewhere that code would only clear the tolls
        own = ((counts >= self.onset_deaths).any(axis=1)
               | np.array([any(e is not None for e in v._ongoing) for v in mods]))
        for r in np.flatnonzero(own):
            mods[r].update_episodes(counts[r])
        self.toll[~own] = 0.0

        # flight and return
        flee = (crowd.alive & ~crowd.displaced & ~crowd.mobilized
                & (crowd.attitudes[:, 1] * (self.flight_base + crowd.risk_aversion)
                   > self.flee_fear))
        if flee.any():
            violence = expected_kills.sum(axis=2) / np.maximum(alive.sum(axis=2), 1.0)
            refuge = refuges(violence, self.neighbours, self.margin)
            away = np.repeat(refuge != np.arange(shape[0]), shape[1], axis=1)
            flee &= away[rows[:, None], crowd.key]
            district = crowd.district
            district[flee] = refuge[rows[:, None], district.astype(np.intp)][flee]
            crowd.displaced |= flee
        back = crowd.displaced & (crowd.attitudes[:, 1] < self.return_fear)
        crowd.district[back] = crowd.home[back]
        crowd.displaced &= ~back
        moved = flee | back
        cells = alive - kills
        cells -= count(moved)
        crowd.key[moved] = (crowd.district[moved].astype(np.int32) * shape[1]
                            + crowd.group[moved])
        cells += count(moved)
        relocated = moved.any(axis=1)
        for r, (v, model) in enumerate(zip(mods, models, strict=True)):
            v.alive_cells = cells[r]
            if relocated[r]:
                model.civilians.runs = None    # the runs of equal keys are found again
            v._harm = None          # victimization and the people alive have changed
