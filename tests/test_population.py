import numpy as np
import pytest
import scipy.sparse as sp

from escalation_sim import load_scenario
from escalation_sim.population import (
    REPEAT_MIN_RUN,
    build_ties,
    create,
    home_districts,
    settle,
    tie_matrix,
)


def test_every_group_has_a_home_district_even_when_tiny():
    homes = home_districts(np.array([0.9, 0.05, 0.05]), 4)
    assert all(h.size >= 1 for h in homes)
    assert sorted(np.concatenate(homes[:1]).tolist()) == [0, 1, 2, 3]


def test_segregation_puts_the_expected_share_at_home():
    rng = np.random.default_rng(0)
    n = 200_000
    group = rng.choice(2, n, p=[0.5, 0.5]).astype(np.int8)
    shares = np.array([0.5, 0.5])
    homes = home_districts(shares, 16)
    for seg in (0.0, 0.6, 1.0):
        d = settle(group, shares, 16, seg, np.random.default_rng(1))
        at_home = np.isin(d[group == 0], homes[0]).mean()
        # at home = segregated share + the unsegregated who land at home by chance (half here)
        expected = seg + (1 - seg) * 0.5
        assert abs(at_home - expected) < 0.01  # binomial s.d. ≈ 0.0016 at n = 100,000


def test_ties_are_row_normalized_mostly_in_group_and_local():
    rng = np.random.default_rng(2)
    n = 50_000
    group = rng.choice(3, n, p=[0.5, 0.3, 0.2]).astype(np.int8)
    district = rng.integers(0, 9, n).astype(np.int16)
    ties = build_ties(group, district, 3, 8, homophily=0.85, distant=0.1,
                      rng=np.random.default_rng(3))
    assert ties.shape == (n, n)
    assert np.allclose(np.asarray(ties.sum(axis=1)).ravel(), 1.0, atol=1e-5)
    coo = ties.tocoo()
    w = coo.data
    same_group = (group[coo.row] == group[coo.col])
    same_district = (district[coo.row] == district[coo.col])
    # in-group share = homophily + (1 - homophily) * chance of meeting one's own group
    chance = (np.bincount(group) / n) @ (np.bincount(group) / n)
    assert abs((w * same_group).sum() / w.sum() - (0.85 + 0.15 * chance)) < 0.01
    assert (w * same_district).sum() / w.sum() > 0.88


def test_population_arrays_are_compact(default):
    civ = create(default, np.random.default_rng(0))
    assert civ.n == default.run.n_civilians
    assert civ.nbytes() / civ.n <= 200
    assert civ.alive.all() and not civ.mobilized.any()
    assert np.array_equal(civ.key, civ.district.astype(np.int32) * 3 + civ.group)


@pytest.mark.parametrize("n", [10_000, 1_000])   # long runs (repeated), short ones (gathered)
def test_by_cell_and_by_group_equal_indexing_before_and_after_relocation(n):
    s = load_scenario("default", [f"run.n_civilians={n}"])
    civ = create(s, np.random.default_rng(4))
    n_cells = s.space.width * s.space.height * len(s.groups)
    rng = np.random.default_rng(5)
    values = rng.random(n_cells).astype(np.float32)
    assert np.array_equal(civ.by_cell(values), values[civ.key])
    if n >= REPEAT_MIN_RUN * n_cells:
        assert civ.runs[0].size <= n_cells           # sorted civilians: one run per cell at most
    else:
        assert civ.runs is None                      # few civilians per cell: always gathered
    per_group = rng.random(len(s.groups))
    assert np.array_equal(civ.by_group(per_group), per_group[civ.group])
    for _ in range(3):   # people move: the runs must follow the keys
        who = rng.random(civ.n) < 0.05
        civ.district[who] = rng.integers(0, s.space.width * s.space.height, who.sum())
        civ.relocate(who)
        assert np.array_equal(civ.key, civ.district.astype(np.int32) * len(s.groups) + civ.group)
        assert np.array_equal(civ.by_cell(values), values[civ.key])


def test_tie_matrix_is_scipys_sum_of_duplicates():
    """The canonical network built directly equals, bit for bit, scipy's sum_duplicates() of one
    entry per drawn tie, including partners drawn many times (small blocks, high degree)."""
    rng = np.random.default_rng(11)
    for n, degree, pool in [(1, 1, 1), (1, 30, 1), (5, 12, 2), (200, 8, 200), (300, 25, 7),
                            (50, 3, 50)]:
        partner = rng.integers(0, pool, (n, degree)).astype(np.int32)
        raw = sp.csr_matrix((np.full(n * degree, 1.0 / degree, dtype=np.float32),
                             partner.ravel().copy(), np.arange(0, n * degree + 1, degree,
                                                        dtype=np.int32)), shape=(n, n))
        raw.sum_duplicates()                    # (in place: hence the copy of partner)
        ties = tie_matrix(partner)
        for a, b in ((ties.indptr, raw.indptr), (ties.indices, raw.indices),
                     (ties.data, raw.data)):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
