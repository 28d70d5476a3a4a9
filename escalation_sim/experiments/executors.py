"""Where a sweep's runs run: in-process, the local process pool, or Dask (a local cluster or a
scheduler's address, reached within a bounded time)."""

from __future__ import annotations

import contextlib
import threading

from ..errors import InputError
from ..runner import default_workers, local_pool

DASK_TIMEOUT = 30.0
"""Seconds to connect to a Dask scheduler and complete its handshake (``--dask-timeout``)."""


def local_cluster(n: int):
    """A Dask LocalCluster of ``n`` single-threaded worker processes on 127.0.0.1, without a
    dashboard, set up for sweeps of CPU-bound runs on the same cores as itself:

    * the scheduler hands each worker one task at a time (worker saturation 1.0 instead of
      Dask's 1.1, which lets a single-threaded worker hold two tasks while another sits idle at
      the end of a sweep); Dask queues tasks on the scheduler only while more than 2 × threads
      of them are in flight (its "root-ish" rule), which :func:`run_scenarios` keeps true with
      ``max_pending = 2 × workers + 2`` — only the first few of a sweep go straight to workers;
    * no statistical profiler in the workers (a stack sample every 10 ms, for the dashboard it
      does not have), event-loop health checks every 200 ms instead of 20 ms and memory checks
      every second instead of 0.1 s;
    * no work stealing and no active memory manager: with tasks queued on the scheduler no
      worker holds a task another could steal, and runs share no data to replicate or drop; a
      task of a worker that dies is rescheduled either way; the system monitor (which only
      feeds a dashboard) samples every 5 s instead of 0.5 s. An idle 2-worker cluster used
      about 7 % of a core with Dask's defaults, 3.3 % with the settings above these and 2.4 %
      with these (measured by hand, once each; ``bench_sweep.py`` reports what an idle pool and
      cluster use now);
    * workers keep glibc's own heap trimming: Dask's nanny sets ``MALLOC_TRIM_THRESHOLD_`` to
      64 KiB to return memory sooner, which made the model's monthly temporaries (arrays of
      10^4 civilians, 40 KiB each) cost about 4 % more time per run here.

    ``benchmarks/bench_sweep.py`` measures the overhead on runs."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0,
                          "distributed.scheduler.work-stealing": False,
                          "distributed.scheduler.active-memory-manager.start": False,
                          "distributed.admin.system-monitor.interval": "5s",
                          "distributed.worker.profile.enabled": False,
                          "distributed.admin.tick.interval": "200ms",
                          "distributed.worker.memory.monitor-interval": "1s",
                          "distributed.nanny.pre-spawn-environ": {
                              k: v for k, v in dask.config.get(
                                  "distributed.nanny.pre-spawn-environ").items()
                              if k != "MALLOC_TRIM_THRESHOLD_"}}):
        return LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                            host="127.0.0.1", dashboard_address=None)


def connect(address: str, timeout: float = DASK_TIMEOUT):
    """A Dask ``Client`` of the scheduler at ``address``, or one clear :class:`InputError`:
    a malformed address, nothing listening, something that is not a Dask scheduler (an HTTP
    server, say), or a listener that never answers. Dask's own ``timeout`` does not bound the
    handshake, so the connection is made in a thread given ``timeout`` (plus 5 s) to finish."""
    from dask.distributed import Client

    source = f"--dask {address}"
    box: dict = {}

    def attempt() -> None:
        try:
            box["client"] = Client(address, timeout=timeout)
        except BaseException as e:  # noqa: BLE001 - reported below, as one line
            box["error"] = e

    thread = threading.Thread(target=attempt, name="dask-connect", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    if thread.is_alive():
        raise InputError(source, [("", (
            f"no Dask scheduler answered within {timeout:g} s (something accepts connections "
            "there but does not speak Dask's protocol, or it is overloaded); check the address, "
            "or wait longer with --dask-timeout"))])
    e = box.get("error")
    if e is None:
        return box["client"]
    if isinstance(e, ValueError):
        problem = f"not a Dask scheduler address ({e}); expected tcp://HOST:PORT or local:N"
    elif isinstance(e, OSError | TimeoutError):
        problem = f"cannot connect to a Dask scheduler: {e}"
    else:
        problem = (f"what answers there is not a Dask scheduler ({type(e).__name__}: "
                   f"{str(e)[:120]})")
    raise InputError(source, [("", problem)]) from None


def local_workers(dask: str | None, workers: int | None) -> int | None:
    """The number of worker processes this machine will run (None: a remote Dask cluster)."""
    if dask is None:
        return default_workers() if workers is None else workers
    if dask.startswith("local:"):
        try:
            n = int(dask.removeprefix("local:"))
        except ValueError:
            n = 0
        if n < 1:
            raise InputError(f"--dask {dask}", [("", "expected local:N with N >= 1 workers")])
        return n
    return None


@contextlib.contextmanager
def executor_for(dask: str | None = None, workers: int | None = None,
                 timeout: float = DASK_TIMEOUT):
    """Yield ``(executor, number of workers)``: a local pool, or Dask (``local:N`` or an
    address, connected within ``timeout`` seconds). ``workers=1`` without Dask runs in-process
    (executor ``None``). On an exception the pool is not waited for: its workers exit by
    themselves (:class:`~escalation_sim.runner.LocalPool`)."""
    n = local_workers(dask, workers)
    if dask is None:
        if n <= 1:
            yield None, 1
            return
        pool = local_pool(n)
        ok = False
        try:
            yield pool, n
            ok = True
        finally:
            pool.shutdown(wait=ok, cancel_futures=True)
        return
    from dask.distributed import Client

    cluster = None
    if n is not None:
        cluster = local_cluster(n)
        client = Client(cluster)
    else:
        client = connect(dask, timeout)
    try:
        n = max(1, sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))
        yield client.get_executor(pure=False), n
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
