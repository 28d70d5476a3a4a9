"""Starting the Solara server the way ``escalation-sim ui`` does, and waiting for it.

Shared by the command line (``ui``), the browser tests and the UI benchmark; needs no Solara
itself (the server runs in a child process).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = "escalation_sim.ui.app"
ENV = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "SOLARA_THEME_SHOW_BANNER": "False",
       "SOLARA_THEME_TITLE": "escalation-sim trainer"}
"""Environment for the server (added to the caller's): no telemetry, no "runs on Solara" badge
over the page's content, the app's own title."""
POSTERIOR_ENV = "ESCALATION_SIM_POSTERIOR"
"""Environment variable naming the posterior file of ``escalation-sim ui --posterior`` (set by
the command line after checking the file; no browser ever names a path)."""
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-proxy-server"]
"""Chromium flags of the browser tests and the benchmark: no sandbox (containers), no GPU, and
nothing that reaches the network by itself."""


def solara_command(app: str, host: str, port: int) -> list[str]:
    """``solara run APP`` in production mode, offline, on ``host:port`` (this Python); ``APP``
    is a module or a file, e.g. :data:`APP`, the trainer page."""
    return [sys.executable, "-m", "solara", "run", app, "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, timeout: float,
                  stderr: Path | None = None) -> None:
    """Poll ``url`` (no proxy) until it answers 200. Raises :class:`RuntimeError` with the
    tail of the server's ``stderr`` file if the server exits or ``timeout`` seconds pass."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            problem = f"the server exited with {proc.returncode}"
        elif time.monotonic() > deadline:
            problem = f"the server did not answer on {url} within {timeout:g} s"
        else:
            try:
                if opener.open(url, timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
            continue
        tail = stderr.read_text(errors="replace")[-3000:] if stderr is not None else ""
        raise RuntimeError(f"{problem}; its stderr:\n{tail}")


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """End a server started with ``start_new_session=True`` (its whole process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
