"""Sweep benchmark: throughput and overhead of the experiment layer, local and on Dask.

Run from the repository root::

    uv run python benchmarks/bench_sweep.py              # 200 default runs per measurement
    uv run python benchmarks/bench_sweep.py --runs 10 --rounds 2   # a smoke test

Everything is measured in one run of this script, on the current machine, with the default
scenario (10^4 civilians, 120 months) and no policy:

1. **Direct loop** — ``EscalationModel(scenario, seed).run()`` and ``RunOutcome.from_model`` in a
   plain loop in this process: the reference time per run.
2. **Sweep, in-process** — the same runs through ``sweep(..., workers=1)``: experiment file,
   scenario validation per run, Parquet chunks, manifest. ``overhead = sweep / direct - 1``.
3. **Sweep, 2-core process pool** — ``sweep(..., workers=2)``: runs per minute, and the
   extrapolated time for 10,000 runs (target ≤ 10 minutes).
4. **Sweep, 2-worker Dask LocalCluster** as ``--dask local:2`` starts it (``local_cluster``:
   127.0.0.1, one thread per worker): runs per minute;
   ``Dask overhead = time on Dask / time on the local pool - 1`` (target ≤ 5 %).
5. **Memory** — peak RSS of the sweeping process (not its workers) for a small and a 4× larger
   sweep of a tiny model (10^3 civilians, 24 months), each in a fresh child process; a ratio near
   1 means memory is flat in the number of runs.

The process pool and the Dask cluster are started once and warmed up (untimed: start-up and
imports are not per-run costs), then the four modes run in interleaved rounds (``--rounds``,
``runs / rounds`` runs per mode per round, a different experiment seed each round), so that a
change in other load on the machine affects every mode alike; per-round ratios are recorded.

Wall-clock figures suffer from other load on a shared machine; the script therefore also
records **CPU seconds per run** (user + system of this process and all its descendants — the
sweeping process, the Dask scheduler thread, pool and cluster workers), which measure the work
each mode does whatever else runs, and the time 10,000 runs would take on two otherwise idle
cores (CPU seconds per run of the pool × 10,000 / 2).

On a shared machine the speed of the same code drifts by ±10 % from minute to minute, more than
the overheads measured; each ratio is therefore also given per round, as the median of the
per-round ratios and as a 95 % t-interval of their geometric mean: use many short rounds
(``--rounds 10`` or more) to resolve a few per cent.

The 10,000-run figures above are extrapolations from ``--runs`` runs. ``--at-scale N`` also
runs N runs on the pool and N on the Dask cluster (``--at-scale 10000``: about 15 minutes), in
``--scale-chunks`` (10) sweeps of N / 10 runs each — batches of 16 runs, as in one large sweep —
alternating pool and Dask in the order AB BA AB ... so that drift affects both alike; it reports
the total time per mode, the per-sweep ratios, and checks that each pair wrote the same
outcomes.

JSON goes to ``benchmarks/results/sweep.json``. Exits 0 whatever the numbers say (a benchmark,
not a test).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "results" / "sweep.json"

EXPERIMENT = """
name = "bench"
scenario = "default"
set = {set}
seed = {seed}
replications = {runs}
policies = ["none"]
"""

MEMORY_CHILD = """
import resource, sys
from escalation_sim.experiments import sweep
sweep(sys.argv[1], sys.argv[2], workers=2)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and all its live descendants: the sweeping
    process, the Dask scheduler (a thread here), the pool's and the cluster's workers."""
    import psutil

    me = psutil.Process()
    total = sum(me.cpu_times()[:2])
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            total += sum(child.cpu_times()[:2])
    return total


def timed(f) -> tuple[float, float]:
    """Wall seconds and CPU seconds (:func:`cpu_seconds`) of calling ``f()``."""
    t, c = time.perf_counter(), cpu_seconds()
    f()
    return time.perf_counter() - t, cpu_seconds() - c


def ratios(a: list[float], b: list[float]) -> dict:
    """Per-round ratios ``a / b - 1`` (``per_round``): their median, and the geometric mean
    with a 95 % t-interval (rounds are paired: both modes ran in the same minute)."""
    import numpy as np
    from scipy import stats

    r = np.log(np.asarray(a) / np.asarray(b))
    m = float(r.mean())
    out = {"per_round": np.expm1(r).tolist(), "median": float(np.expm1(np.median(r))),
           "mean": float(np.expm1(m)), "low": None, "high": None}   # no interval from 1 round
    if r.size > 1:
        h = float(stats.t.ppf(0.975, r.size - 1) * r.std(ddof=1) / np.sqrt(r.size))
        out.update(low=float(np.expm1(m - h)), high=float(np.expm1(m + h)))
    return out


def fmt(r: dict[str, float]) -> str:
    interval = "" if r["low"] is None else f" [{r['low']:+.1%}, {r['high']:+.1%}]"
    return f"median {r['median']:+.1%}, mean {r['mean']:+.1%}{interval}"


def write(path: Path, runs: int, overrides: list[str], seed: int = 0) -> Path:
    path.write_text(EXPERIMENT.format(runs=runs, set=json.dumps(overrides), seed=seed))
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=200, help="runs per measurement")
    ap.add_argument("--rounds", type=int, default=4,
                    help="rounds; each runs every mode on runs/rounds runs (interleaved)")
    ap.add_argument("--at-scale", type=int, default=0, metavar="N",
                    help="also time N runs on the pool and on Dask in large-sweep batches")
    ap.add_argument("--scale-chunks", type=int, default=10, metavar="C",
                    help="with --at-scale: in C alternating sweeps of N / C runs each")
    ap.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = ap.parse_args()
    from escalation_sim import EscalationModel, load_scenario
    from escalation_sim.experiments import sweep
    from escalation_sim.outcomes import RunOutcome
    from escalation_sim.rng import run_seed

    n = args.runs
    rounds = max(1, min(args.rounds, n))
    k = n // rounds
    n = k * rounds
    tmp = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    scenario = load_scenario("default")
    res: dict = {"runs": n, "rounds": rounds, "load_start": os.getloadavg(),
                 "cpus": os.cpu_count()}
    from dask.distributed import Client

    from escalation_sim.experiments.executors import local_cluster
    from escalation_sim.runner import local_pool

    times = {"direct": [], "inprocess": [], "pool2": [], "dask2": []}
    cpu = {m: 0.0 for m in times}
    with (local_cluster(2) as cluster, Client(cluster) as client,
          local_pool(2) as pool):
        # warm-up, untimed: imports in this process and in every worker of both executors
        EscalationModel(scenario, 0).run()
        warm = write(tmp / "warm.toml", 4, [], seed=99)
        sweep(warm, tmp / "warm_pool", executor=pool, workers=2, batch=1)
        sweep(warm, tmp / "warm_dask", executor=client.get_executor(pure=False), workers=2,
              batch=1)
        dask_executor = client.get_executor(pure=False)
        for r in range(rounds):   # interleaved, so that changing load affects every mode alike
            exp = write(tmp / f"bench{r}.toml", k, [], seed=r)
            runs = {"direct": lambda r=r: [
                        RunOutcome.from_model(EscalationModel(scenario, run_seed(r, i)).run())
                        for i in range(k)]}
            for mode, kwargs in (("inprocess", {"workers": 1}),
                                 ("pool2", {"executor": pool, "workers": 2}),
                                 ("dask2", {"executor": dask_executor, "workers": 2})):
                runs[mode] = lambda mode=mode, kwargs=kwargs, r=r, exp=exp: sweep(
                    exp, tmp / f"{mode}{r}", **kwargs)
            for mode, f in runs.items():
                wall, c = timed(f)
                times[mode].append(wall)
                cpu[mode] += c
        # per-task cost of each executor: batches of no runs, 6 in flight, as a sweep sends
        from concurrent.futures import wait

        from escalation_sim.experiments.sweep import plan, run_batch

        config = plan(warm).config
        for mode, ex in (("pool2", pool), ("dask2", dask_executor)):
            wall, c = timed(lambda ex=ex: [wait([ex.submit(run_batch, [], config)
                                                 for _ in range(6)]) for _ in range(50)])
            res[f"{mode}_per_task_ms"] = {"wall": wall / 300 * 1e3, "cpu": c / 300 * 1e3}
        res["idle_cpu_share_of_a_core"] = timed(lambda: time.sleep(10))[1] / 10
        if args.at_scale:
            # N runs per mode in C sweeps of N / C runs (batches of 16 runs, as in one large
            # sweep), pool and Dask alternating in the order AB BA AB ..., so that the
            # machine's drift affects both alike; each pair must write identical outcomes
            from escalation_sim.experiments import read_runs

            chunks = max(1, args.scale_chunks)
            per = args.at_scale // chunks
            scale = {"runs": per * chunks, "chunks": chunks, "identical_outcomes": True}
            st = {"pool2": [], "dask2": []}
            sc = {"pool2": 0.0, "dask2": 0.0}
            for j in range(chunks):
                exp = write(tmp / f"scale{j}.toml", per, [], seed=1000 + j)
                order = [("pool2", pool), ("dask2", dask_executor)]
                for mode, ex in (order if j % 2 == 0 else order[::-1]):
                    wall, c = timed(lambda mode=mode, ex=ex, j=j, exp=exp: sweep(
                        exp, tmp / f"scale_{mode}_{j}", executor=ex, workers=2))
                    st[mode].append(wall)
                    sc[mode] += c
                tables = [read_runs(tmp / f"scale_{m}_{j}") for m in ("pool2", "dask2")]
                scale["identical_outcomes"] &= bool(tables[0].equals(tables[1]))
            for mode in st:
                scale[f"{mode}_minutes"] = sum(st[mode]) / 60
                scale[f"{mode}_cpu_s_per_run"] = sc[mode] / scale["runs"]
            scale["seconds"] = st
            scale["dask_overhead_vs_pool"] = sum(st["dask2"]) / sum(st["pool2"]) - 1
            scale["dask_cpu_overhead_vs_pool"] = sc["dask2"] / sc["pool2"] - 1
            scale["dask_overhead_chunks"] = ratios(st["dask2"], st["pool2"])
            res["at_scale"] = scale
    res["seconds"] = times
    res["cpu_s_per_run"] = {m: v / n for m, v in cpu.items()}
    res["cpu_overhead_inprocess"] = cpu["inprocess"] / cpu["direct"] - 1
    res["cpu_overhead_pool2"] = cpu["pool2"] / cpu["direct"] - 1
    res["cpu_overhead_dask2_vs_pool2"] = cpu["dask2"] / cpu["pool2"] - 1
    res["minutes_for_10000_on_2_idle_cores"] = 10_000 * cpu["pool2"] / n / 2 / 60
    total = {m: sum(v) for m, v in times.items()}
    res["direct_s_per_run"] = total["direct"] / n
    res["sweep_inprocess_s_per_run"] = total["inprocess"] / n
    res["overhead_inprocess"] = total["inprocess"] / total["direct"] - 1
    res["pool2_runs_per_min"] = 60 * n / total["pool2"]
    res["pool2_minutes_for_10000"] = 10_000 / res["pool2_runs_per_min"]
    res["pool2_speedup_vs_direct"] = total["direct"] / total["pool2"]
    res["dask2_runs_per_min"] = 60 * n / total["dask2"]
    res["dask_overhead_vs_pool"] = total["dask2"] / total["pool2"] - 1
    res["overhead_inprocess_rounds"] = ratios(times["inprocess"], times["direct"])
    res["dask_overhead_rounds"] = ratios(times["dask2"], times["pool2"])

    tiny = ["run.n_civilians=1000", "run.months=24",
            "events.scheduled=[{kind='election', month=18}]"]
    rss = {}
    for runs in (n, 4 * n):
        f = write(tmp / f"mem{runs}.toml", runs, tiny)
        out = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(f), str(tmp / f"m{runs}")],
                             capture_output=True, text=True, check=True).stdout.split()[-1]
        rss[runs] = int(out) / 1024   # KiB -> MiB (Linux)
    res["peak_rss_mib"] = rss
    res["peak_rss_ratio_4x_runs"] = rss[4 * n] / rss[n]
    res["load_end"] = os.getloadavg()

    print(f"default scenario, {n} runs per mode in {rounds} interleaved rounds "
          f"(load {res['load_start'][0]:.1f} at start, {res['load_end'][0]:.1f} at end)")
    print(f"  direct loop           {res['direct_s_per_run']:.3f} s/run")
    print(f"  sweep, in-process     {res['sweep_inprocess_s_per_run']:.3f} s/run  "
          f"overhead {res['overhead_inprocess']:+.1%}")
    print(f"  sweep, 2-core pool    {res['pool2_runs_per_min']:.0f} runs/min  -> 10,000 runs in "
          f"{res['pool2_minutes_for_10000']:.1f} min (target <= 10)  "
          f"speed-up vs direct {res['pool2_speedup_vs_direct']:.2f}x")
    print(f"  sweep, Dask 2 workers {res['dask2_runs_per_min']:.0f} runs/min  overhead vs pool "
          f"{res['dask_overhead_vs_pool']:+.1%} (target <= 5 %; per round "
          + ", ".join(f"{x:+.0%}" for x in res["dask_overhead_rounds"]["per_round"]) + ")")
    print(f"  per-round ratios: experiment layer {fmt(res['overhead_inprocess_rounds'])}; "
          f"Dask vs pool {fmt(res['dask_overhead_rounds'])}")
    cs = res["cpu_s_per_run"]
    print("  CPU seconds per run (this process + all its children; insensitive to other load):")
    print(f"    direct {cs['direct']:.3f}, sweep in-process {cs['inprocess']:.3f} "
          f"({res['cpu_overhead_inprocess']:+.1%}), 2-core pool {cs['pool2']:.3f} "
          f"({res['cpu_overhead_pool2']:+.1%}), Dask {cs['dask2']:.3f} "
          f"({res['cpu_overhead_dask2_vs_pool2']:+.1%} vs pool)")
    print(f"    -> 10,000 runs on 2 otherwise idle cores: "
          f"{res['minutes_for_10000_on_2_idle_cores']:.1f} min (target <= 10)")
    pt, dt = res["pool2_per_task_ms"], res["dask2_per_task_ms"]
    print(f"  per task (a batch of no runs): pool {pt['cpu']:.1f} ms CPU ({pt['wall']:.1f} ms "
          f"wall), Dask {dt['cpu']:.1f} ms CPU ({dt['wall']:.1f} ms wall); idle pool and "
          f"cluster: {res['idle_cpu_share_of_a_core']:.1%} of a core")
    print(f"  sweeping process peak RSS: {rss[n]:.0f} MiB at {n} runs, {rss[4 * n]:.0f} MiB at "
          f"{4 * n} runs (ratio {res['peak_rss_ratio_4x_runs']:.2f}; flat = 1)")
    if "at_scale" in res:
        sc = res["at_scale"]
        print(f"  at scale, {sc['runs']} runs per mode in {sc['chunks']} alternating sweeps: "
              f"2-core pool {sc['pool2_minutes']:.1f} min ({sc['pool2_cpu_s_per_run']:.3f} CPU "
              f"s/run), Dask 2 workers {sc['dask2_minutes']:.1f} min "
              f"({sc['dask_overhead_vs_pool']:+.1%} wall, "
              f"{sc['dask_cpu_overhead_vs_pool']:+.1%} CPU; per sweep "
              f"{fmt(sc['dask_overhead_chunks'])}); outcomes "
              f"{'identical' if sc['identical_outcomes'] else 'DIFFER'}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(res, indent=2))
    print(f"written {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
