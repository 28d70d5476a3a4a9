import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from escalation_sim.errors import InputError
from escalation_sim.scenario import apply_override, available, load_scenario


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def problems(path, overrides=()):
    with pytest.raises(InputError) as e:
        load_scenario(path, overrides)
    return e.value


def test_shipped_scenarios_load_and_say_they_are_stylized():
    assert {"default", "resilient"} <= set(available())
    for name in available():
        s = load_scenario(name)
        assert "stylized" in s.brief.lower() and "not a model of any real country" in s.brief
        assert s.sources


def test_resilient_extends_default_with_stronger_brakes():
    d, r = load_scenario("default"), load_scenario("resilient")
    assert r.groups == d.groups and r.armed_groups == d.armed_groups
    for brake in ("judiciary", "media", "electoral_body", "local_peace"):
        assert getattr(r.institutions, brake).capacity > getattr(d.institutions, brake).capacity


def test_unknown_key_named_with_suggestion(tmp_path):
    p = write(tmp_path, 'extends = "default"\n[institutions.security_sector]\n'
                        'profesionalism = 0.3\n')
    e = problems(p)
    assert str(p) in str(e)
    assert ("institutions.security_sector.profesionalism",
            "unknown key 'profesionalism'; did you mean 'professionalism'?") in e.problems


def test_wrong_type_and_out_of_range(tmp_path):
    p = write(tmp_path, 'extends = "default"\n[run]\nmonths = "ten"\n[government]\n'
                        'political_will = 1.5\n')
    fields = dict(problems(p).problems)
    assert "run.months" in fields and "'ten'" in fields["run.months"]
    assert "less than or equal to 1" in fields["government.political_will"]


def test_toml_syntax_error_has_line_and_column(tmp_path):
    p = write(tmp_path, 'name = "x"\n[run\nmonths = 3\n')
    msg = str(problems(p))
    assert "TOML syntax error" in msg and "line 2" in msg and "column" in msg


def test_missing_section_and_inconsistent_reference(tmp_path):
    p = write(tmp_path, '[[groups]]\nname = "A"\nshare = 1.0\n[[groups]]\nname="B"\nshare=0.1\n')
    fields = dict(problems(p).problems)
    assert fields["government"] == "required field is missing"
    p = write(tmp_path, 'extends = "default"\n[government]\nruling_group = "Z"\n')
    e = problems(p)
    assert any(f == "government.ruling_group" and "unknown group 'Z'" in m
               for f, m in e.problems)


def test_inheritance_cycle_refused(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n', "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    e = problems(tmp_path / "a.toml")
    assert e.problems[0][0] == "extends" and "cycle" in e.problems[0][1]


def test_absurd_population_refused_before_allocation():
    e = problems("default", ["run.n_civilians=10000000000"])
    assert e.problems[0][0] == "run.n_civilians"


def test_set_overrides_by_dotted_path_index_and_name():
    s = load_scenario("default", ["institutions.security_sector.professionalism=0.9",
                                  "groups.B.leader_extremism=0.7", "armed_groups.0.lethality=0",
                                  "name=\"variant\""])
    assert s.institutions.security_sector.professionalism == 0.9
    assert s.groups[1].leader_extremism == 0.7
    assert s.armed_groups[0].lethality == 0
    assert s.name == "variant"


def test_bad_override_named():
    data = {"groups": [{"name": "A"}]}
    with pytest.raises(InputError, match="no item 'Q'"):
        apply_override(data, "groups.Q.share=1")
    with pytest.raises(InputError, match="PATH=VALUE"):
        apply_override(data, "groups")


def test_scenario_is_frozen(default):
    with pytest.raises(Exception, match="frozen"):
        default.run.months = 3


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "escalation_sim.cli", *args],
                          capture_output=True, text=True)


@pytest.mark.slow
def test_cli_validate_reports_clearly_with_exit_2_and_no_traceback(tmp_path):
    good = run_cli("scenarios", "validate", "default", "resilient")
    assert good.returncode == 0, good.stderr
    p = write(tmp_path, 'extends = "default"\n[run]\nmonthz = 5\n')
    bad = run_cli("scenarios", "validate", str(p))
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert f"{p}: run.monthz: unknown key 'monthz'; did you mean 'months'?" in bad.stderr
    r = run_cli("run", "--set", "government.complicity=abc", "--out", str(tmp_path))
    assert r.returncode == 2 and "government.complicity" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("run", "nonexistent_scenario")
    assert r.returncode == 2 and "no such scenario" in r.stderr


def test_duplicate_sponsor_names_refused():
    e = problems("state_perpetrator", ['international.sponsors=[{name="p", backs="militia"}, '
                                       '{name="p", backs="rebels"}]'])
    assert e.problems[0][0] == "international.sponsors" and "unique" in e.problems[0][1]


def test_unknown_key_inside_a_named_policy_gets_a_suggestion(tmp_path):
    p = write(tmp_path, 'extends = "default"\n[policies.mine]\ninterventions = '
                        '[{ kind = "peer_review", intensty = 2 }]\n')
    assert ("policies.mine.interventions.0.intensty",
            "unknown key 'intensty'; did you mean 'intensity'?") in problems(p).problems


def test_unknown_intervention_kind_names_the_kind_field(tmp_path):
    p = write(tmp_path, 'extends = "default"\n[policies.mine]\ninterventions = '
                        '[{ kind = "peer_reviw" }]\n')
    field, problem = problems(p).problems[0]
    assert field == "policies.mine.interventions.0.kind" and "did you mean 'peer_review'" in problem


def test_syntax_error_at_end_of_document_still_has_line_and_column(tmp_path):
    p = write(tmp_path, 'name = "x"\na = [1, 2\n')
    assert "line 3, column 1" in str(problems(p))


def test_parameters_credit_an_override_by_list_index_or_name_to_the_set_layer():
    from escalation_sim.scenario import parameters, read_chain, resolve

    s = load_scenario("default", ["armed_groups.0.lethality=0.02", "groups.B.share=0.3"])
    layer: dict = {}
    for assignment in ("armed_groups.0.lethality=0.02", "groups.B.share=0.3"):
        apply_override(layer, assignment)
    rows = {r["path"]: r["set_in"] for r in parameters(
        s, [*read_chain(resolve("default")), (Path("--set"), layer)])}
    assert rows["armed_groups.militia.lethality"] == "--set"
    assert rows["groups.B.share"] == "--set"
    assert rows["armed_groups.rebels.lethality"] == "default.toml"


def test_a_v1_dynamics_section_says_where_each_key_moved(tmp_path):
    f = tmp_path / "old.toml"
    f.write_text('extends = "default"\n[dynamics]\nflee_fear = 0.2\nleader_rate = 0.1\n')
    with pytest.raises(InputError) as e:
        load_scenario(str(f))
    assert ("split by mechanism" in str(e.value) and "flee_fear is now violence.flee_fear" in
            str(e.value) and "leader_rate is now information.leader_rate" in str(e.value))
    moved = load_scenario("default", ["violence.flee_fear=0.2"])
    assert moved.violence.flee_fear == 0.2


# ---- no recursion on input depth (issue 15, item 7) --------------------------------------------

def cli(*args: str) -> tuple[int, str]:
    """The command line in this process (main() catches what it reports): exit code, stderr."""
    from escalation_sim.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(list(args))
    return code, err.getvalue()


def test_a_long_extends_chain_is_one_line_not_a_recursion_error(tmp_path):
    """1,100 files extending one another (a RecursionError traceback before); a chain of
    MAX_EXTENDS files still loads."""
    from escalation_sim.scenario import MAX_EXTENDS

    n = 1100
    for i in range(n):
        write(tmp_path, f'extends = "c{i + 1}.toml"\n' if i < n - 1 else 'extends = "default"\n',
              f"c{i}.toml")
    code, err = cli("scenarios", "validate", str(tmp_path / "c0.toml"))
    assert code == 2 and err.strip().splitlines() == [
        f"{tmp_path / 'c0.toml'}: extends: more than {MAX_EXTENDS} files extend one another "
        f"(c0.toml -> c1.toml -> ... -> c{MAX_EXTENDS}.toml -> ...); at most {MAX_EXTENDS}"]
    assert load_scenario(tmp_path / f"c{n - MAX_EXTENDS + 1}.toml").name == "default"


def test_deep_nesting_is_one_line_in_files_overrides_and_experiments(tmp_path):
    """A 5,000-deep nested array in a 10 KB file (a RecursionError traceback before)."""
    deep = "[" * 5000 + "]" * 5000
    p = write(tmp_path, f"x = {deep}\n")
    assert p.stat().st_size < 10_100
    for args in (("scenarios", "validate", str(p)),
                 ("run", "--set", f"run.months={deep}", "--out", str(tmp_path / "o")),
                 ("run", "--set", f"run.months={'[' * 40}{']' * 40}", "--out", str(tmp_path)),
                 ("sweep", str(write(tmp_path, f'name = "x"\nset = {deep}\n', "e.toml")),
                  "--out", str(tmp_path / "o"))):
        code, err = cli(*args)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert "nested too deeply (more than 32 levels of tables and arrays)" in err
    q = write(tmp_path, 'extends = "default"\n[policies.mine]\ninterventions = '
                        '[{ kind = "peer_review" }]\n', "ok.toml")   # 5 levels: fine
    assert "mine" in load_scenario(q).policies
