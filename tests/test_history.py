"""The country's past (model v2, part 6): it acts through mechanisms, never on an outcome."""

import math

import numpy as np
import pytest

from escalation_sim import EscalationModel, load_scenario
from escalation_sim.errors import InputError
from escalation_sim.runner import run_ensemble

SMALL = ["run.n_civilians=2000", "run.months=24", "events.scheduled=[]"]
EPISODE = ["history.prior_episode_years_ago=8", "history.prior_episode_deaths=20000",
           "history.prior_victims='B'"]


def model(*overrides: str) -> EscalationModel:
    return EscalationModel(load_scenario("default", [*SMALL, *overrides]), seed=3)


@pytest.mark.parametrize("overrides, field, words", [
    (["history.prior_episode_deaths=100"], "history.prior_episode_deaths",
     "prior_episode_years_ago"),
    (["history.prior_episode_years_ago=3"], "history.prior_victims", "name the group"),
    ([*EPISODE[:2], "history.prior_victims='Z'"], "history.prior_victims", "unknown group"),
    ([*EPISODE, "history.prior_perpetrator='army'"], "history.prior_perpetrator",
     "neither 'state' nor an armed group"),
    (["history.coup_months_ago=-1"], "history.coup_months_ago", "greater than or equal"),
])
def test_a_bad_history_is_refused_naming_the_field(overrides, field, words):
    with pytest.raises(InputError) as e:
        load_scenario("default", overrides)
    assert field in str(e.value) and words in str(e.value)


def test_no_history_is_the_history_free_model():
    plain = model()
    assert not plain.history.memory.any()
    again = model("history.battle_deaths=0")
    plain.run(12)
    again.run(12)
    assert np.array_equal(plain.series, again.series, equal_nan=True)


def test_a_prior_episode_is_remembered_by_its_victims_and_fades():
    h = load_scenario("default").history
    m, twin = model(*EPISODE), model()
    b = [g.name for g in m.groups].index("B")
    share = 20000 / (1e6 * m.groups[b].share)
    depth = share / (share + h.memory_half) * math.exp(-8 / h.memory_years)
    assert m.history.memory[b] == pytest.approx(depth)
    assert np.count_nonzero(m.history.memory) == 1        # only the victims remember
    civ, other = m.civilians, twin.civilians
    victims = civ.group == b
    # memory raises the victims' grievance and fear from month 0, and no one else's
    assert civ.grievance[victims].mean() > other.grievance[victims].mean()
    assert civ.fear[victims].mean() == pytest.approx(h.fear_memory * depth, rel=1e-6)
    assert np.array_equal(civ.grievance[~victims], other.grievance[~victims])
    m.step()
    assert m.history.memory[b] == pytest.approx(depth * math.exp(-1 / (12 * h.memory_years)))


def test_the_perpetrator_keeps_arms_or_leaves_impunity():
    h = load_scenario("default").history
    armed = model(*EPISODE, "history.prior_perpetrator='militia'")
    depth = armed.history.memory.max()
    arms = {a.name: a.arms for a in armed.armed_groups}
    assert arms == {"militia": pytest.approx(h.legacy_arms * depth), "rebels": 0.0}
    state, twin = model(*EPISODE, "history.prior_perpetrator='state'"), model()
    tj = twin.brakes["transitional_justice"].strength
    assert state.institutions.impunity == pytest.approx(
        min(1.0, twin.institutions.impunity + h.legacy_impunity * depth * (1 - tj)))
    assert all(a.arms == 0 for a in state.armed_groups)


def test_an_ongoing_conflict_arms_every_armed_group_and_frightens_their_targets():
    h = load_scenario("default").history
    m = model("history.battle_deaths=500")
    intensity = 500e-6 / (500e-6 + h.conflict_half)
    assert [a.arms for a in m.armed_groups] == pytest.approx([h.conflict_arms * intensity] * 2)
    names = [g.name for g in m.groups]
    targeted = {names.index(t) for a in load_scenario("default").armed_groups for t in a.targets}
    for g in range(len(names)):
        assert (m.history.memory[g] > 0) == (g in targeted)


def test_a_recent_coup_acts_as_a_coup_faded_by_time():
    twin, recent, old = model(), model("history.coup_months_ago=0"), model(
        "history.coup_months_ago=48", "events.coup_hazard=0")   # no coup in the run
    sec = [x.brakes["security_sector"].integrity for x in (twin, recent, old)]
    will = [x.government.political_will for x in (twin, recent, old)]
    assert sec[1] < sec[2] < sec[0] and will[1] < will[2] < will[0]
    ev = load_scenario("default").events
    assert sec[1] == pytest.approx(sec[0] * (1 - ev.coup_capture))
    assert will[1] == pytest.approx(will[0] * ev.coup_will)
    # one rule for a past coup and a coup in the run: the coup of 48 months ago carries the
    # legacy of a coup then, faded by 48 months, and keeps fading at the same pace
    fade = math.exp(-48 / ev.coup_memory_months)
    assert old.government.coup_complicity == pytest.approx(ev.coup_complicity * fade)
    old.run(12)
    assert old.government.coup_complicity == pytest.approx(
        ev.coup_complicity * math.exp(-60 / ev.coup_memory_months))


def test_a_coups_strength_is_what_the_purge_reads_and_it_fades_or_ends():
    """The purge reads the last complicit coup's strength: its magnitude at the coup, faded as
    the rest of its legacy; a coup that turns against the campaign, or a settlement, ends it."""
    ev = load_scenario("default").events
    old = model("history.coup_months_ago=48", "events.coup_hazard=0")
    assert old.government.coup_strength == pytest.approx(math.exp(-48 / ev.coup_memory_months))
    old.run(12)
    assert old.government.coup_strength == pytest.approx(math.exp(-60 / ev.coup_memory_months))
    assert model("events.coup_hazard=0").government.coup_strength == 0.0
    gov = model("history.coup_months_ago=0").government
    assert gov.coup_strength == 1.0
    gov.coup(1.0, 1.0, -ev.coup_complicity)             # a regime against the campaign
    assert gov.coup_strength == 0.0
    gov.coup(1.0, ev.coup_will, ev.coup_complicity)
    gov.coup(0.5, ev.coup_will, ev.coup_complicity)     # a new regime replaces the last
    assert gov.coup_strength == 0.5
    gov.settle(0.1)
    assert gov.coup_strength == 0.0
    gov.coup(1.0, ev.coup_will, 0.0)                    # a coup that raised no complicity
    assert gov.coup_strength == 0.0
    # a coup during the run, through the events module: its magnitude, then fading
    run = model("events.scheduled=[{kind='coup', month=1, magnitude=0.5}]",
                "events.coup_hazard=0").run(1)
    assert run.government.coup_strength == pytest.approx(
        0.5 * math.exp(-1 / ev.coup_memory_months))


def test_the_purge_kills_after_a_coup_without_exclusion_and_fades_with_its_age():
    """The road of the purge (violence.purge): with no group excluded and an opposition the
    state targets (repression), a recent coup makes the state kill on orders; without the
    purge, or without a coup, the state kills no one and the run is the road closed, bit for
    bit; an older coup kills fewer. Read: the people the state's forces killed (expected, as
    the onset counts them) in the first three months, at 2^24 people."""
    plain = ["groups.A.excludes=[]", "violence.repression=0.5", "events.coup_hazard=0",
             "run.population=16777216"]

    def state_killed(*extra: str) -> tuple[float, np.ndarray]:
        m = model(*plain, *extra).run(3)
        return float(m.violence._window[:, 0].sum()), m.series

    closed, _ = state_killed("history.coup_months_ago=6")
    no_coup, no_coup_series = state_killed("violence.purge=0.5")
    assert closed == no_coup == 0.0
    assert np.array_equal(no_coup_series, state_killed()[1], equal_nan=True)
    recent, _ = state_killed("history.coup_months_ago=6", "violence.purge=0.5")
    older, _ = state_killed("history.coup_months_ago=48", "violence.purge=0.5")
    assert recent > older > 0


def test_a_coup_regime_is_feared_by_the_groups_out_of_power_and_the_fear_fades():
    """The road of fear of a coup regime (mobilization.fear_coup): with no group excluded, a
    recent coup raises the fear of the groups out of power (not the ruling group's) from month
    0, less for an older coup, and keeps it up month after month as the coup's strength fades;
    without a coup the run is the road closed, bit for bit."""
    plain = ["groups.A.excludes=[]", "events.coup_hazard=0"]

    def fear(*extra: str) -> tuple[np.ndarray, np.ndarray, EscalationModel]:
        m = model(*plain, *extra)
        civ = m.civilians
        start = np.bincount(civ.group, weights=civ.fear) / np.bincount(civ.group)
        m.run(24)
        end = np.bincount(civ.group, weights=civ.fear) / np.bincount(civ.group)
        return start, end, m

    closed, _, _ = fear("history.coup_months_ago=6")
    no_coup, _, no_coup_model = fear("mobilization.fear_coup=1")
    assert np.array_equal(closed, no_coup) and not closed.any()
    assert np.array_equal(no_coup_model.series, fear()[2].series, equal_nan=True)
    recent, recent_end, m = fear("history.coup_months_ago=6", "mobilization.fear_coup=1")
    older, _, _ = fear("history.coup_months_ago=48", "mobilization.fear_coup=1")
    assert recent[0] == closed[0]                       # the ruling group A
    assert np.all(recent[1:] > older[1:]) and np.all(older[1:] > closed[1:])
    # each month fear follows its target, which holds at least fear_coup times the coup's
    # strength (other sources only add; trailing a falling target keeps fear above it), and
    # falls as the strength fades: without the monthly term fear would have fallen to about
    # 0.945 * 0.7^24 ~ 0.0002 by month 24, and without the fading it would stay near 0.945
    strength = m.government.coup_strength
    assert strength > 0.5 and np.all(recent_end[1:] >= strength)
    assert np.all(recent_end[1:] < recent[1:])
    assert recent_end[0] < 0.5        # the ruling group: no coup term in the months either


def test_the_shipped_variant_is_default_with_a_past():
    past, default = load_scenario("default_with_past"), load_scenario("default")
    assert past.history.prior_victims == "B" and past.history.prior_perpetrator == "militia"
    meta = {"name", "title", "brief", "sources", "key_parameters", "history"}   # not dynamics
    assert past.model_dump(exclude=meta) == default.model_dump(exclude=meta)


@pytest.mark.slow
def test_a_past_raises_mobilization_and_deaths_with_the_same_seeds():
    # 60 runs each, the same ensemble seeds; the past (an episode 8 years ago) raises the
    # victims' grievance and fear and arms the militia, so mean deaths must rise: the paired
    # difference's 95 % interval lies above zero (measured: +20 % at 100 runs, README)
    past = run_ensemble(load_scenario("default_with_past"), 60, seed=0, workers=2)
    twin = run_ensemble(load_scenario("default"), 60, seed=0, workers=2)
    d = np.array([a.deaths - b.deaths for a, b in zip(past, twin, strict=True)])
    half = 2.0 * d.std(ddof=1) / math.sqrt(d.size)
    assert d.mean() - half > 0, f"mean paired difference {d.mean():.0f} ± {half:.0f}"


NO_LEGACY = ["history.w_memory=0", "history.fear_memory=0", "history.legacy_impunity=0",
             "history.legacy_arms=0"]


def test_an_episode_that_ends_in_the_run_leaves_the_legacy_of_a_prior_one():
    """security_split, seed 0: the state's forces' first episode ends within 300 months. The
    run is identical to its twin without the legacy's effects until that month; then the
    victims (B) remember the episode exactly as a scenario that starts with it (ended 0 years
    ago, by the state, with the same toll) does, and the state leaves impunity."""
    def run(*sets):
        m = EscalationModel(load_scenario("security_split", ["run.months=300", *sets]), 0)
        calls = []
        remember = m.history.remember
        m.history.remember = lambda d, *a: (calls.append((d.copy(), *a)), remember(d, *a))
        while not calls:
            m.step()
            assert m.steps < 300, "no episode ended"
        return m, calls[0]

    m, (toll, perpetrator, years) = run()
    twin, _ = run(*NO_LEGACY)
    end = m.steps
    assert m.violence.episodes[0].end == twin.violence.episodes[0].end == end
    assert perpetrator == "state" and years == 0.0
    # the campaign is over: its exhaustion no longer holds the state's forces back
    assert not m.violence.campaign[0] and m.violence.exhaustion[0] == 0
    assert np.array_equal(m.series[:end], twin.series[:end])
    b = [g.name for g in m.groups].index("B")
    assert np.flatnonzero(toll).tolist() == [b] and toll[b] > 1000     # only B was targeted
    assert np.count_nonzero(m.history.memory) == 1 and m.history.memory[b] > 0.1
    assert m.institutions.impunity > twin.institutions.impunity
    prior = EscalationModel(load_scenario("security_split", [
        "history.prior_episode_years_ago=0", f"history.prior_episode_deaths={float(toll[b])!r}",
        "history.prior_victims='B'", "history.prior_perpetrator='state'"]), 0)
    assert prior.history.memory[b] == m.history.memory[b]


@pytest.mark.slow
def test_after_an_episode_the_country_is_more_prone_than_before_it():
    """security_split, seeds 0-11, up to 480 months: in the runs whose first episode (by the
    state's forces) ends, three years after its end the state's forces kill more
    noncombatants a year than they did two years before its onset (exhaustion tires only the
    campaign, so nothing holds them back once it is over, and the episode's legacy stays), and
    the victims' fear is higher than in the same runs without the legacy's effects (paired by
    seed, identical until the end). Before this (exhaustion remembered for ten years, no
    legacy of an episode in the run) the count three years after was a third of the one
    before (122 against 369 people, 20 runs: README, "Episodes that end"). Measured here: 444
    against 296 people a year, fear 0.77 against 0.67 without the legacy. Checked to fail when
    exhaustion is remembered again for ten years after a campaign (94 against 296) and when an
    ending episode leaves no legacy (fear equal to the twin's). Means over a handful of runs
    are noisy, so the test asks only for the direction, which both margins clear widely."""
    def run(seed, *sets):
        m = EscalationModel(load_scenario("security_split", ["run.months=480", *sets]), seed)
        counts, fear, b = [], [], [g.name for g in m.groups].index("B")
        while m.steps < 480:
            m.step()
            counts.append(float(m.violence._window[:, 0].sum()))
            fear.append(m.groups[b].mean_fear)
            first = m.violence.episodes[0] if m.violence.episodes else None
            if first is not None and first.end is not None and m.steps == first.end + 36:
                return first, counts, fear
        return None, counts, fear

    before, after, fear_on, fear_off = [], [], [], []
    for seed in range(12):
        episode, counts, fear = run(seed)
        if episode is None or episode.onset < 24:
            continue
        twin, _, twin_fear = run(seed, *NO_LEGACY)
        assert twin.end == episode.end
        before.append(counts[episode.onset - 25])
        after.append(counts[-1])
        fear_on.append(fear[-1])
        fear_off.append(twin_fear[-1])
    assert len(before) >= 5
    assert np.mean(after) > np.mean(before), (np.mean(after), np.mean(before))
    assert np.mean(fear_on) > np.mean(fear_off), (np.mean(fear_on), np.mean(fear_off))
