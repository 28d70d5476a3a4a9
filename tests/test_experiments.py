"""Experiment files, samplers, sweeps: identity, failures as data, resume, no orphans."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from escalation_sim.errors import InputError
from escalation_sim.experiments import load_experiment, plan, read_runs, read_series, sample, sweep
from escalation_sim.experiments.schema import Experiment

ROOT = Path(__file__).resolve().parent.parent

SMALL = ["run.months=36", "run.n_civilians=1000",
         "events.scheduled=[{kind='election', month=18}]"]


def write_experiment(path: Path, body: str, set_: list[str] = SMALL) -> Path:
    path.write_text(f"set = {json.dumps(set_)}\n" + textwrap.dedent(body))
    return path


TINY = """\
name = "tiny"
scenario = "default"
seed = 3
replications = 2
policies = ["none", "early_pillar2"]
[sampler]
method = "grid"
[[parameters]]
path = "government.inclusiveness"
levels = [0.2, 0.8]
[[parameters]]
path = "groups.B.leader_extremism"
levels = [0.3, 0.9]
[outputs]
series = "every"
every = 6
columns = ["stage", "deaths"]
"""


def comparable(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values("run").reset_index(drop=True)


# ---- samplers ----------------------------------------------------------------------------------
def _exp(method: str, samples: int = 8, seed: int = 0, **extra) -> Experiment:
    return Experiment.model_validate({
        "name": "t", "seed": seed, "sampler": {"method": method, "samples": samples, **extra},
        "parameters": [{"path": "a.x", "range": [0.1, 0.9], "steps": 3},
                       {"path": "a.y", "range": [2.0, 5.0], "steps": 2},
                       {"path": "a.z", "levels": ["p", "q", "r"]}]})


@pytest.mark.parametrize("method,size", [("grid", 3 * 2 * 3), ("latin", 8),
                                          ("sobol", 8 * (3 + 2)), ("morris", 8 * (3 + 1))])
def test_sampler_sizes_bounds_and_determinism(method, size):
    exp = _exp(method)
    d = sample(exp)
    assert len(d) == size and d.x.shape == (size, 3)
    x = np.array([p["a.x"] for p in d.points])
    y = np.array([p["a.y"] for p in d.points])
    assert x.min() >= 0.1 - 1e-12 and x.max() <= 0.9 + 1e-12
    assert y.min() >= 2.0 - 1e-12 and y.max() <= 5.0 + 1e-12
    assert {p["a.z"] for p in d.points} == {"p", "q", "r"}   # every level, and only those
    assert np.array_equal(sample(exp).x, d.x), "same seed, same points"
    if method != "grid":
        assert not np.array_equal(sample(_exp(method, seed=1)).x, d.x), "seed changes points"


def test_sobol_second_order_size_and_grid_levels():
    assert len(sample(_exp("sobol", 4, second_order=True))) == 4 * (2 * 3 + 2)
    grid = sample(_exp("grid"))
    assert sorted({p["a.x"] for p in grid.points}) == pytest.approx([0.1, 0.5, 0.9])


# ---- experiment files --------------------------------------------------------------------------
@pytest.mark.parametrize("body,field,problem", [
    ('name = "x"\nreplication = 3\n', "replication", "unknown key"),
    ('name = "x"\n[[parameters]]\npath = "a.b"\nrange = [1, 0]\n', "parameters.0.range",
     "low must be below high"),
    ('name = "x"\n[[parameters]]\npath = "a.b"\n', "parameters.0", "either levels or range"),
    ('name = "x"\n[outputs]\ncolumns = ["nope"]\n', "outputs.columns", "unknown series"),
    ('name = "x"\npolicies = ["none", "none"]\n', "policies", "listed twice"),
])
def test_bad_experiment_names_field(tmp_path, body, field, problem):
    f = tmp_path / "bad.toml"
    f.write_text(body)
    with pytest.raises(InputError) as e:
        load_experiment(f)
    fields = [fl for fl, _ in e.value.problems]
    assert field in fields, e.value
    assert problem in str(e.value)


def test_unknown_parameter_path_and_policy_are_input_errors(tmp_path):
    f = write_experiment(tmp_path / "e.toml", 'name = "x"\n[[parameters]]\n'
                         'path = "government.inclusivenes"\nlevels = [0.1]\n')
    with pytest.raises(InputError) as e:
        plan(f)
    assert e.value.problems[0][0] == "parameters.0.path" and "inclusiveness" in str(e.value)
    g = write_experiment(tmp_path / "g.toml", 'name = "x"\npolicies = ["nope"]\n')
    with pytest.raises(InputError, match="unknown policy"):
        plan(g)


def test_cli_bad_experiment_exits_2_without_traceback(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text('name = "x"\nreplications = 0\n')
    r = subprocess.run([sys.executable, "-m", "escalation_sim.cli", "sweep", str(f), "--out",
                        str(tmp_path / "o")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "replications" in r.stderr and str(f) in r.stderr


def test_shipped_experiments_validate():
    # calibration*.toml are calibration files, not sweeps (tests/test_calibrate.py checks them)
    names = sorted(p.name for p in (ROOT / "experiments").glob("*.toml")
                   if not p.name.startswith("calibration"))
    assert "quick.toml" in names
    for name in names:
        load_experiment(ROOT / "experiments" / name)


# ---- sweeps ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_sweep_identity_pairs_policies_and_matches_the_ensemble_seeds(tmp_path):
    f = write_experiment(tmp_path / "e.toml", TINY)
    res = sweep(f, tmp_path / "out", workers=1)
    assert (res.total, res.done, res.failed) == (16, 16, 0)
    df = read_runs(tmp_path / "out")
    assert list(df["run"]) == list(range(16))
    # common random numbers: both policies of a (point, replication) share the seed
    assert (df.groupby(["point", "replication"])["seed"].nunique() == 1).all()
    from escalation_sim.rng import run_seed
    assert df.loc[df.run == 2 * 2 + 0, "seed"].item() == run_seed(3, 1 * 2 + 0)
    series = read_series(tmp_path / "out")
    assert set(series["month"]) == {0, 6, 12, 18, 24, 30, 36}
    assert len(series) == 16 * 7
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert m["status"] == "complete" and m["done"] == 16 and m["total_runs"] == 16


@pytest.mark.slow
def test_sweep_refuses_an_existing_result_without_resume(tmp_path):
    f = write_experiment(tmp_path / "e.toml", TINY.replace("replications = 2",
                                                           "replications = 1"))
    sweep(f, tmp_path / "out", workers=1)
    with pytest.raises(InputError, match="--resume"):
        sweep(f, tmp_path / "out", workers=1)
    before = read_runs(tmp_path / "out")
    again = sweep(f, tmp_path / "out", workers=1, resume=True)
    assert again.ran == 0
    pd.testing.assert_frame_equal(read_runs(tmp_path / "out"), before)


@pytest.mark.slow
def test_failing_combination_is_recorded_and_the_rest_complete(tmp_path):
    body = TINY.replace("levels = [0.2, 0.8]", "levels = [0.2, 1.7]")  # 1.7 is out of [0, 1]
    f = write_experiment(tmp_path / "e.toml", body)
    res = sweep(f, tmp_path / "out", workers=2, batch=3)
    df = read_runs(tmp_path / "out")
    bad = df[df["government.inclusiveness"] == 1.7]
    good = df[df["government.inclusiveness"] == 0.2]
    assert res.failed == len(bad) == 8 and (bad.status == "failed").all()
    assert bad.error.str.contains("government.inclusiveness").all()
    assert (good.status == "ok").all() and good.highest_stage.notna().all()
    assert len(df) == 16


@pytest.mark.slow
def test_stop_condition_ends_runs_early(tmp_path):
    body = TINY + "stop_at_stage = 2\n"
    f = write_experiment(tmp_path / "e.toml", body)
    sweep(f, tmp_path / "out", workers=1)
    df = read_runs(tmp_path / "out")
    reached = df[df.highest_stage >= 2]
    assert len(reached) > 0, "the test needs runs that reach stage 2"
    assert (reached.months == reached.first_month_at_stage_2).all()
    assert (df[df.highest_stage < 2].months == 36).all()


@pytest.mark.slow
def test_time_limit_fails_the_run_with_a_clear_error(tmp_path):
    f = write_experiment(tmp_path / "e.toml", TINY.replace("replications = 2",
                                                           "replications = 1")
                         + "time_limit = 0.000001\n")
    res = sweep(f, tmp_path / "out", workers=1)
    df = read_runs(tmp_path / "out")
    assert res.failed == len(df) == 8
    assert df.error.str.startswith("TimeoutError: time limit of 1e-06 s per run exceeded").all()


# ---- SIGKILL: resume exactly once, no orphaned workers -----------------------------------------
KILL_SCRIPT = """
import sys
from escalation_sim.experiments import sweep
sweep(sys.argv[1], sys.argv[2], workers=2, batch=1, chunk_rows=2, resume=len(sys.argv) > 3)
"""


def sigkill_leaves_no_orphans(proc: subprocess.Popen) -> None:
    """SIGKILL ``proc`` (running a pool) and check that every process it started (the fork
    server, the workers) exits within a few seconds."""
    import psutil

    workers = [c.pid for c in psutil.Process(proc.pid).children(recursive=True)]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert workers, "the process ran on worker processes"
    gone_by = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < gone_by:
        alive = [p for p in workers if psutil.pid_exists(p)
                 and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.1)
    assert not alive, f"orphaned worker processes {alive}"


@pytest.mark.slow
def test_sigkill_then_resume_gives_every_run_exactly_once(tmp_path):
    body = TINY.replace("replications = 2", "replications = 5")   # 40 runs
    f = write_experiment(tmp_path / "e.toml", body)
    reference = sweep(f, tmp_path / "ref", workers=1)
    assert reference.done == 40
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(f), str(out)], cwd=ROOT)
    runs = out / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:   # wait until some, not all, runs are on disk
        if runs.is_dir() and len(list(runs.glob("chunk-*.parquet"))) >= 3:
            break
        time.sleep(0.05)
    sigkill_leaves_no_orphans(proc)
    partial = read_runs(out)
    assert 0 < len(partial) < 40, "the kill must land mid-sweep"
    # resume (in a subprocess too, like a user would) and compare with the uninterrupted sweep
    subprocess.run([sys.executable, "-c", KILL_SCRIPT, str(f), str(out), "resume"], cwd=ROOT,
                   check=True)
    resumed = read_runs(out)
    assert resumed["run"].is_unique and sorted(resumed["run"]) == list(range(40))
    pd.testing.assert_frame_equal(comparable(resumed), comparable(read_runs(tmp_path / "ref")))
    s1, s2 = read_series(out), read_series(tmp_path / "ref")
    pd.testing.assert_frame_equal(s1, s2)
    assert not list(out.rglob("*.tmp"))


@pytest.mark.slow
def test_torn_tmp_and_orphan_series_chunk_are_cleaned_on_resume(tmp_path):
    f = write_experiment(tmp_path / "e.toml", TINY)
    sweep(f, tmp_path / "ref", workers=1)
    out = tmp_path / "out"
    sweep(f, out, workers=1, chunk_rows=4)
    chunks = sorted((out / "runs").glob("chunk-*.parquet"))
    assert len(chunks) == 4
    chunks[-1].unlink()                               # killed between the series and runs write
    (out / "runs" / "chunk-000009.parquet.tmp").write_bytes(b"PAR1 torn")   # killed mid-write
    res = sweep(f, out, workers=1, resume=True)
    assert res.ran == 4
    pd.testing.assert_frame_equal(comparable(read_runs(out)),
                                  comparable(read_runs(tmp_path / "ref")))
    pd.testing.assert_frame_equal(read_series(out), read_series(tmp_path / "ref"))


@pytest.mark.slow
def test_scenarios_as_a_factor_skip_missing_ones_clearly(tmp_path):
    body = ('name = "lib"\nscenarios = ["default", "resilient", "no_such_scenario"]\n'
            'missing_scenarios = "skip"\nreplications = 2\npolicies = ["none", "early_pillar2"]\n')
    f = write_experiment(tmp_path / "e.toml", body)
    res = sweep(f, tmp_path / "out", workers=1)
    assert res.skipped_scenarios == ["no_such_scenario"]
    df = read_runs(tmp_path / "out")
    assert len(df) == 2 * 2 * 2 and set(df.scenario) == {"default", "resilient"}
    # common random numbers across policies
    assert (df.groupby(["point", "replication"])["seed"].nunique() == 1).all()
    strict = write_experiment(tmp_path / "s.toml", body.replace('"skip"', '"error"'))
    with pytest.raises(InputError) as e:
        plan(strict)
    assert e.value.problems[0][0] == "scenarios.2" and "no such scenario" in str(e.value)


def test_cli_sweep_and_analyze(tmp_path, capsys):
    from escalation_sim.cli import main

    f = write_experiment(tmp_path / "e.toml", TINY.replace("levels = [0.2, 0.8]",
                                                           "levels = [0.2, 1.7]"))
    out = tmp_path / "o"
    assert main(["sweep", str(f), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "16/16 runs done" in text and "8 failed" in text and "not a forecast" in text
    assert "government.inclusiveness" in text   # the failures are listed with their error
    assert main(["sweep", str(f), "--out", str(out), "--workers", "1"]) == 2   # no --resume
    assert "--resume" in capsys.readouterr().err
    assert main(["analyze", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["failed"] == 8 and report["runs"] == 16
    assert main(["analyze", str(tmp_path / "nothing")]) == 2


def test_levels_are_one_type_per_parameter():
    exp = Experiment.model_validate({"name": "t", "parameters": [{"path": "a.b",
                                                                   "levels": [0, 0.5]}]})
    assert [type(v) for v in exp.parameters[0].levels] == [float, float]
    with pytest.raises(ValueError, match="one type"):
        Experiment.model_validate({"name": "t", "parameters": [{"path": "a.b",
                                                                 "levels": [1, "x"]}]})
    grid = sample(Experiment.model_validate({"name": "t", "parameters": [
        {"path": "a.n", "range": [1, 4], "steps": 4, "integer": True}]}))
    assert [p["a.n"] for p in grid.points] == [1, 2, 3, 4]


@pytest.mark.slow
def test_batches_shrink_towards_the_end_of_a_sweep():
    from escalation_sim.experiments.sweep import _batches

    sizes = [len(b) for b in _batches(range(1000), 16, total=1000, spread=12)]
    assert sum(sizes) == 1000 and max(sizes) == 16
    assert sizes == sorted(sizes, reverse=True)          # never grows again
    assert sizes[-12:] == [1] * 12                       # the last dozen runs go one by one
    # without a total (or in-process) every batch but the last is full
    assert [len(b) for b in _batches(range(40), 16)] == [16, 16, 8]
    assert [r for b in _batches(range(1000), 16, 1000, 12) for r in b] == list(range(1000))


# ---- limits before work ------------------------------------------------------------------------
@pytest.mark.parametrize("body,field,number", [
    (TINY.replace("replications = 2", "replications = 1000000000000"), "replications",
     "8,000,000,000,000 runs"),
    ('name = "x"\n[sampler]\nmethod = "latin"\nsamples = 100000000\n[[parameters]]\n'
     'path = "government.inclusiveness"\nrange = [0.1, 0.9]\n', "sampler.samples",
     "100,000,000 points"),
    ('name = "x"\n[[parameters]]\npath = "government.inclusiveness"\nrange = [0.1, 0.9]\n'
     'steps = 1000000000000\n', "parameters", "1,000,000,000,000 points"),
])
def test_absurd_sizes_are_refused_before_sampling(tmp_path, body, field, number):
    f = write_experiment(tmp_path / "e.toml", body)
    t = time.monotonic()
    with pytest.raises(InputError) as e:
        plan(f)
    assert time.monotonic() - t < 5, "refused before any sampling"
    assert e.value.problems[0][0] == field
    assert number in str(e.value) and "limit of 1,000,000" in str(e.value)
    assert "--allow-large" in str(e.value)


def test_allow_large_lifts_the_limits(tmp_path, monkeypatch):
    from escalation_sim.experiments import planning

    monkeypatch.setattr(planning, "MAX_RUNS", 10)
    f = write_experiment(tmp_path / "e.toml", TINY)     # 16 runs
    with pytest.raises(InputError, match="16 runs"):
        plan(f)
    assert plan(f, allow_large=True).total == 16


def _tight_memory(monkeypatch, scenario) -> None:
    """Memory for one model of ``scenario`` (at 1.5 x its estimate), not for two."""
    from escalation_sim import scenario as scenario_module

    have = scenario_module.peak_bytes(scenario) * 1.5 / scenario_module.MEMORY_SHARE
    monkeypatch.setattr(scenario_module, "available_memory", lambda: int(have))


def test_memory_is_checked_for_one_model_per_worker(tmp_path, monkeypatch, capsys):
    from escalation_sim.cli import main
    from escalation_sim.scenario import load_scenario

    big = ["run.n_civilians=200000", "network.degree=16"]
    _tight_memory(monkeypatch, load_scenario("default", big))
    sets = [a for s in big for a in ("--set", s)]
    for command in ("ensemble", "compare"):
        assert main([command, *sets, "--runs", "4", "--workers", "2", "--no-progress",
                     "--out", str(tmp_path / command)]) == 2
        err = capsys.readouterr().err
        assert "2 models at once (one per worker)" in err and "--workers" in err
    f = write_experiment(tmp_path / "e.toml", 'name = "x"\nreplications = 4\n', set_=big)
    with pytest.raises(InputError, match="2 models at once"):
        sweep(f, tmp_path / "s", workers=2)
    assert not (tmp_path / "s" / "manifest.json").exists()


# ---- one writer, atomic files, --out checked first ----------------------------------------------
def test_a_locked_directory_is_refused_and_its_tmp_files_kept(tmp_path):
    from escalation_sim.experiments.store import DirectoryLock

    f = write_experiment(tmp_path / "e.toml", TINY.replace("replications = 2",
                                                           "replications = 1"))
    out = tmp_path / "out"
    sweep(f, out, workers=1)
    torn = out / "runs" / ".chunk-000005.parquet.12345.tmp"   # another writer's, mid-write
    torn.write_bytes(b"PAR1")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path\n"
        "from escalation_sim.experiments.store import DirectoryLock\n"
        "DirectoryLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); "
        "time.sleep(60)"), str(out)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(InputError, match=f"another sweep is writing.*process {holder.pid}"):
            sweep(f, out, workers=1, resume=True)
        assert torn.exists(), "a refused writer deletes nothing"
    finally:
        holder.kill()
        holder.wait()
    with DirectoryLock(out):      # released by the OS when its holder died
        pass
    assert sweep(f, out, workers=1, resume=True).ran == 0
    assert not torn.exists(), "the lock's holder cleans torn writes of dead writers"


def test_write_atomic_leaves_the_old_file_or_the_new_one():
    import tempfile

    from escalation_sim.files import write_atomic
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "f.csv"
        path.write_text("old")

        def broken(tmp: Path) -> None:
            tmp.write_text("half")
            raise OSError(28, "No space left on device")

        with pytest.raises(OSError):
            write_atomic(path, broken)
        assert path.read_text() == "old" and os.listdir(d) == ["f.csv"]
        write_atomic(path, lambda tmp: tmp.write_text("new"))
        assert path.read_text() == "new" and os.listdir(d) == ["f.csv"]


def test_ensemble_checks_out_before_the_first_run(monkeypatch, capsys):
    from escalation_sim import cli

    def no_runs(*args, **kw):
        raise AssertionError("ran before checking --out")

    monkeypatch.setattr(cli, "run_ensemble", no_runs)
    for command in ("ensemble", "compare"):
        # /proc/self exists but takes no new file, even for root
        assert cli.main([command, "--runs", "2", "--out", "/proc/self", "--no-progress"]) == 2
        assert "cannot write in directory" in capsys.readouterr().err


def test_a_failed_final_write_saves_the_outcomes_elsewhere(tmp_path, monkeypatch, capsys):
    import tempfile

    from escalation_sim import cli

    def disk_full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli, "write_bytes_atomic", disk_full)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "safe"))
    (tmp_path / "safe").mkdir()
    args = [*(a for s in SMALL for a in ("--set", s)), "--runs", "3",
            "--workers", "1", "--no-progress", "--out"]
    assert cli.main(["ensemble", *args, str(tmp_path / "e")]) == 2
    assert cli.main(["compare", *args, str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    saved = sorted((tmp_path / "safe").glob("escalation-sim-outcomes-*.csv"))
    assert len(saved) == 2 and all(str(p) in err for p in saved)
    rows = sorted(len(p.read_text().splitlines()) for p in saved)
    assert rows == [1 + 3, 1 + 2 * 3]      # header + every run (compare: two policies)


def test_a_batch_lost_on_the_executor_is_recorded_as_failed_runs(tmp_path):
    """A task that fails as a whole (Dask's KilledWorker after its own retries) fails its runs,
    with the cause; the other batches complete."""
    from concurrent.futures import Executor, Future


    class Unlucky(Executor):
        def submit(self, fn, /, *args, **kwargs):
            f = Future()
            if any(s.run == 3 for s in args[0]):
                f.set_exception(RuntimeError("KilledWorker: tried 3 times"))
            else:
                f.set_result(fn(*args, **kwargs))
            return f

    f = write_experiment(tmp_path / "e.toml", TINY)
    res = sweep(f, tmp_path / "out", executor=Unlucky(), workers=2, batch=2)
    df = read_runs(tmp_path / "out")
    lost = df[df.status == "failed"]
    assert res.done == 16 and 3 in set(lost.run) and res.failed == len(lost) <= 2
    assert lost.error.str.startswith("WorkerLost: the executor lost this run's batch: "
                                     "RuntimeError: KilledWorker: tried 3 times").all()


def test_a_directory_of_another_result_format_is_refused_in_one_line(tmp_path):
    """Chunks written before the onset columns existed would read as another experiment's: the
    manifest's format says so first."""
    from escalation_sim.errors import InputError
    from escalation_sim.experiments.manifest import FORMAT, MANIFEST, read_manifest

    (tmp_path / MANIFEST).write_text(json.dumps({"format": 1, "experiment": {"name": "x"}}))
    with pytest.raises(InputError) as e:
        read_manifest(tmp_path)
    assert e.value.problems == [("format", "written by another version of escalation-sim "
                                 f"(result format 1; this version reads 4 and {FORMAT}): run "
                                 "the sweep again into a new --out")]


# ---- a posterior: each replication draws a parameter set ---------------------------------------
POSTERIOR_TINY = """\
name = "posterior"
scenario = "default"
seed = 3
replications = 3
policies = ["none", "early_pillar2"]
posterior = "p.parquet"
[sampler]
method = "grid"
[[parameters]]
path = "government.inclusiveness"
levels = [0.2, 0.8]
"""


def _write_posterior(path: Path) -> Path:
    from escalation_sim.record.posterior import write_posterior

    write_posterior(path, ["violence.state_orders"], np.array([[0.0], [0.4], [1.0]]),
                    np.array([0.3, 0.3, 0.4]), {"note": "test"})
    return path


@pytest.mark.slow
def test_a_sweep_with_a_posterior_draws_per_replication_and_repeats_on_two_workers(tmp_path):
    """12 runs of 36 months: replication r draws the set ensemble --seed 3 --posterior draws
    for run r, at both points and under both policies, and the table is the same on 1 and 2
    workers; the manifest names the posterior file."""
    from escalation_sim.record.posterior import draws, read_posterior

    _write_posterior(tmp_path / "p.parquet")
    f = write_experiment(tmp_path / "e.toml", POSTERIOR_TINY)
    sweep(f, tmp_path / "one", workers=1)
    sweep(f, tmp_path / "two", workers=2, batch=1)
    one, two = read_runs(tmp_path / "one"), read_runs(tmp_path / "two")
    pd.testing.assert_frame_equal(one, two)
    assert (one.status == "ok").all()
    expected = [j + 1 for j in draws(read_posterior(tmp_path / "p.parquet"), 3, 3)]
    assert list(one.groupby("replication")["posterior_row"].unique().map(list)) == [
        [r] for r in expected]
    m = json.loads((tmp_path / "one" / "manifest.json").read_text())
    assert m["format"] == 5 and m["posterior"]["file"] == str(tmp_path / "p.parquet")
    assert m["posterior"]["parameters"] == ["violence.state_orders"]
    assert m["posterior"]["rows_by_replication"] == expected
    _write_posterior(tmp_path / "p.parquet")   # the same bytes: resume is fine
    assert sweep(f, tmp_path / "one", workers=1, resume=True).ran == 0
    from escalation_sim.record.posterior import write_posterior

    write_posterior(tmp_path / "p.parquet", ["violence.state_orders"], np.array([[0.5]]),
                    np.array([1.0]), {})
    with pytest.raises(InputError, match="posterior file differs"):
        sweep(f, tmp_path / "one", workers=1, resume=True)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda b: b.replace('path = "government.inclusiveness"', 'path = "violence.state_orders"'),
     "parameters.0.path", "violence.state_orders is set by the posterior"),
    (lambda b: b.replace('path = "government.inclusiveness"', 'path = "violence"')
     .replace("levels = [0.2, 0.8]", 'levels = ["x"]'),
     "parameters.0.path", "violence is set by the posterior"),
    (lambda b: 'set = ["violence.state_orders=0.3"]\n' + b, "set",
     "violence.state_orders: set by the posterior"),
])
def test_a_sweep_that_varies_or_sets_a_fitted_parameter_is_refused(tmp_path, capsys, change,
                                                                   field, words):
    from escalation_sim.cli import main

    _write_posterior(tmp_path / "p.parquet")
    f = tmp_path / "e.toml"
    f.write_text(change(POSTERIOR_TINY))
    with pytest.raises(InputError) as e:
        plan(f)
    assert [p[0] for p in e.value.problems] == [field]
    assert words in e.value.problems[0][1] and str(tmp_path / "p.parquet") in \
        e.value.problems[0][1]
    assert main(["sweep", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"{f}: {field}: "), err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_sweep_posterior_of_links_only_or_missing_is_refused(tmp_path):
    from escalation_sim.record.posterior import write_posterior

    f = tmp_path / "e.toml"
    f.write_text(POSTERIOR_TINY)
    with pytest.raises(InputError, match="no such posterior file"):
        plan(f)
    write_posterior(tmp_path / "p.parquet", ["links.complicity_killings"], np.array([[0.5]]),
                    np.array([1.0]), {})
    with pytest.raises(InputError) as e:
        plan(f)
    assert e.value.problems[0][0] == "posterior" and "act on profiles" in e.value.problems[0][1]


def test_a_sweep_can_name_the_shipped_posterior_or_none(tmp_path, monkeypatch):
    """posterior = "shipped": the fitted posterior of calibration/, called so in the manifest
    (no path of the machine); "none": no posterior; "shipped" with none installed: one problem
    naming the experiment file and the field."""
    import escalation_sim.record.posterior as posterior_module
    from escalation_sim.experiments.manifest import _posterior

    f = tmp_path / "e.toml"
    f.write_text(POSTERIOR_TINY.replace('"p.parquet"', '"shipped"'))
    p = plan(f)
    assert p.posterior.source == posterior_module.SHIPPED_SOURCE
    assert _posterior(p)["file"] == posterior_module.SHIPPED_SOURCE
    assert len(_posterior(p)["sha256"]) == 64
    f.write_text(POSTERIOR_TINY.replace('"p.parquet"', '"none"'))
    assert plan(f).posterior is None
    monkeypatch.setattr(posterior_module, "SHIPPED_FILES", (tmp_path / "none.parquet",))
    f.write_text(POSTERIOR_TINY.replace('"p.parquet"', '"shipped"'))
    with pytest.raises(InputError) as e:
        plan(f)
    assert e.value.source == str(f) and e.value.problems[0][0] == "posterior", e.value
    assert 'posterior = "none"' in e.value.problems[0][1]


def test_a_sweep_without_a_posterior_keeps_the_columns_of_format_4(tmp_path):
    """Format 5 adds posterior_row only to sweeps with a posterior, so format 4 directories
    read as they are."""
    from escalation_sim.experiments.manifest import READS
    from escalation_sim.experiments.store import run_schema

    p = plan(write_experiment(tmp_path / "e.toml", TINY))
    assert p.posterior is None and {s.drawn for s in p.runs()} == {None}
    assert "posterior_row" not in run_schema(p.design.points[0]).names
    assert 4 in READS
