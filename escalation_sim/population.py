"""Civilians as a numpy structure of arrays, their settlement and their social network.

Never one Python object per civilian: every per-civilian quantity is one array, and every
operation on civilians is an array operation (a mask, a gather, a ``bincount``, a sparse
product).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .params import Scenario

REPEAT_MIN_RUN = 64
"""Civilians per run of equal cell keys, on average, from which :meth:`Civilians.by_cell`
repeats rather than gathers (a speed threshold only: both give the same array)."""


@dataclass(eq=False)
class Civilians:
    """Per-civilian state. ``key = district * n_groups + group`` indexes district×group cells."""

    group: np.ndarray          # int8, identity group (fixed)
    home: np.ndarray           # int16, home district (fixed)
    district: np.ndarray       # int16, current district (differs from home while displaced)
    key: np.ndarray            # int32, district * n_groups + group
    alive: np.ndarray          # bool
    displaced: np.ndarray      # bool
    mobilized: np.ndarray      # bool, mobilized (armed or ready to act)
    detained: np.ndarray       # int16, months of detention left (counter-insurgency; 0: free)
    attitudes: np.ndarray      # float32 (4, n): the four rows below, one block for group sums
    grievance: np.ndarray      # float32 on [0, 1] (a view of attitudes[0])
    fear: np.ndarray           # float32 on [0, 1] (attitudes[1])
    radical: np.ndarray        # float32 on [0, 1], radicalization (attitudes[2])
    exposure: np.ndarray       # float32 on [0, 1], exposure to hate speech (attitudes[3])
    risk_aversion: np.ndarray  # float32 on [0.2, 1] (fixed)
    threshold: np.ndarray      # float32, mobilization threshold (fixed)
    ties: sp.csr_matrix        # row-normalized social network (float32)
    group_starts: np.ndarray   # index of each group's first civilian (civilians sorted by group)
    group_sizes: np.ndarray    # civilians per group
    runs: tuple[np.ndarray, np.ndarray] | None = None  # (key, length) of each run of equal keys

    @property
    def n(self) -> int:
        return self.group.shape[0]

    def by_cell(self, values: np.ndarray) -> np.ndarray:
        """Each civilian's entry of a (district, group) array.

        A repeat over the runs of civilians with equal keys rather than a gather where the runs
        are long: civilians are sorted by group and home district, so the runs are the district
        × group cells until people are displaced, and repeating a few dozen values is several
        times faster than gathering 10^4. The runs are found again only after :meth:`relocate`.
        Where runs are short (few civilians per cell, or many displaced) a gather is faster;
        both give the same array."""
        flat = values.ravel()
        if self.n < REPEAT_MIN_RUN * flat.size:       # short runs whatever the displacement
            return flat.take(self.key)
        if self.runs is None:
            starts = np.flatnonzero(np.concatenate(([True], self.key[1:] != self.key[:-1])))
            self.runs = (self.key[starts], np.diff(np.append(starts, self.n)))
        keys, lengths = self.runs
        if REPEAT_MIN_RUN * lengths.size > self.n:
            return flat.take(self.key)
        return np.repeat(flat[keys], lengths)

    def by_group(self, values: np.ndarray) -> np.ndarray:
        """One value per group spread to every civilian (a repeat: civilians are sorted by
        group)."""
        return np.repeat(values, self.group_sizes)

    def relocate(self, who: np.ndarray) -> None:
        """Update the cell key of the civilians ``who`` (a mask) whose district has changed."""
        self.key[who] = (self.district[who].astype(np.int32) * self.group_sizes.size
                         + self.group[who])
        self.runs = None

    def nbytes(self) -> int:
        """Memory held by the civilians, network included."""
        arrays = [v for v in vars(self).values()   # owners only: views share their memory
                  if isinstance(v, np.ndarray) and v.base is None]
        t = self.ties
        return (sum(a.nbytes for a in (*arrays, *(self.runs or ())))
                + t.data.nbytes + t.indices.nbytes + t.indptr.nbytes)


def home_districts(shares: np.ndarray, n_districts: int) -> list[np.ndarray]:
    """Districts each group calls home: contiguous runs of districts in proportion to shares.

    A group whose share is smaller than one district still gets the district at the middle of
    its share, so every group has at least one home district.
    """
    edges = np.concatenate([[0.0], np.cumsum(shares)]) * n_districts
    centres = np.arange(n_districts) + 0.5
    homes = []
    for g in range(len(shares)):
        own = np.flatnonzero((centres >= edges[g]) & (centres < edges[g + 1]))
        if own.size == 0:
            own = np.array([min(int((edges[g] + edges[g + 1]) / 2), n_districts - 1)])
        homes.append(own)
    return homes


def settle(group: np.ndarray, shares: np.ndarray, n_districts: int, segregation: float,
           rng: np.random.Generator) -> np.ndarray:
    """Districts of civilians: a share ``segregation`` in their group's home districts, the rest
    anywhere (one draw per civilian, no chained draws)."""
    n = group.shape[0]
    homes = home_districts(shares, n_districts)
    u_home, u_pick = rng.random(n), rng.random(n)
    n_home = np.array([h.size for h in homes])
    flat = np.concatenate(homes)
    offset = np.concatenate([[0], np.cumsum(n_home)[:-1]])
    at_home = flat[offset[group] + (u_pick * n_home[group]).astype(np.int64)]
    anywhere = (u_pick * n_districts).astype(np.int64)
    return np.where(u_home < segregation, at_home, anywhere).astype(np.int16)


def build_ties(group: np.ndarray, district: np.ndarray, n_groups: int, degree: int,
               homophily: float, distant: float, rng: np.random.Generator) -> sp.csr_matrix:
    """A sparse social network: ``degree`` ties per civilian, row-normalized.

    Each tie is drawn once from a categorical choice: local (same district) or distant (anywhere),
    and in-group with probability ``homophily``. Partners are picked uniformly inside the chosen
    block by sorting civilians by block, so the whole network is built without a Python loop.
    """
    n = group.shape[0]
    n_ties = n * degree
    local = rng.random(n_ties) >= distant
    u = rng.random(n_ties)
    in_group = rng.random(n_ties) < homophily
    # the four kinds of block a tie is drawn from: (district, group), district, group, country.
    # members[k*n:(k+1)*n] lists civilians sorted by their kind-k block; start[k, i] and
    # size[k, i] locate civilian i's kind-k block in that list
    cell = district.astype(np.int64) * n_groups + group
    members = np.empty(4 * n, dtype=np.int64)
    start = np.empty((4, n), dtype=np.int64)
    size = np.empty((4, n), dtype=np.int64)
    for k, labels in enumerate((cell, district, group, np.zeros(n, dtype=np.int64))):
        members[k * n:(k + 1) * n] = np.argsort(labels, kind="stable")
        counts = np.bincount(labels)
        start[k] = k * n + np.concatenate([[0], np.cumsum(counts)[:-1]])[labels]
        size[k] = counts[labels]
    # row of each tie in the (kind, owner) tables: owners are 0..n-1, degree ties each
    row = np.repeat(np.arange(n, dtype=np.int64), degree)
    row += n * (2 * ~local + ~in_group)
    del local, in_group
    pick = (u * size.ravel().take(row)).astype(np.int64)
    del u
    pick += start.ravel().take(row)
    del row, start, size
    partner = members.take(pick).astype(np.int32).reshape(n, degree)
    del pick, members
    return tie_matrix(partner)


def tie_matrix(partner: np.ndarray) -> sp.csr_matrix:
    """The row-normalized network from each civilian's ``degree`` drawn partners (an (n, degree)
    int32 array), in canonical form: partners sorted within each row, a partner drawn c times one
    entry of weight c / degree. The same matrix, bit for bit, as scipy's ``sum_duplicates()``
    makes from one float32 entry of 1 / degree per tie, without its sort and merge: a repeated
    partner's weight is the float32 sum of its entries added one after the other, as scipy adds
    them."""
    n, degree = partner.shape
    partner = np.sort(partner, axis=1)
    first = np.ones((n, degree), dtype=bool)      # first entry of each partner in its row
    np.not_equal(partner[:, 1:], partner[:, :-1], out=first[:, 1:])
    starts = np.flatnonzero(first)
    times = np.diff(np.append(starts, n * degree))   # how often each partner was drawn
    weight = np.float32(1.0 / degree)
    sums = [weight]
    for _ in range(degree - 1):
        sums.append(sums[-1] + weight)            # float32 + float32, in scipy's order
    data = np.array(sums, dtype=np.float32)[times - 1]
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(first.sum(axis=1), out=indptr[1:])
    ties = sp.csr_matrix((data, partner.ravel()[starts], indptr), shape=(n, n))
    ties.has_canonical_format = True
    return ties


def create(scenario: Scenario, rng: np.random.Generator) -> Civilians:
    """Draw the civilians of ``scenario`` from the setup stream."""
    n = scenario.run.n_civilians
    shares = np.array([g.share for g in scenario.groups])
    n_groups = shares.size
    n_districts = scenario.space.width * scenario.space.height
    # the schema accepts shares summing to 1 within 1e-6; numpy's choice needs them exact
    group = rng.choice(n_groups, size=n, p=shares / shares.sum()).astype(np.int8)
    district = settle(group, shares, n_districts, scenario.space.segregation, rng)
    # store civilians sorted by (group, home district): a relabelling of i.i.d. draws that makes
    # group sums contiguous slices and keeps ties' memory accesses local
    order = np.lexsort((district, group))
    group, district = group[order], district[order]
    sizes = np.bincount(group, minlength=n_groups)
    net = scenario.network
    ties = build_ties(group, district, n_groups, net.degree, net.homophily,
                      net.distant_ties, rng)
    dyn = scenario.mobilization
    threshold = rng.normal(dyn.threshold_mean, dyn.threshold_sd, n).clip(dyn.threshold_floor,
                                                                         None)
    attitudes = np.zeros((4, n), dtype=np.float32)
    attitudes[2] = rng.random(n) * dyn.initial_radicalization
    return Civilians(
        group=group,
        home=district.copy(),
        district=district,
        key=district.astype(np.int32) * n_groups + group,
        alive=np.ones(n, dtype=bool),
        displaced=np.zeros(n, dtype=bool),
        mobilized=np.zeros(n, dtype=bool),
        detained=np.zeros(n, dtype=np.int16),
        attitudes=attitudes,
        grievance=attitudes[0],
        fear=attitudes[1],
        radical=attitudes[2],
        exposure=attitudes[3],
        risk_aversion=rng.uniform(dyn.risk_aversion_min, dyn.risk_aversion_max,
                                  n).astype(np.float32),
        threshold=threshold.astype(np.float32),
        ties=ties,
        group_starts=np.concatenate([[0], np.cumsum(sizes)[:-1]]),
        group_sizes=sizes,
    )


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


STACKED = ("group", "home", "district", "key", "alive", "displaced", "mobilized", "detained",
           "attitudes", "risk_aversion", "threshold")
"""The civilians' arrays that :class:`Crowd` stacks (the four attitudes are views of
``attitudes``)."""


class Crowd:
    """The civilians of R runs of one size as (R, ...) arrays, for steps computed for all runs
    at once (:mod:`escalation_sim.batch`).

    Each run's :class:`Civilians` are made to hold views of their rows, so that what a run's
    own modules write in place the batch sees, and what a batched step writes in place the run
    sees; a step that rebinds an array instead breaks the link, which :meth:`check` detects.
    Each name of :data:`STACKED` is an (R, ...) attribute; ``ties`` is the runs' networks as
    one block-diagonal matrix (:func:`stacked_ties`)."""

    def __init__(self, civs: list[Civilians]):
        n = {c.n for c in civs}
        if len(n) != 1:
            raise ValueError(f"runs stacked together need one number of civilians, not {n}")
        self.civs = civs
        self.views: list = []
        for name in STACKED:
            setattr(self, name, stacked_views(civs, name, self.views))
        for c in civs:
            c.grievance, c.fear, c.radical, c.exposure = c.attitudes
        self.ties = stacked_ties([c.ties for c in civs])

    def check(self) -> None:
        """Raise if a run's civilians no longer hold views of their rows (a step rebound one)."""
        rows = [(c, name, self.attitudes) for c in self.civs
                for name in ("grievance", "fear", "radical", "exposure")]
        for c, name, stacked in (*self.views, *rows):
            if getattr(c, name).base is not stacked:
                raise RuntimeError(f"run {self.civs.index(c)}: civilians' {name} was rebound, "
                                   "not written in place")


def stacked_ties(ties: list[sp.csr_matrix]) -> sp.csr_matrix:
    """Networks as one block-diagonal matrix whose rows keep each network's entries in their
    order, so that each row's float32 sum adds the same terms in the same order as the run's
    own product (scipy's ``block_diag`` goes through COO and promises no order)."""
    n = [t.shape[0] for t in ties]
    offsets = np.concatenate([[0], np.cumsum(n)[:-1]])
    nnz = np.concatenate([[0], np.cumsum([t.nnz for t in ties])[:-1]])
    indices = np.concatenate([t.indices.astype(np.int64) + o
                              for t, o in zip(ties, offsets, strict=True)])
    indptr = np.concatenate([t.indptr[:-1].astype(np.int64) + z
                             for t, z in zip(ties, nnz, strict=True)]
                            + [[sum(t.nnz for t in ties)]])
    return sp.csr_matrix((np.concatenate([t.data for t in ties]), indices, indptr),
                         shape=(sum(n), sum(n)))
