"""Sweeps on a real Dask cluster (scheduler and worker processes on 127.0.0.1)."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest
from test_experiments import TINY, comparable, write_experiment

from escalation_sim.experiments import read_runs, read_series, sweep

pytestmark = pytest.mark.slow   # ensembles, subprocesses or a browser: the slow tier

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ref")
    f = write_experiment(tmp / "e.toml", TINY.replace("replications = 2", "replications = 3"))
    sweep(f, tmp / "local", workers=1, batch=1)
    return f, read_runs(tmp / "local"), read_series(tmp / "local")


def test_dask_local_cluster_is_bit_identical_to_a_local_run(reference, tmp_path):
    f, runs, series = reference
    res = sweep(f, tmp_path / "dask", dask="local:2", batch=1)
    assert res.done == 24 and res.failed == 0
    pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / "dask")), comparable(runs))
    pd.testing.assert_frame_equal(read_series(tmp_path / "dask"), series)


def test_dask_address_of_a_running_scheduler(reference, tmp_path):
    from dask.distributed import LocalCluster

    f, runs, _ = reference
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        sweep(f, tmp_path / "addr", dask=cluster.scheduler_address, batch=2)
    pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / "addr")), comparable(runs))


def test_a_dask_worker_killed_mid_sweep_costs_no_result(reference, tmp_path):
    # the cluster '--dask local:N' starts (no work stealing: the scheduler itself must give the
    # dead worker's tasks to the other)
    from dask.distributed import Client

    from escalation_sim.experiments.executors import local_cluster

    f, runs, series = reference
    with local_cluster(2) as cluster, Client(cluster) as client:
        # the configuration reached the scheduler
        assert not client.run_on_scheduler(lambda dask_scheduler: "stealing" in
                                           dask_scheduler.extensions)
        pids = list(client.run(os.getpid).values())
        seen = []

        def progress(row):
            seen.append(row["run"])
            if len(seen) == 4:   # a few runs in: kill a worker while it holds tasks
                os.kill(pids[0], signal.SIGKILL)

        res = sweep(f, tmp_path / "dask", executor=client.get_executor(pure=False), workers=2,
                    batch=1, progress=progress)
        assert len(seen) == 24 and res.done == 24
        alive = list(client.run(os.getpid).values())
        assert pids[0] not in alive, "the worker was really killed (the nanny restarted it)"
    pd.testing.assert_frame_equal(comparable(read_runs(tmp_path / "dask")), comparable(runs))
    pd.testing.assert_frame_equal(read_series(tmp_path / "dask"), series)


def test_bad_dask_address_is_an_input_error(tmp_path, reference):
    from escalation_sim.errors import InputError

    f, _, _ = reference
    with pytest.raises(InputError, match="local:N"):
        sweep(f, tmp_path / "x", dask="local:zero")
