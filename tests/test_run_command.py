"""The README's run command on a fresh database: migrations, demo data, the server on its port."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768–60999). The browser tests running beside this
    one start live servers on port 0, which the system takes from that range: while the run command
    spends minutes setting up, one of them once took the port promised to it and answered its health
    check. Below the range, no such server is given it."""
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def test_run_command_sets_up_a_fresh_database_and_serves(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(XIETONG_VAR_DIR=str(tmp_path / "var"), PORT=str(port), WEB_WORKERS="1")
    path = tmp_path / "run.log"
    log = open(path, "w")  # noqa: SIM115 (the command's output while it runs; closed below)
    proc = subprocess.Popen(
        ["make", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 240
        health = None
        # ask only once our gunicorn says it listens on the port: the answer is then its own
        listening = f"Listening at: http://127.0.0.1:{port} "
        while time.monotonic() < deadline and proc.poll() is None:
            if listening in path.read_text(errors="replace"):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                        health = response.status, response.read().decode()
                        break
                except OSError:
                    pass
            time.sleep(1)
        output = path.read_text(errors="replace")
        assert health is not None, f"server never answered; output:\n{output[-4000:]}"
        assert health[0] == 200 and '"status": "ok"' in health[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
            assert response.status == 200
            assert 'lang="zh-hans"' in response.read().decode()
        # static files (our CSS and the npm packages) are served by the app itself
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vendor/htmx/htmx.min.js", timeout=5) as response:
            assert response.status == 200
        # the demo logins are printed, and the SQLite file lives in the chosen var folder
        assert "admin" in output and "admin12345" in output
        assert (tmp_path / "var" / "xietong.sqlite3").exists()
    finally:
        stopped = stop(proc)
        log.close()
    # Ctrl-C (SIGTERM to the whole group) stops the server, the worker and the scheduler: the run
    # script gives them 15 seconds and then kills what is left
    logs = "\n".join(
        f"--- {file.name}\n{file.read_text(errors='replace')[-3000:]}"
        for file in [path, *sorted((tmp_path / "var").glob("*.log"))]
    )
    assert stopped, f"the run command did not stop within 60 s of SIGTERM:\n{logs}"


def stop(proc: subprocess.Popen) -> bool:
    """SIGTERM to the process group, as Ctrl-C does; True if everything stopped within a minute."""
    if proc.poll() is not None:
        return True
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        return False
    return True
