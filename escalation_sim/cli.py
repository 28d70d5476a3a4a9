"""The ``escalation-sim`` command line.

Bad input (a scenario file, a ``--set`` override, an option) prints one line per problem naming
the file, the field and the problem, and exits with code 2 — never a traceback. SIGTERM (sent by
``timeout``, Slurm, ``docker stop``) is handled like Ctrl-C: what is computed is flushed and the
command exits with one line (code 143; 130 for Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import shlex
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import InputError
from .files import write_bytes_atomic
from .outcomes import CAVEAT, ROW_COLUMNS, RunOutcome, format_table, share_text, summarize
from .record import commands as record_commands
from .runner import WorkerLost, default_workers, run_ensemble
from .scenario import available, check_memory, load_scenario
from .stages import Stage


class UsageError(Exception):
    """A command-line usage problem (exit code 2)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt so that the same cleanup runs."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {value}")
    return value


def _at_least(minimum: int, **options: int | None) -> None:
    """Refuse (exit 2) any given count option below ``minimum``: ``_at_least(1, workers=...)``."""
    for name, value in options.items():
        if value is not None and value < minimum:
            raise UsageError(f"--{name}: must be at least {minimum}, got {value}")


def _output_dir(path: Path) -> Path:
    """Create the output directory and check that a file can be written in it, before any work,
    so a bad path fails first (exit 2)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UsageError(f"--out: cannot create directory {str(path)!r}: {e.strerror}") from None
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise UsageError(f"--out: cannot write in directory {str(path)!r}: {e.strerror}"
                         ) from None
    return path


def _save(path: Path, data: bytes, what: str) -> Path:
    """Write ``data`` to ``path`` atomically; if that fails, to a file in the system's temporary
    directory instead, saying so on stderr, so that nothing computed is lost."""
    try:
        write_bytes_atomic(path, data)
        return path
    except OSError as e:
        fd, safe = tempfile.mkstemp(prefix=f"escalation-sim-{path.stem}-", suffix=path.suffix)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        print(f"escalation-sim: cannot write {path} ({e.strerror or e}); the {what} were "
              f"written to {safe} instead", file=sys.stderr)
        return Path(safe)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="escalation-sim",
        description="Agent-based simulation of escalation towards atrocity crimes and of what "
                    "stops it. " + CAVEAT)
    p.add_argument("--version", action="version", version=f"escalation-sim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def common(sp: argparse.ArgumentParser, out: str) -> None:
        sp.add_argument("scenario", nargs="?", default="default",
                        help="scenario name (see 'scenarios list') or path to a TOML file "
                             "(default: %(default)s)")
        sp.add_argument("--seed", type=_seed, default=0,
                        help="seed, a non-negative integer (default: %(default)s)")
        sp.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="PATH=VALUE",
                        help="override a scenario field by dotted path, e.g. "
                             "institutions.security_sector.professionalism=0.3 (repeatable)")
        sp.add_argument("--out", type=Path, default=Path(out),
                        help="output directory (default: %(default)s)")
        sp.add_argument("--json", action="store_true",
                        help="print the summary as JSON (field names in the README)")

    def posterior_option(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--posterior", default="none", metavar="FILE|shipped|none",
                        help="a posterior file (posterior.parquet of `calibrate`), or shipped "
                             "(the fitted one of calibration/): each run draws one parameter "
                             "set by weight, seeded by the run (the same under every policy), "
                             "and takes its scenario coefficients (links.* apply to profiles "
                             "only); none (default): the scenario as it is")

    def policy_option(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--policy", default=None, metavar="NAME",
                        help="deploy a named policy (see 'policies'; default: none)")

    r = sub.add_parser("run", help="one run: summary, time series, plot")
    common(r, "output/run")
    policy_option(r)
    r.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="time-series file format (default: %(default)s)")

    for name, helptext, runs, out in (
            ("ensemble", "many runs: stage table with confidence intervals, plot", 100,
             "output/ensemble"),
            ("demo", "an ensemble of the default scenario: the quickest look", 200,
             "output/demo")):
        e = sub.add_parser(name, help=helptext)
        common(e, out)
        policy_option(e)
        e.add_argument("--runs", type=int, default=runs, help="runs (default: %(default)s)")
        e.add_argument("--workers", type=int, default=None,
                       help=f"worker processes (default: all cores, {default_workers()} here)")
        e.add_argument("--no-progress", action="store_true", help="no progress bar")
        posterior_option(e)

    c = sub.add_parser("compare", help="paired comparison of policies on the same run seeds")
    common(c, "output/compare")
    c.add_argument("--policy", dest="policies", action="append", default=[], metavar="NAME",
                   help="a named policy (repeat; the first is the baseline; default: none and "
                        "early_pillar2); see 'policies'")
    c.add_argument("--runs", type=int, default=100, help="runs per policy (default: %(default)s)")
    c.add_argument("--workers", type=int, default=None,
                   help=f"worker processes (default: all cores, {default_workers()} here)")
    c.add_argument("--no-progress", action="store_true", help="no progress bar")
    posterior_option(c)

    pl = sub.add_parser("policies", help="the named policies and the intervention catalogue")
    pl.add_argument("scenario", nargs="?", default="default",
                    help="scenario whose policies to list (default: %(default)s)")

    s = sub.add_parser("scenarios", help="list or validate scenario files")
    ssub = s.add_subparsers(dest="action", required=True, metavar="ACTION")
    ssub.add_parser("list", help="the shipped scenarios")
    sh = ssub.add_parser("show", help="a scenario's brief and resolved parameters, each with "
                                      "its value, unit, the file that set it and provenance")
    sh.add_argument("scenario", help="scenario name or TOML file")
    sh.add_argument("--set", dest="overrides", action="append", default=[],
                    metavar="PATH=VALUE", help="override a field by dotted path (repeatable)")
    sh.add_argument("--json", action="store_true", help="print it as JSON")
    sh.add_argument("--toml", action="store_true",
                    help="print the resolved scenario as one self-contained TOML file")
    v = ssub.add_parser("validate", help="validate scenario files")
    v.add_argument("files", nargs="+", help="scenario names or TOML files")
    v.add_argument("--json", action="store_true", help="print the result as JSON")
    fp = ssub.add_parser("from-profile", help="a stylized scenario from a row of the Early "
                                              "Warning Project's predictors (a profile)")
    fp.add_argument("file", type=Path, help="predictors CSV file (e.g. "
                                            "data/ewp/predictors_1960_2011.csv)")
    fp.add_argument("--row", type=int, required=True, metavar="N",
                    help="data row N (1 = the first row after the header, on line 2)")
    fp.add_argument("--out", type=Path, default=None, metavar="FILE",
                    help="write the scenario TOML here (default: print it)")
    fp.add_argument("--months", type=int, default=None,
                    help="horizon in months (default: the template's, 120)")
    fp.add_argument("--civilians", type=int, default=None, metavar="N",
                    help="simulated civilians (default: the template's, 10,000)")
    sc = ssub.add_parser("schema", help="JSON Schema of the scenario file format (for editors)")
    sc.add_argument("--out", type=Path, default=None,
                    help="write it to this file instead of printing it")

    u = sub.add_parser("ui", help="the trainer's browser app (needs the 'ui' extra)")
    u.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only; "
                        "0.0.0.0 exposes the app to the network deliberately)")
    u.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    u.add_argument("--posterior", default="none", metavar="FILE|shipped|none",
                   help="a posterior file (posterior.parquet of `calibrate`), or shipped (the "
                        "fitted one of calibration/): each run draws one parameter set by "
                        "weight from its seed; none (default): the scenario's declared values")

    d = sub.add_parser("docs", help="regenerate the generated tables in docs/ (parameters, "
                                    "intervention catalogue)")
    d.add_argument("--check", action="store_true", help="exit 1 if the table is out of date")
    _experiment_parsers(sub)
    _forecast_parser(sub)
    _calibrate_parser(sub)
    record_commands.add_parser(sub)
    return p


def _policy(scenario, name: str | None):
    from .scenario import resolve_policy

    return None if name is None else resolve_policy(scenario, name)


def _print_json(obj: object) -> None:
    from .export import json_text

    print(json_text(obj))


def cmd_run(args: argparse.Namespace) -> int:
    from .export import events_bytes, timeseries_bytes
    from .model import EscalationModel
    from .plotting import run_panels

    scenario = load_scenario(args.scenario, args.overrides)
    policy = _policy(scenario, args.policy)
    out = _output_dir(args.out)
    model = EscalationModel(scenario, args.seed, policy).run()
    outcome = RunOutcome.from_model(model)
    series_path = out / f"timeseries.{args.format}"
    write_bytes_atomic(series_path, timeseries_bytes(model, args.format))
    write_bytes_atomic(out / "events.csv", events_bytes(model.events_log))
    plot = run_panels(model.series[: model.steps + 1], model.events_log, out / "run.png",
                      f"{scenario.name}, seed {args.seed}")
    files = {"timeseries": str(series_path), "events": str(out / "events.csv"),
             "plot": str(plot)}
    if args.json:
        _print_json({"scenario": scenario.name, "outcome": outcome.to_dict(), "files": files,
                     "caveat": CAVEAT})
        return 0
    o = outcome
    print(f"Scenario {scenario.name!r}, seed {args.seed}, {o.months} months")
    print(f"  highest stage      {o.highest_stage} ({Stage(o.highest_stage).label})")
    firsts = ", ".join(f"{k}: {m if m is not None else '-'}"
                       for k, m in enumerate(o.first_month_at_stage) if k)
    print(f"  first month at     {firsts}")
    print(f"  stopped at stage   {o.stopped_at if o.stopped_at is not None else '-'}")
    atrocity = (f"yes, month {o.onset_month}, by {o.onset_perpetrator}" if o.mass_atrocity
                else "no")
    print(f"  mass atrocity      {atrocity} (mass-killing onset)")
    print(f"  deaths             {o.deaths:,.0f} people")
    print(f"  displaced (peak)   {o.displaced_peak:,.0f} people")
    print(f"  violations         {o.violations:,.0f}")
    for k, v in files.items():
        print(f"  {k:<18} {v}")
    print(CAVEAT)
    return 0


def cmd_ensemble(args: argparse.Namespace) -> int:
    from .plotting import stage_trajectories

    _at_least(1, runs=args.runs, workers=args.workers)
    scenario = load_scenario(args.scenario, args.overrides)
    policy = _policy(scenario, args.policy)
    _check_workers_memory(scenario, args)
    posterior, drawn, groups = _drawn(args, args.runs)
    out = _output_dir(args.out)
    bar = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        bar = tqdm(total=args.runs, unit="run", desc=scenario.name, file=sys.stderr)
    try:
        outcomes = run_ensemble(scenario, args.runs, args.seed, args.workers,
                                progress=(lambda done: bar.update(1)) if bar else None,
                                policy=policy, scenarios=drawn)
    finally:
        if bar:
            bar.close()
    summary = summarize(outcomes, groups=groups)
    saved = _save(out / "outcomes.csv", _outcomes_csv({None: outcomes}, posterior),
                  "run outcomes")
    files = {"outcomes": str(saved)}
    try:
        files["plot"] = str(stage_trajectories(outcomes, out / "stages.png",
                                               f"{scenario.name}: stage by month"))
    except OSError as e:
        print(f"escalation-sim: cannot write the plot: {e}", file=sys.stderr)
    if args.json:
        _print_json({"scenario": scenario.name, "seed": args.seed, "summary": summary,
                     "files": files, "posterior": _posterior_note(posterior),
                     "caveat": CAVEAT})
        return 0 if saved == out / "outcomes.csv" else 2
    print(f"Scenario {scenario.name!r}: {args.runs} runs of {scenario.run.months} months, "
          f"seed {args.seed}\n")
    print(format_table(summary))
    if posterior:
        print(_posterior_note(posterior)["note"])
    for k, v in files.items():
        print(f"{k}: {v}")
    return 0 if saved == out / "outcomes.csv" else 2


def _check_workers_memory(scenario, args: argparse.Namespace) -> None:
    """Refuse an ensemble whose models, one per worker process, would not fit in memory."""
    workers = default_workers() if args.workers is None else args.workers
    check_memory(scenario, args.scenario, max(1, min(workers, args.runs)))


def _outcomes_csv(by_policy: dict[str | None, Sequence[RunOutcome]], posterior=None) -> bytes:
    """One row per run: the flat form of its outcome (:meth:`RunOutcome.to_row`, as in a
    sweep's run table), with a ``policy`` column unless the only key is None, and last a
    ``posterior`` column: the posterior file the run drew its parameter set from, as given, or
    ``none`` (last, so readers of older files, which lack it, read the rest unchanged)."""
    from .record.forecast import NO_POSTERIOR

    named = list(by_policy) != [None]
    used = posterior.source if posterior is not None else NO_POSTERIOR
    f = io.StringIO(newline="")
    w = csv.writer(f)
    w.writerow([*(["policy"] if named else []), "run", *(name for name, _ in ROW_COLUMNS),
                "posterior"])
    for policy, outcomes in by_policy.items():
        for i, o in enumerate(outcomes):
            w.writerow([*([policy] if named else []), i, *o.to_row().values(), used])
    return f.getvalue().encode()


def cmd_scenarios(args: argparse.Namespace) -> int:
    if args.action == "list":
        for name in available():
            s = load_scenario(name)
            print(f"{name:<22} {s.title}")
        return 0
    if args.action == "show":
        return _show(args)
    if args.action == "from-profile":
        return _from_profile(args)
    if args.action == "schema":
        from .docs import schema_text

        text = schema_text()
        if args.out is None:
            print(text, end="")
        else:
            args.out.write_text(text, encoding="utf-8")
            print(f"scenario schema written to {args.out}")
        return 0
    failures: list[InputError] = []
    valid: dict[str, bool] = {}
    for f in args.files:
        try:
            load_scenario(f)
            valid[f] = True
        except InputError as e:
            failures.append(e)
            valid[f] = False
    if args.json:
        _print_json({"files": [{"file": f, "valid": ok} for f, ok in valid.items()],
                     "errors": [{"file": e.source, "field": field, "problem": problem}
                                for e in failures for field, problem in e.problems]})
    else:
        for e in failures:
            print(e, file=sys.stderr)
        if not failures:
            print(f"{len(args.files)} scenario file(s) valid")
    return 2 if failures else 0


def _from_profile(args: argparse.Namespace) -> int:
    from .record.profiles import from_profile

    _at_least(1, months=args.months, civilians=args.civilians)
    profile = from_profile(args.file, args.row, months=args.months, n_civilians=args.civilians)
    text = profile.toml()
    if args.out is None:
        print(text, end="")
        return 0
    write_bytes_atomic(args.out, text.encode())
    print(f"{args.out}: a stylized, anonymous scenario derived from profile {profile.profile}, "
          f"year {profile.year} (row {args.row} of {args.file}); results of its runs are the "
          "model's")
    return 0


def _show(args: argparse.Namespace) -> int:
    from .scenario import apply_override, dump_scenario, parameters, read_chain, resolve

    scenario = load_scenario(args.scenario, args.overrides)
    if args.toml:
        print(dump_scenario(scenario), end="")
        return 0
    chain = read_chain(resolve(args.scenario))
    layer: dict = {}   # what --set changed: its own layer, last
    for assignment in args.overrides:
        apply_override(layer, assignment)
    rows = parameters(scenario, [*chain, (Path("--set"), layer)])
    if args.json:
        _print_json({"name": scenario.name, "title": scenario.title, "brief": scenario.brief,
                     "sources": scenario.sources, "extends": [p.stem for p, _ in chain[:-1]],
                     "parameters": rows,
                     "policies": {k: p.description for k, p in scenario.policies.items()},
                     "caveat": CAVEAT})
        return 0
    print(f"{scenario.name}: {scenario.title}")
    if len(chain) > 1:
        print("extends: " + " <- ".join(p.stem for p, _ in chain))
    print(scenario.brief.strip())
    print(f"\nSources: {', '.join(scenario.sources) or '-'}")
    if scenario.policies:
        print("Policies of this scenario (besides the shipped ones; see 'policies'):")
        for k, p in scenario.policies.items():
            print(f"  {k:<24} {p.description}")
    shown = [(r["path"], "-" if r["value"] is None else json.dumps(r["value"], ensure_ascii=False),
              r["unit"], r["set_in"],
              r["provenance"]) for r in rows]
    head = ("parameter", "value", "unit", "set in", "provenance")
    widths = [max(len(s[i]) for s in (head, *shown)) for i in range(4)]
    print()
    for line in (head, *shown):
        print("  ".join(s.ljust(w) for s, w in zip(line, widths, strict=False)) + "  " + line[4])
    print(f"\n'set in' names the file (or --set) that set a value. {CAVEAT}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare, format_comparison
    from .scenario import resolve_policy

    _at_least(2, runs=args.runs)   # pairs need two runs
    _at_least(1, workers=args.workers)
    names = args.policies or ["none", "early_pillar2"]
    if len(set(names)) != len(names) or len(names) < 2:
        raise UsageError("--policy: give at least two different policies")
    scenario = load_scenario(args.scenario, args.overrides)
    chosen = {name: resolve_policy(scenario, name) for name in names}
    _check_workers_memory(scenario, args)
    posterior, drawn, groups = _drawn(args, args.runs)
    out = _output_dir(args.out)
    results = {}
    bar = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        bar = tqdm(total=args.runs * len(names), unit="run", desc=scenario.name, file=sys.stderr)
    try:
        for name, policy in chosen.items():
            results[name] = run_ensemble(scenario, args.runs, args.seed, args.workers,
                                         progress=(lambda _: bar.update(1)) if bar else None,
                                         policy=policy, scenarios=drawn)
    finally:
        if bar:
            bar.close()
    report = compare(results, groups=groups)
    saved = _save(out / "outcomes.csv", _outcomes_csv(results, posterior), "run outcomes")
    if args.json:
        _print_json({"scenario": scenario.name, "seed": args.seed, "comparison": report,
                     "files": {"outcomes": str(saved)}, "posterior": _posterior_note(posterior),
                     "caveat": CAVEAT})
        return 0 if saved == out / "outcomes.csv" else 2
    print(f"Scenario {scenario.name!r}: {args.runs} paired runs per policy, seed {args.seed}\n")
    print(format_comparison(report))
    if posterior:
        print(_posterior_note(posterior)["note"] + " Each run keeps its draw under every policy.")
    print(f"outcomes: {saved}")
    return 0 if saved == out / "outcomes.csv" else 2


def cmd_policies(args: argparse.Namespace) -> int:
    from .catalogue import CATALOGUE
    from .scenario import policies

    scenario = load_scenario(args.scenario)
    print("Policies:")
    for name, p in policies(scenario).items():
        kinds = ", ".join(sorted({i.kind for i in p.interventions})) or "-"
        print(f"  {name:<16} {p.description}\n  {'':<16} [{kinds}]")
    print("\nIntervention catalogue (kind, paragraph, family, consent, lag in months):")
    for kind, c in CATALOGUE.items():
        print(f"  {kind:<28} {c.paragraph:<18} {c.family:<22} "
              f"{'consent' if c.consent else '-':<8} {c.lag}")
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    from .docs import main as docs_main

    return docs_main(check=args.check)




def cmd_ui(args: argparse.Namespace) -> int:
    """Start the Solara server in production mode, offline (assets from solara-assets)."""
    import importlib.util
    import os
    import subprocess

    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be 1-65535, got {args.port}")
    missing = [m for m in ("solara", "solara_assets") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError("the trainer UI needs the optional 'ui' dependencies (missing: "
                         f"{', '.join(missing)}); install them with `uv sync --extra ui` "
                         "(or `pip install 'escalation-sim[ui]'`)")
    from .ui.serve import APP, ENV, POSTERIOR_ENV, solara_command

    env = {**os.environ, **ENV}
    env.pop(POSTERIOR_ENV, None)
    posterior = _scenario_posterior(args.posterior)   # checked before the server starts
    if posterior is not None:
        env[POSTERIOR_ENV] = str(Path(posterior.path).resolve())
    cmd = solara_command(APP, args.host, args.port)
    print(f"escalation-sim trainer UI on http://{args.host}:{args.port} (Ctrl-C to stop)",
          flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"note: --host {args.host} exposes the app to other machines on the network; "
              "anyone who can reach it can run simulations on this one", flush=True)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 0


# ---- experiments: sweep and analyze (escalation_sim.experiments) ----------------------------
def _experiment_parsers(sub) -> None:
    sw = sub.add_parser("sweep", help="run an experiment file (parameter sweep, policies); "
                                      "resumable")
    sw.add_argument("experiment", type=Path, help="experiment TOML file (see experiments/)")
    sw.add_argument("--out", type=Path, required=True, help="results directory")
    sw.add_argument("--resume", action="store_true",
                    help="finish a sweep that was interrupted (every run exactly once)")
    sw.add_argument("--repair", action="store_true",
                    help="with --resume: set damaged chunks aside (in DIR/damaged/) and run "
                         "their runs again")
    sw.add_argument("--workers", type=int, default=None,
                    help=f"local worker processes (default: all cores, {default_workers()} here)")
    sw.add_argument("--dask", default=None, metavar="ADDRESS|local:N",
                    help="run on a Dask scheduler at ADDRESS (e.g. tcp://127.0.0.1:8786), or on "
                         "a local Dask cluster of N worker processes")
    sw.add_argument("--dask-timeout", type=float, default=None, metavar="SECONDS",
                    help="seconds to reach the Dask scheduler at ADDRESS and complete its "
                         "handshake (default: 30)")
    sw.add_argument("--allow-large", action="store_true",
                    help="run a sweep over the size limits (10^6 runs or points) on purpose, "
                         "e.g. on a cluster")
    sw.add_argument("--batch", type=int, default=None, help="runs per task (default: automatic)")
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")
    sw.add_argument("--json", action="store_true", help="print the summary as JSON")
    an = sub.add_parser("analyze", help="analyze a sweep directory: rates, policy differences, "
                                        "Sobol indices, PRIM boxes, figures")
    an.add_argument("dir", type=Path, help="the sweep's --out directory")
    an.add_argument("--out", type=Path, default=None,
                    help="where to write tables and figures (default: DIR/analysis)")
    an.add_argument("--json", action="store_true", help="print the report as JSON")


def cmd_sweep(args: argparse.Namespace) -> int:
    from .experiments.executors import DASK_TIMEOUT
    from .experiments.store import read_failures
    from .experiments.sweep import sweep

    _at_least(1, workers=args.workers, batch=args.batch)
    if args.repair and not args.resume:
        raise UsageError("--repair: only with --resume")
    if args.dask_timeout is not None and not args.dask_timeout > 0:
        raise UsageError(f"--dask-timeout: must be a positive number of seconds, got "
                         f"{args.dask_timeout}")
    bar = None

    def start(total: int, done: int) -> None:
        nonlocal bar
        if not args.no_progress and not args.json:
            from tqdm import tqdm

            bar = tqdm(total=total, initial=done, unit="run", desc=args.experiment.stem,
                       file=sys.stderr)
            bar.set_postfix(failed=0)

    failed = 0

    def progress(row: dict) -> None:
        nonlocal failed
        failed += row["status"] != "ok"
        if bar:
            bar.update(1)
            if row["status"] != "ok":
                bar.set_postfix(failed=failed)

    started = False

    def on_start(total: int, done: int) -> None:
        nonlocal started
        started = True
        start(total, done)

    try:
        result = sweep(args.experiment, args.out, resume=args.resume, repair=args.repair,
                       workers=args.workers, dask=args.dask,
                       dask_timeout=args.dask_timeout or DASK_TIMEOUT, batch=args.batch,
                       allow_large=args.allow_large, progress=progress, on_start=on_start)
    except KeyboardInterrupt as e:
        if bar:
            bar.close()
            bar = None
        if started:
            from .experiments.manifest import read_manifest

            m = read_manifest(args.out)
            how = "SIGTERM" if isinstance(e, Terminated) else "Ctrl-C"
            print(f"{args.experiment}: interrupted ({how}); "
                  f"{m.get('done')}/{m.get('total_runs')} runs on disk in {args.out}; finish "
                  f"with: escalation-sim sweep {args.experiment} --out {args.out} --resume",
                  file=sys.stderr)
            e.reported = True
        raise
    finally:
        if bar:
            bar.close()
    failures = read_failures(result.out)
    if args.json:
        _print_json({"experiment": str(args.experiment), "out": str(result.out),
                     "runs": result.total, "done": result.done, "failed": result.failed,
                     "ran_now": result.ran, "seconds": result.seconds, "failures": failures,
                     "skipped_scenarios": result.skipped_scenarios,
                     "repaired": [{"chunk": c, "problem": w, "moved_to": m}
                                  for c, w, m in result.repaired],
                     "caveat": CAVEAT})
        return 0
    print(f"{args.experiment}: {result.done}/{result.total} runs done ({result.ran} now, "
          f"{result.seconds:.0f} s), {result.failed} failed")
    for chunk, why, moved in result.repaired:
        print(f"  repaired: {chunk} ({why}) set aside as {moved}; its runs ran again")
    if result.skipped_scenarios:
        print(f"  skipped scenarios (not found in the scenario library): "
              f"{', '.join(result.skipped_scenarios)}")
    for f in failures[:20]:
        print(f"  failed: run {f['run']} (point {f['point']}, {f['policy']}): {f['error']}")
    if len(failures) > 20:
        print(f"  ... and {len(failures) - 20} more (status column of the runs)")
    print(f"results: {result.out / 'runs'}  manifest: {result.out / 'manifest.json'}")
    print(f"next: escalation-sim analyze {result.out}")
    print(CAVEAT)
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from .experiments.analysis import analyze, format_report

    report = analyze(args.dir, args.out)
    if args.json:
        _print_json(report)
        return 0
    print(format_report(report))
    return 0


def cmd_record(args: argparse.Namespace) -> int:
    from .experiments.executors import DASK_TIMEOUT, executor_for

    return record_commands.run(args, lambda a: executor_for(
        a.dask, 1 if a.workers is None and a.dask is None else a.workers,
        a.dask_timeout or DASK_TIMEOUT))


# ---- forecast: every row of a predictors file (escalation_sim.record.forecast) ---------------
def _forecast_parser(sub) -> None:
    from .record.forecast import FORECAST_CIVILIANS, FORECAST_MONTHS

    f = sub.add_parser("forecast", help="P(mass-killing onset) per row of a predictors file, "
                                        "each row run as a stylized profile (the model's, "
                                        "drawing from the shipped posterior by default)")
    f.add_argument("file", type=Path, help="predictors CSV file (e.g. "
                                           "data/ewp/predictors_1960_2011.csv)")
    f.add_argument("--out", type=Path, required=True, metavar="OUT.csv",
                   help="forecast file to write (one line per row)")
    f.add_argument("--months", type=int, default=FORECAST_MONTHS,
                   help="horizon in months (default: %(default)s)")
    f.add_argument("--runs", type=int, default=100, help="runs per row (default: %(default)s)")
    f.add_argument("--civilians", type=int, default=FORECAST_CIVILIANS, metavar="N",
                   help="simulated civilians per run (default: %(default)s; fewer is faster "
                        "and coarser, see the README)")
    f.add_argument("--seed", type=_seed, default=0,
                   help="seed, a non-negative integer (default: %(default)s)")
    f.add_argument("--rows", default=None, metavar="A-B",
                   help="only data rows A to B (1 = the first row after the header)")
    f.add_argument("--workers", type=int, default=None,
                   help=f"local worker processes (default: all cores, {default_workers()} here)")
    f.add_argument("--dask", default=None, metavar="ADDRESS|local:N",
                   help="run on a Dask scheduler at ADDRESS, or a local Dask cluster of N "
                        "workers")
    f.add_argument("--dask-timeout", type=float, default=None, metavar="SECONDS",
                   help="seconds to reach the Dask scheduler (default: 30)")
    f.add_argument("--posterior", default="shipped", metavar="FILE|shipped|none",
                   help="a posterior file (posterior.parquet of `calibrate`): each run draws "
                        "one parameter set by weight, seeded; shipped (default): the fitted "
                        "posterior of calibration/; none: the declared values")
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.add_argument("--json", action="store_true", help="print a short summary as JSON")


def _row_range(text: str | None, n: int) -> list[int] | None:
    if text is None:
        return None
    a, sep, b = text.partition("-")
    try:
        first, last = int(a), int(b) if sep else int(a)
    except ValueError:
        raise UsageError(f"--rows: expected A-B (e.g. 1-100), got {text!r}") from None
    if not 1 <= first <= last <= n:
        raise UsageError(f"--rows {text}: rows must satisfy 1 <= A <= B <= {n} (the file's "
                         "data rows)")
    return list(range(first, last + 1))


def cmd_forecast(args: argparse.Namespace) -> int:
    import time

    from .experiments.executors import DASK_TIMEOUT, executor_for
    from .record.forecast import (
        forecast,
        forecast_csv,
        posterior_warmup,
        summary,
        warmup_text,
    )
    from .record.profiles import read_profiles

    _at_least(1, runs=args.runs, workers=args.workers, months=args.months,
              civilians=args.civilians)
    if args.dask is not None and args.workers is not None:
        raise UsageError("--workers and --dask: give one of them")
    if args.dask_timeout is not None and not args.dask_timeout > 0:
        raise UsageError(f"--dask-timeout: must be a positive number of seconds, got "
                         f"{args.dask_timeout}")
    table = read_profiles(args.file)
    posterior = _posterior(args.posterior)
    rows = _row_range(args.rows, len(table))
    n_rows = len(table) if rows is None else len(rows)
    if not args.out.parent.is_dir():
        raise UsageError(f"--out: no such directory {str(args.out.parent)!r}")
    bar = None
    if not args.no_progress and not args.json:
        from tqdm import tqdm

        bar = tqdm(total=n_rows * args.runs, unit="run", desc=args.file.stem, file=sys.stderr)
    start = time.perf_counter()
    try:
        with executor_for(args.dask, args.workers, args.dask_timeout or DASK_TIMEOUT) as (
                executor, n):
            result = forecast(table, args.runs, args.months, args.seed, args.civilians,
                              executor, n, rows=rows, posterior=posterior,
                              progress=(lambda done: bar.update(done - bar.n)) if bar else None)
    finally:
        if bar:
            bar.close()
    seconds = time.perf_counter() - start
    write_bytes_atomic(args.out, forecast_csv(result, posterior and posterior.source))
    warmup = posterior_warmup(posterior)
    info = summary(result, file=str(args.file), out=str(args.out), months=args.months,
                   warmup=warmup, n_civilians=args.civilians, seed=args.seed,
                   seconds=round(seconds, 1),
                   posterior=posterior.source if posterior else None)
    if args.json:
        _print_json({"forecast": info, "caveat": CAVEAT})
        return 0
    print(f"{args.out}: p_onset for {info['rows']} rows x {args.runs} runs of {args.months} "
          f"months{warmup_text(warmup)} ({args.civilians:,} simulated civilians, seed "
          f"{args.seed}) in {seconds:.0f} s")
    print(f"  mean p_onset {info['mean_p_onset']:.2%}; rows with any onset: "
          f"{info['rows_with_an_onset']}; median people per simulated civilian: "
          f"{info['people_per_civilian_median']:,.0f}")
    if posterior:
        print(f"  The model's numbers, each run with a parameter set drawn from {posterior.source}"
              " (its own calibration); p_onset averages over the posterior and its interval "
              "covers run and parameter uncertainty together. " + CAVEAT)
        split = info["parameter_split"]
        if split["estimable"]:
            sd, share = split["parameter_sd"], split["parameter_share"]
            print(f"  Within a row, p_onset varies between parameter sets with an sd of {sd:.1%} "
                  "on average, " + ("no variance at all" if share is None else
                                    f"{share_text(split)} of a run's variance") +
                  f" ({split['sets']} row-and-set groups, {split['runs']} runs); the rest is "
                  "run-to-run noise.")
        else:
            print(f"  {split['note']}")
    else:
        print("  The model's numbers, uncalibrated (every link and coefficient an assumption); "
              "the intervals cover run-to-run noise only. " + CAVEAT)
    return 0


def _posterior(value: str):
    """``--posterior FILE|shipped``: the checked posterior; ``none``: None."""
    from .record.posterior import posterior_option

    return posterior_option(value)


def _scenario_posterior(value: str):
    """``--posterior FILE`` for a named scenario (``ensemble``, ``compare``, ``ui``): the
    checked posterior, refused if it fits only link coefficients; ``none``: None."""
    posterior = _posterior(value)
    if posterior is not None:
        from .record.posterior import scenario_columns

        if not scenario_columns(posterior):
            raise UsageError(f"--posterior {value}: it fits only profile link coefficients "
                             "(links.*), which act on profiles (forecast), not on a named "
                             "scenario")
    return posterior


def _drawn(args: argparse.Namespace, runs: int):
    """``(posterior, one scenario per run, the parameter set each run drew)`` for
    ``ensemble``/``compare --posterior``, or ``(None, None, None)``; a posterior with only link
    coefficients is refused (they act on profiles only)."""
    posterior = _scenario_posterior(args.posterior)
    if posterior is None:
        return None, None, None
    from .record.posterior import drawn_scenarios, draws

    try:
        return (posterior, drawn_scenarios(posterior, args.scenario, args.overrides, args.seed,
                                           runs), draws(posterior, args.seed, runs))
    except ValueError as e:   # a --set of a parameter the posterior fits
        raise UsageError(str(e)) from None


def _posterior_note(posterior) -> dict | None:
    if posterior is None:
        return None
    from .record.posterior import scenario_columns

    used = scenario_columns(posterior)
    return {"file": posterior.source, "parameters": used,
            "note": f"Each run drew one parameter set of {posterior.source} by weight (its "
                    f"{', '.join(used)}; link coefficients apply to profiles only): rates and "
                    "intervals cover parameter and run uncertainty together (which part is the "
                    "parameters': the summary's parameter split)."}


# ---- calibrate: ABC-SMC against the record (escalation_sim.record.calibrate) -----------------
def _calibrate_parser(sub) -> None:
    c = sub.add_parser("calibrate", help="fit profile links and model coefficients to the Early "
                                         "Warning Project record (ABC-SMC, pyabc); resumable")
    c.add_argument("calibration", type=Path, help="calibration TOML file (e.g. "
                                                  "experiments/calibration.toml)")
    c.add_argument("--out", type=Path, required=True, help="results directory")
    c.add_argument("--resume", action="store_true",
                   help="continue the calibration in --out (the file may change only "
                        "abc.generations, abc.min_epsilon, abc.predictive, name and "
                        "description, and abc.kernel_scaling while generation 0 alone is "
                        "done)")
    c.add_argument("--workers", type=int, default=None,
                   help="local worker processes for each parameter set's runs (default: 1; the "
                        "posterior is the same for any number)")
    c.add_argument("--dask", default=None, metavar="ADDRESS|local:N",
                   help="run the runs on a Dask scheduler at ADDRESS, or a local Dask cluster of "
                        "N workers")
    c.add_argument("--dask-timeout", type=float, default=None, metavar="SECONDS",
                   help="seconds to reach the Dask scheduler (default: 30)")
    c.add_argument("--json", action="store_true", help="print a short summary as JSON")


def cmd_calibrate(args: argparse.Namespace) -> int:
    from .experiments.executors import DASK_TIMEOUT, executor_for
    from .record.calibrate import calibrate, format_result, load_calibration

    _at_least(1, workers=args.workers)
    if args.dask is not None and args.workers is not None:
        raise UsageError("--workers and --dask: give one of them")
    if args.dask_timeout is not None and not args.dask_timeout > 0:
        raise UsageError(f"--dask-timeout: must be a positive number of seconds, got "
                         f"{args.dask_timeout}")
    load_calibration(args.calibration)  # a bad file fails before any work
    _output_dir(args.out)
    command = "escalation-sim " + shlex.join(args.argv)

    def log(line: str) -> None:
        if not args.json:
            print(line, file=sys.stderr, flush=True)

    workers = 1 if args.workers is None and args.dask is None else args.workers
    try:
        with executor_for(args.dask, workers, args.dask_timeout or DASK_TIMEOUT) as (
                executor, n):
            result = calibrate(args.calibration, args.out, args.resume, executor, n, command,
                               log)
    except KeyboardInterrupt as e:
        if (args.out / "abc.db").is_file():
            print(f"{args.calibration}: interrupted; the finished generations are in "
                  f"{args.out / 'abc.db'}; continue with: escalation-sim calibrate "
                  f"{args.calibration} --out {args.out} --resume", file=sys.stderr)
            e.reported = True
        raise
    if args.json:
        _print_json({"calibration": str(args.calibration), "out": str(result.out),
                     "generations": result.generations, "epsilon": result.epsilon,
                     "ess": result.ess, "simulations": result.simulations,
                     "seconds_per_simulation": result.seconds_per_simulation,
                     "caveat": CAVEAT})
        return 0
    print(format_result(result))
    return 0


COMMANDS = {"run": cmd_run, "forecast": cmd_forecast, "calibrate": cmd_calibrate,
            "ensemble": cmd_ensemble,
            "demo": cmd_ensemble,
            "scenarios": cmd_scenarios, "docs": cmd_docs, "compare": cmd_compare,
            "policies": cmd_policies, "ui": cmd_ui, "sweep": cmd_sweep,
            "analyze": cmd_analyze, "record": cmd_record}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # what was asked, as typed (the calibration records it): main's own argv, else the process's
    args.argv = list(sys.argv[1:] if argv is None else argv)
    previous = None
    # not in the main thread (an embedding program), SIGTERM is left alone
    with contextlib.suppress(ValueError):
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return COMMANDS[args.command](args)
    except InputError as e:
        print(e, file=sys.stderr)
        return 2
    except (UsageError, record_commands.OptionError) as e:
        print(f"escalation-sim {args.command}: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"escalation-sim {args.command}: cannot write output: {e}", file=sys.stderr)
        return 2
    except WorkerLost as e:
        print(f"escalation-sim {args.command}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as e:
        terminated = isinstance(e, Terminated)
        if not getattr(e, "reported", False):
            print(f"escalation-sim {args.command}: "
                  f"{'terminated (SIGTERM)' if terminated else 'interrupted'}", file=sys.stderr)
        return 128 + signal.SIGTERM if terminated else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
