"""Profiles and forecasts (escalation_sim.record.profiles, .forecast): the links move the
scenario in the direction their mechanism says, missing values are imputed as documented, the
country's past is read from the row and the profile's earlier rows, the commands write files
that validate, run and repeat bit for bit, and bad input is one clear error."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from escalation_sim.cli import main
from escalation_sim.errors import InputError
from escalation_sim.model import EscalationModel
from escalation_sim.params import Scenario
from escalation_sim.record.data import PREDICTORS, PREDICTORS_FILE, data_dir
from escalation_sim.record.forecast import (
    forecast,
    forecast_csv,
    new_onset,
    ongoing_perpetrator,
    posterior_warmup,
    row_seed,
)
from escalation_sim.record.posterior import Posterior, write_posterior
from escalation_sim.record.profiles import (
    COLUMNS,
    HISTORY_IN_SCHEMA,
    LINKS,
    REFERENCE,
    UNUSED,
    ProfileLinks,
    from_profile,
    history,
    profile_at,
    read_profiles,
    scenario_data,
)
from escalation_sim.rng import run_seed
from escalation_sim.runner import run_model
from escalation_sim.scenario import load_scenario, validate
from escalation_sim.submodels.violence import STATE_FORCES, Episode

SHIPPED = data_dir() / PREDICTORS_FILE


def at(**changes: float) -> Scenario:
    """The scenario of the reference profile with some predictors changed."""
    values = {**REFERENCE, **changes}
    data, _, _ = scenario_data(values, 1, 2000, months=2, n_civilians=200)
    return validate(data, "test")


def group(s: Scenario, name: str):
    return next(g for g in s.groups if g.name == name)


# ---- the links ---------------------------------------------------------------------------------
@pytest.mark.parametrize("predictor,low,high,read,direction", [
    ("discrimpop", 0.0, 0.4, lambda s: s.government.inclusiveness, -1),
    ("minorityrule", 0, 1, lambda s: s.government.inclusiveness, -1),
    ("minorityrule", 0, 1, lambda s: group(s, "A").economic_status
     - group(s, "B").economic_status, +1),
    ("social_inequality", 0, 1, lambda s: group(s, "A").economic_status
     - group(s, "B").economic_status, +1),
    ("ses_power_dist", -2, 2, lambda s: group(s, "A").economic_status
     - group(s, "B").economic_status, -1),
    ("pol_killing_approved", 0, 1, lambda s: s.government.complicity, +1),
    ("pol_killing_approved", 0, 1, lambda s: s.government.political_will, -1),
    ("pol_killing_approved", 0, 1, lambda s: group(s, "A").leader_extremism, +1),
    ("freediscussion", 0.1, 0.9, lambda s: s.institutions.media.capacity, +1),
    ("v2mecenefm_binary", 0, 1, lambda s: s.institutions.media.integrity, -1),
    ("judicialreform", 0, 2, lambda s: s.institutions.judiciary.integrity, +1),
    ("repress_civilsoc", 0, 1, lambda s: s.international.civil_society.presence, -1),
    ("un_imr_sqrt", 3, 12, lambda s: s.institutions.security_sector.capacity, -1),
    ("un_imr_sqrt", 3, 12, lambda s: s.events.shock_hazard, +1),
    ("popsize.log2", 20, 26, lambda s: s.institutions.security_sector.capacity, -1),
    ("popsize.log2", 20, 26, lambda s: s.run.population, +1),
])
def test_each_link_moves_its_field_the_way_its_mechanism_says(predictor, low, high, read,
                                                              direction):
    a, b = read(at(**{predictor: low})), read(at(**{predictor: high}))
    assert (b - a) * direction > 0, (predictor, a, b)


def test_discrimination_makes_an_excluded_group_of_that_share():
    none, some = at(discrimpop=0.0), at(discrimpop=0.2)
    assert group(none, "A").excludes == [] and group(some, "A").excludes == ["B"]
    assert group(some, "B").share == pytest.approx(0.2)
    assert sum(g.share for g in some.groups) == pytest.approx(1.0)
    ruled = at(minorityrule=1)
    assert group(ruled, "A").excludes == ["B"]
    assert group(ruled, "A").share <= ProfileLinks().minority_ruler_share
    # minority rule alone: B's share is a link coefficient, by default the template's share
    assert group(ruled, "B").share == ProfileLinks().excluded_share_minority_rule == group(
        at(), "B").share
    data, _, _ = scenario_data({**REFERENCE, "minorityrule": 1.0}, 1, 2000,
                               ProfileLinks(excluded_share_minority_rule=0.1))
    assert next(g for g in data["groups"] if g["name"] == "B")["share"] == 0.1


def test_every_predictor_the_links_read_has_a_reference_and_none_is_both_used_and_unused():
    read = {c for link in LINKS for c in link.reads}
    assert read <= set(COLUMNS)
    assert not set(COLUMNS) & set(UNUSED)
    assert set(COLUMNS) | set(UNUSED) == set(PREDICTORS)   # every predictor read or listed
    for name, info in ProfileLinks.model_fields.items():
        assert info.json_schema_extra["value"] == "assumption", name


def test_unequal_civil_liberties_lower_inclusiveness_only_when_the_link_is_on():
    """Declared 0: a row's inclusiveness is as before the link existed; at 0.3, a row with
    unequal civil liberties governs 0.3 less inclusively."""
    def inclusiveness(even: float, links: ProfileLinks | None = None) -> float:
        data, _, _ = scenario_data({**REFERENCE, "even_civilrights": even}, 1, 2000,
                                   links or ProfileLinks())
        return data["government"]["inclusiveness"]

    assert inclusiveness(0.0) == inclusiveness(1.0) == ProfileLinks().inclusiveness_base
    on = ProfileLinks(inclusiveness_uneven_rights=0.3)
    assert inclusiveness(1.0, on) == ProfileLinks().inclusiveness_base
    assert inclusiveness(0.0, on) == pytest.approx(ProfileLinks().inclusiveness_base - 0.3)


def test_unequal_civil_liberties_exclude_a_group_only_when_the_link_is_on_and_nothing_else_does():
    """Declared 0: no exclusion as before the link existed. At 0.1, a row with unequal civil
    liberties and no ethnic exclusion has an excluded B of a tenth of the people, and a more
    extreme ruling leader (the leader's link reads the exclusion); equal liberties, or a row
    that discrimination excludes already, are as without the link."""
    def scenario(links: ProfileLinks | None = None, **values: float) -> dict:
        data, _, _ = scenario_data({**REFERENCE, **values}, 1, 2000, links or ProfileLinks())
        return {g["name"]: g for g in data["groups"]}

    on = ProfileLinks(excluded_share_uneven_rights=0.1)
    assert scenario(even_civilrights=0.0)["A"]["excludes"] == []
    assert scenario(on, even_civilrights=1.0) == scenario(even_civilrights=1.0)
    uneven = scenario(on, even_civilrights=0.0)
    assert uneven["A"]["excludes"] == ["B"] and uneven["B"]["share"] == 0.1
    assert sum(g["share"] for g in uneven.values()) == pytest.approx(1.0)
    assert uneven["A"]["leader_extremism"] == pytest.approx(
        scenario(even_civilrights=0.0)["A"]["leader_extremism"] + on.extremism_exclusion)
    assert (scenario(on, even_civilrights=0.0, discrimpop=0.2)
            == scenario(even_civilrights=0.0, discrimpop=0.2))
    # discrimination below the exclusion threshold excludes no one: the link's share still
    assert scenario(on, even_civilrights=0.0, discrimpop=0.005)["B"]["share"] == 0.1
    # a share below the smallest a discriminated group gets is raised to it
    tiny = ProfileLinks(excluded_share_uneven_rights=1e-9)
    assert scenario(tiny, even_civilrights=0.0)["B"]["share"] == tiny.excluded_share_min


def test_links_are_parameters_a_calibration_can_change():
    data, _, _ = scenario_data({**REFERENCE, "pol_killing_approved": 1.0}, 1, 2000,
                               ProfileLinks(complicity_killings=0.1))
    assert data["government"]["complicity"] == pytest.approx(0.25)


def test_a_past_or_ongoing_episode_adds_complicity_only_when_the_link_is_on():
    def complicity(links: ProfileLinks, **changes: float) -> float:
        data, _, _ = scenario_data({**REFERENCE, **changes}, 1, 2000, links)
        return data["government"]["complicity"]

    on = ProfileLinks(complicity_past=0.3)
    base = complicity(on)
    assert base == complicity(ProfileLinks())   # no past: the link adds nothing
    assert complicity(on, mk_ever=1.0) == pytest.approx(base + 0.3)
    assert complicity(on, mk_ongoing_count_log2=1.0) == pytest.approx(base + 0.3)
    assert complicity(ProfileLinks(), mk_ever=1.0) == base   # off by default
    assert complicity(ProfileLinks(complicity_past=1.0), mk_ever=1.0) == 1.0   # clipped

    def perpetration(links: ProfileLinks) -> float:   # the state's capacity to kill civilians
        data, _, _ = scenario_data({**REFERENCE, "mk_ever": 1.0}, 1, 2000, links, months=2,
                                   n_civilians=200)
        return EscalationModel(validate(data, "test"), 0).brakes["security_sector"].perpetration

    assert perpetration(on) > perpetration(ProfileLinks()) > 0


def test_the_population_elasticity_is_a_power_law_around_the_reference():
    def people(size: float, elasticity: float) -> float:
        data, _, _ = scenario_data({**REFERENCE, "popsize.log2": size}, 1, 2000,
                                   ProfileLinks(population_elasticity=elasticity))
        return data["run"]["population"]

    assert people(30.0, 1.0) == 2.0 ** 30                 # the row's population
    assert people(24.3, 1.0) == round(2.0 ** 24.3)
    assert people(16.0, 1.0) == 2.0 ** 16
    assert people(30.0, 0.5) == round(2.0 ** 26.5)        # large: fewer people at stake
    assert people(16.0, 0.5) == round(2.0 ** 19.5)        # small: more
    assert people(16.0, 0.0) == people(23.0, 0.0) == people(30.0, 0.0) == 2.0 ** 23


def test_national_poverty_moves_every_groups_status_and_keeps_their_order():
    def statuses(imr: float, k: float) -> list[float]:
        data, applied, _ = scenario_data({**REFERENCE, "un_imr_sqrt": imr}, 1, 2000,
                                         ProfileLinks(status_per_imr=k))
        assert applied["national poverty"]["groups.*.economic_status"] == [
            g["economic_status"] for g in data["groups"]]
        return [g["economic_status"] for g in data["groups"]]

    template = statuses(7.0, 0.0)
    assert statuses(12.0, 0.0) == statuses(3.0, 0.0) == statuses(7.0, 0.2) == template
    poor, rich = statuses(12.0, 0.2), statuses(3.0, 0.2)
    for p, t, r in zip(poor, template, rich, strict=True):
        assert p < t < r
    assert sorted(range(3), key=poor.__getitem__) == sorted(range(3), key=template.__getitem__)
    # on the log-odds scale: a shift of -0.2 x (12 - 7) = -1 from the template
    assert poor[0] == pytest.approx(1 / (1 + math.exp(1 - math.log(template[0]
                                                                  / (1 - template[0])))),
                                    abs=1e-6)


# ---- the country's past ------------------------------------------------------------------------
def test_history_from_a_row():
    calm = history(REFERENCE)
    assert calm["prior_episode_years_ago"] is None and calm["coup_months_ago"] is None
    assert calm["battle_deaths"] == 0
    past = history({**REFERENCE, "mk_ever": 1, "battledeaths.log2": 10.0, "coup.try.5yr": 1})
    assert past["prior_episode_years_ago"] == ProfileLinks().prior_episode_years
    assert past["battle_deaths"] == 1023 and past["coup_months_ago"] == 30
    assert past["prior_victims"] == "B" and past["prior_perpetrator"] == "militia"
    going = history({**REFERENCE, "mk_ever": 1, "mk_ongoing_count_log2": 1,
                     "pol_killing_approved": 1})
    assert going["prior_episode_years_ago"] == 0 and going["prior_perpetrator"] == "state"


def test_inside_an_ongoing_episode_only_another_perpetrators_onset_is_new():
    """The record's onset flag inside an episode marks a new, distinct one: the ongoing
    episode's perpetrator renewing its killing is not an onset; another perpetrator's is."""
    going = {**REFERENCE, "mk_ever": 1, "mk_ongoing_count_log2": 1, "pol_killing_approved": 1}
    assert ongoing_perpetrator(going, history(going)) == STATE_FORCES
    by_militia = {**going, "pol_killing_approved": 0}
    assert ongoing_perpetrator(by_militia, history(by_militia)) == "militia"
    ended = {**going, "mk_ongoing_count_log2": 0}
    assert ongoing_perpetrator(ended, history(ended)) is None
    state, militia = Episode(STATE_FORCES, 5), Episode("militia", 9)
    assert not new_onset([], None) and new_onset([state], None)
    assert not new_onset([state], STATE_FORCES)
    assert new_onset([state, militia], STATE_FORCES) and new_onset([state], "militia")


def test_a_forecast_inside_an_episode_counts_new_episodes_only(tmp_path):
    """Wiring: the forecast of a row inside an episode of the state's scores each run by
    :func:`new_onset` with the state as the ongoing perpetrator; the same row without the
    ongoing episode counts the state's onsets (same seeds, same runs otherwise)."""
    row = {"mk_ever": 1, "pol_killing_approved": 1, "discrimpop": 0.3, "minorityrule": 1,
           "battledeaths.log2": 12.0}
    path = small_file(tmp_path, [{**row, "mk_ongoing_count_log2": 1}])
    table = read_profiles(path)
    (found,) = forecast(table, runs=8, seed=3, n_civilians=300)
    profile = profile_at(table, 1, months=24, n_civilians=300)
    episodes = [run_model(profile.scenario, run_seed(row_seed(3, 7, 2000), i)).violence.episodes
                for i in range(8)]
    assert found.flags == tuple(new_onset(e, STATE_FORCES) for e in episodes)
    # these seeds give runs with the state's renewed episode only (not new) and one with a
    # rebel group's episode too (new), so the rule is exercised both ways
    assert 0 < found.onsets < sum(bool(e) for e in episodes)


def test_a_warmup_runs_first_and_leaves_its_onsets_uncounted(tmp_path):
    """Wiring: with a warm-up, each run lasts warm-up plus horizon months, from the same seed,
    and only an onset after the warm-up counts; the runs go on from the warm-up's state."""
    row = {"mk_ever": 1, "pol_killing_approved": 1, "discrimpop": 0.3, "minorityrule": 1,
           "battledeaths.log2": 12.0}
    table = read_profiles(small_file(tmp_path, [row]))
    (found,) = forecast(table, runs=12, months=12, seed=3, n_civilians=300, warmup=12)
    profile = profile_at(table, 1, months=24, n_civilians=300)
    onsets = [[e.onset for e in run_model(profile.scenario,
                                          run_seed(row_seed(3, 7, 2000), i)).violence.episodes]
              for i in range(12)]
    assert found.flags == tuple(any(m > 12 for m in o) for o in onsets)
    # these seeds give runs with an onset in the warm-up only (not counted) and runs with one
    # after it, so the rule is exercised both ways
    assert any(o and max(o) <= 12 for o in onsets) and found.onsets > 0
    with pytest.raises(ValueError, match="warmup"):
        forecast(table, runs=1, warmup=-1)


def test_a_posterior_fitted_with_a_warmup_forecasts_with_it(tmp_path):
    """A posterior's runs warm up as its calibration's did (its metadata), unless told."""
    row = {"mk_ever": 1, "pol_killing_approved": 1, "discrimpop": 0.3, "minorityrule": 1,
           "battledeaths.log2": 12.0}
    table = read_profiles(small_file(tmp_path, [row]))
    base = Posterior("p.parquet", ("links.complicity_killings",), np.array([[0.4]]),
                     np.array([1.0]), {})
    warm = replace(base, metadata={"calibration": {"sample": {"warmup": 12}}})
    assert posterior_warmup(None) == posterior_warmup(base) == 0
    assert posterior_warmup(warm) == 12
    assert posterior_warmup(replace(base, metadata={"calibration": "x"})) == 0
    with pytest.raises(InputError) as e:
        posterior_warmup(replace(base, metadata={"calibration": {"sample": {"warmup": -1}}}))
    assert e.value.source == "p.parquet" and "warmup" in e.value.problems[0][0]

    def flags(posterior, **kw):
        (found,) = forecast(table, runs=12, months=12, seed=3, n_civilians=300,
                            posterior=posterior, **kw)
        return found.flags

    # the runs of the drawn set's scenario, 24 months from the same seeds
    scenario = profile_at(table, 1, ProfileLinks(complicity_killings=0.4), months=24,
                          n_civilians=300).scenario
    onsets = [[e.onset for e in run_model(scenario,
                                          run_seed(row_seed(3, 7, 2000), i)).violence.episodes]
              for i in range(12)]
    assert flags(warm) == tuple(any(m > 12 for m in o) for o in onsets) != flags(base)
    assert flags(warm, warmup=0) == flags(base)


def small_file(tmp_path, rows: list[dict], name="p.csv"):
    """A predictors file of the profile columns (reference values unless given)."""
    base = {"profile": 7, "year": 2000, **REFERENCE}
    table = pd.DataFrame([{**base, **r} for r in rows])
    path = tmp_path / name
    table.to_csv(path, index=False)
    return path


def test_years_since_an_episode_come_from_the_profiles_earlier_rows(tmp_path):
    path = small_file(tmp_path, [
        {"year": 1990, "mk_ever": 1, "mk_ongoing_count_log2": 1},
        {"year": 1991, "mk_ever": 1, "mk_ongoing_count_log2": 1},
        {"year": 1992, "mk_ever": 1},
        {"year": 1996, "mk_ever": 1},
        {"profile": 8, "year": 1996, "mk_ever": 1},
        {"profile": 9, "year": 2003, "mk_ever": 1},     # the file need not be in year order
        {"profile": 9, "year": 1999, "mk_ever": 1, "mk_ongoing_count_log2": 1},
        {"profile": 9, "year": 1997, "mk_ever": 1, "mk_ongoing_count_log2": 1}])
    assert from_profile(path, 2).history["prior_episode_years_ago"] == 0
    assert from_profile(path, 4).history["prior_episode_years_ago"] == 5
    assert (from_profile(path, 5).history["prior_episode_years_ago"]
            == ProfileLinks().prior_episode_years)      # another profile's rows do not count
    assert from_profile(path, 6).history["prior_episode_years_ago"] == 4   # the latest: 1999


@pytest.mark.skipif(not HISTORY_IN_SCHEMA, reason="the scenario schema has no [history] yet")
def test_the_past_goes_into_the_scenarios_history_section(tmp_path):
    path = small_file(tmp_path, [{"mk_ever": 1, "mk_ongoing_count_log2": 1,
                                  "battledeaths.log2": 10.0, "coup.try.5yr": 1}])
    p = from_profile(path, 1)
    written = p.scenario.model_dump()["history"]
    for key, value in p.history.items():
        assert written.get(key) == value, key


def test_overrides_of_the_history_section_reach_the_scenario_beside_the_past():
    """A posterior's or ``--set``'s history coefficients (e.g. ``history.w_memory``) stay in
    the profile's scenario; the past's own fields keep the row's values (until 2026-12-05 the
    past replaced the whole section and dropped such overrides silently)."""
    row = {**REFERENCE, "mk_ever": 1.0, "coup.try.5yr": 1.0}
    data, _, past = scenario_data(row, 1, 2000, months=2, n_civilians=200, overrides=[
        "history.w_memory=0.9", "history.legacy_arms=0.1", "history.coup_months_ago=5"])
    written = validate(data, "test").history
    assert (written.w_memory, written.legacy_arms) == (0.9, 0.1)
    assert written.coup_months_ago == past["coup_months_ago"] == ProfileLinks().coup_months
    assert written.prior_episode_years_ago == ProfileLinks().prior_episode_years
    # a row without a past or a coup keeps none, whatever an override of those fields says
    data, _, _ = scenario_data(REFERENCE, 1, 2000, months=2, n_civilians=200, overrides=[
        "history.w_memory=0.9", "history.coup_months_ago=5",
        "history.prior_episode_years_ago=5"])
    written = validate(data, "test").history
    assert written.w_memory == 0.9
    assert (written.coup_months_ago, written.prior_episode_years_ago) == (None, None)


# ---- missing values ----------------------------------------------------------------------------
def test_missing_values_take_the_reference_and_are_listed(tmp_path):
    path = small_file(tmp_path, [{"popsize.log2": None, "un_imr_sqrt": None},
                                 {"popsize.log2": REFERENCE["popsize.log2"],
                                  "un_imr_sqrt": REFERENCE["un_imr_sqrt"]}])
    missing, complete = from_profile(path, 1), from_profile(path, 2)
    assert missing.imputed == ("popsize.log2", "un_imr_sqrt") and complete.imputed == ()
    body = missing.scenario.model_dump(exclude={"brief"})
    assert body == complete.scenario.model_dump(exclude={"brief"})
    assert "imputed" in missing.scenario.brief and "popsize.log2" in missing.scenario.brief
    assert "missing: imputed" in missing.toml()


def test_a_missing_civil_liberties_cell_counts_as_equal_liberties(tmp_path):
    """even_civilrights' reference is 1, not 0 as for the other flags: an empty cell must not
    switch its link on."""
    on = ProfileLinks(inclusiveness_uneven_rights=0.3)
    path = small_file(tmp_path, [{"even_civilrights": None}, {"even_civilrights": 0}])
    missing, unequal = from_profile(path, 1, on), from_profile(path, 2, on)
    assert missing.imputed == ("even_civilrights",)
    assert missing.scenario.government.inclusiveness == on.inclusiveness_base
    assert unequal.scenario.government.inclusiveness == pytest.approx(
        on.inclusiveness_base - 0.3)


# ---- bad input ---------------------------------------------------------------------------------
def test_bad_files_rows_and_cells_are_one_clear_error(tmp_path, capsys):
    good = small_file(tmp_path, [{}, {"year": 2001}])
    cases = [
        (["scenarios", "from-profile", str(tmp_path / "nope.csv"), "--row", "1"], "no such file"),
        (["scenarios", "from-profile", str(good), "--row", "3"], "--row 3: no such row"),
        (["scenarios", "from-profile", str(good), "--row", "0"], "no such row"),
    ]
    no_column = tmp_path / "c.csv"
    pd.read_csv(good).drop(columns=["freediscussion"]).to_csv(no_column, index=False)
    cases.append((["scenarios", "from-profile", str(no_column), "--row", "1"],
                  "column freediscussion: missing"))
    bad_cell = small_file(tmp_path, [{"pol_killing_approved": 2}], "b.csv")
    cases.append((["scenarios", "from-profile", str(bad_cell), "--row", "1"],
                  "line 2, column pol_killing_approved: '2' is not 0 or 1"))
    out_of_range = small_file(tmp_path, [{"discrimpop": 1.5}], "r.csv")
    cases.append((["forecast", str(out_of_range), "--out", str(tmp_path / "f.csv")],
                  "line 2, column discrimpop: 1.5 is not a share between 0 and 1"))
    cases.append((["forecast", str(good), "--rows", "2-5", "--out", str(tmp_path / "f.csv")],
                  "--rows 2-5: rows must satisfy"))
    cases.append((["forecast", str(good), "--runs", "0", "--out", str(tmp_path / "f.csv")],
                  "--runs: must be at least 1"))
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err, (argv, err)
        assert "Traceback" not in err
    assert not (tmp_path / "f.csv").exists()


def test_a_bad_file_names_itself_in_the_python_api(tmp_path):
    path = small_file(tmp_path, [{"judicialreform": 1.5}])
    with pytest.raises(InputError, match=r"p\.csv: line 2, column judicialreform"):
        read_profiles(path)


# ---- the command line --------------------------------------------------------------------------
def test_from_profile_writes_a_scenario_that_validates_and_runs(tmp_path, capsys):
    out = tmp_path / "profile.toml"
    assert main(["scenarios", "from-profile", str(SHIPPED), "--row", "5", "--out", str(out),
                 "--civilians", "300"]) == 0
    said = capsys.readouterr().out
    assert "stylized, anonymous" in said and "model's" in said
    text = out.read_text()
    head = text.split("\n\n")[0]
    assert "Stylized, anonymous scenario derived from profile 1, year 2010" in head
    assert "results of runs are the model's" in head
    scenario = load_scenario(out, ["run.months=2"])
    assert scenario.run.n_civilians == 300 and scenario.name == "profile-1-2010"
    model = EscalationModel(scenario, 0).run()
    assert model.steps == 2
    assert main(["scenarios", "validate", str(out)]) == 0


def test_forecast_end_to_end_repeats_bit_for_bit(tmp_path, capsys):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    # rows of a profile with approved killings, discrimination and an ongoing episode, and a
    # seed picked (by trying a few) so that two of their 12 runs have an onset: identical files
    # then mean identical onsets, not all zeros (the onset check guards that, not a value)
    argv = ["forecast", str(SHIPPED), "--rows", "1060-1062", "--runs", "4", "--months", "12",
            "--civilians", "300", "--workers", "1", "--seed", "0", "--no-progress",
            "--posterior", "none"]
    assert main([*argv, "--out", str(first)]) == 0
    assert main([*argv, "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    table = pd.read_csv(first)
    assert list(table.columns[:3]) == ["row", "profile", "year"]
    assert (table.posterior == "none").all()          # no posterior: the file says so
    assert table.row.tolist() == [1060, 1061, 1062] and (table.n_runs == 4).all()
    assert table.onsets.sum() > 0
    assert ((table.p_onset_low <= table.p_onset) & (table.p_onset <= table.p_onset_high)).all()


def test_forecast_json_is_a_small_aggregate_summary(tmp_path, capsys):
    out = tmp_path / "f.csv"
    assert main(["forecast", str(SHIPPED), "--rows", "2-3", "--runs", "2", "--months", "3",
                 "--civilians", "200", "--workers", "1", "--json", "--posterior", "none",
                 "--out", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["forecast"]["rows"] == 2 and report["forecast"]["runs_per_row"] == 2
    assert "uncalibrated" in report["forecast"]["note"] and "model's" in report["caveat"]


def test_a_forecast_says_its_runs_warmed_up(tmp_path, capsys):
    """Under a posterior fitted with a warm-up, the report and the JSON say so."""
    post = tmp_path / "warm.parquet"
    write_posterior(post, ["links.complicity_killings"], np.array([[0.4]]), np.array([1.0]),
                    {"calibration": {"sample": {"warmup": 12}}})
    args = ["forecast", str(SHIPPED), "--rows", "2", "--runs", "2", "--months", "3",
            "--civilians", "200", "--workers", "1", "--posterior", str(post), "--out",
            str(tmp_path / "f.csv")]
    assert main(args) == 0
    assert "runs of 3 months after a 12-month warm-up (not counted)" in capsys.readouterr().out
    assert main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forecast"]["warmup"] == 12


def test_a_rows_numbers_do_not_depend_on_the_other_rows(tmp_path):
    """Seeds come from the seed, the profile and the year: a subset gives the same lines."""
    table = read_profiles(SHIPPED)
    both = forecast(table, 3, months=4, seed=1, n_civilians=200, rows=[2, 3])
    alone = forecast(table, 3, months=4, seed=1, n_civilians=200, rows=[3])
    assert both[1] == alone[0]
    assert row_seed(1, 1, 2007) != row_seed(1, 1, 2008) != row_seed(2, 1, 2008)
    assert forecast_csv(alone).decode().splitlines()[1].startswith("3,1,2008,3,")


@pytest.mark.slow
def test_forecast_on_two_workers_equals_one(tmp_path):
    table = read_profiles(SHIPPED)
    from escalation_sim.runner import local_pool

    pool = local_pool(2)
    try:
        parallel = forecast(table, 30, months=12, seed=3, n_civilians=500,
                            rows=[1060, 1061, 1064], executor=pool, workers=2)
    finally:
        pool.shutdown()
    assert sum(r.onsets for r in parallel) > 0       # (rows with onsets: see above)
    assert parallel == forecast(table, 30, months=12, seed=3, n_civilians=500,
                                rows=[1060, 1061, 1064])


@pytest.mark.slow
def test_no_traceback_from_the_command_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("profile,year\n1,2000\n")
    for argv in (["scenarios", "from-profile", str(bad), "--row", "1"],
                 ["forecast", str(bad), "--out", str(tmp_path / "o.csv")]):
        done = subprocess.run([sys.executable, "-m", "escalation_sim.cli", *argv],
                              capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "missing" in done.stderr


def test_each_template_is_a_copy_of_its_own():
    """``template`` copies the template's data (a forecast changes each copy): changing one copy
    changes neither the next nor the file's data."""
    from escalation_sim.record.profiles import template

    first = template(24, 1000)
    first["run"]["months"] = -1
    first["groups"][0]["name"] = "changed"
    first["groups"].append({})
    second = template(24, 1000)
    assert second["run"]["months"] == 24
    assert second["groups"][0]["name"] != "changed"
    assert len(second["groups"]) == len(first["groups"]) - 1


def test_a_rows_values_are_read_once_and_each_profile_gets_its_own(tmp_path):
    """A table keeps each row as read (a forecast reads a row once per task and builds it
    once per drawn set): a profile whose values are changed changes no later profile of the
    row, which equals the row read afresh, imputations included."""
    path = small_file(tmp_path, [{"popsize.log2": None}])
    table = read_profiles(path)
    first = profile_at(table, 1)
    first.values["popsize.log2"] = -1.0
    first.values["discrimpop"] = -1.0
    again, fresh = profile_at(table, 1), profile_at(read_profiles(path), 1)
    assert again.values == fresh.values and again.values["popsize.log2"] == REFERENCE[
        "popsize.log2"]
    assert again.imputed == fresh.imputed == ("popsize.log2",)
    assert again.scenario == fresh.scenario
    with pytest.raises(ValueError, match="no data row 2"):
        table.row(2)
