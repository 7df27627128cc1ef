"""The production setup for benchmarks and tests: `python -m mnist_app.serve` (app servers behind nginx,
training workers) on free ports with a room of its own; and the CPU seconds a process tree has used.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from bench.browser import REPO
from bench.prerequisites import need
from mnist_app.serve import free_port, wait_healthy

STARTUP_S = 180  # several servers warming at once on 2 cores
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(root: int) -> float:
    """User and system CPU seconds of `root` and every process under it, now (from /proc)."""
    parent, used = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        parent[int(entry.name)] = int(fields[1])
        used[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo += [child for child, p in parent.items() if p == pid and child not in tree]
    return sum(used.get(pid, 0.0) for pid in tree)


@contextmanager
def production(folder: Path, processes: int | None = None, **settings: str):
    """`python -m mnist_app.serve` on a free port, its room a SQLite file in `folder`; yields (url, pid).
    Fails on a server that wrote a traceback."""
    data_dir = os.environ.get("MNIST_DATA_DIR", "")
    need(not data_dir or Path(data_dir).is_dir(), f"MNIST_DATA_DIR={data_dir!r} is not a folder of MNIST IDX files")
    port, log = free_port(), folder / "serve.log"
    command = [sys.executable, "-m", "mnist_app.serve", "--port", str(port), "--address", "127.0.0.1",
               "--db", str(folder / "room.sqlite3"), "--folder", str(folder / "serve")]  # fmt: skip
    command += [] if processes is None else ["--processes", str(processes)]
    env = {k: v for k, v in os.environ.items() if k != "MNIST_CHECKPOINT_DIR"} | settings  # the shipped checkpoints
    with _running(command, REPO, env, log, f"http://127.0.0.1:{port}") as served:
        yield served
    logs = [log, *sorted((folder / "serve").glob("app_*.log"))]
    for path in logs:
        assert "Traceback" not in path.read_text(), f"{path}:\n{path.read_text()[-3000:]}"


@contextmanager
def _running(command: list[str], cwd: Path, env: dict[str, str], log: Path, url: str):
    """`command` in a process group of its own, its output in `log`, until `url` answers the health
    check (through nginx for serve: it starts nginx once all servers are healthy); yields (url, pid).
    SIGTERM to the group at the end (serve stops its servers, workers and nginx), SIGKILL after 30 s."""
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        why = wait_healthy(url, proc, STARTUP_S)
        if why == "exited":
            raise RuntimeError(f"{command[2]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if why is not None:
            raise RuntimeError(f"{command[2]} not serving after {STARTUP_S} s:\n{log.read_text()[-3000:]}")
        yield url, proc.pid
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@contextmanager
def single(folder: Path, repo: Path = REPO, **settings: str):
    """One plain `streamlit run app.py` (and its own training worker), no proxy: the setup before
    mnist_app.serve; `repo`, another checkout's, measures another commit's page. Yields (url, pid)."""
    port, log = free_port(), folder / "single.log"
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "MNIST_CHECKPOINT_DIR"}
    env |= {"MNIST_ROOM_DB": str(folder / "room.sqlite3"), "PYTHONPATH": str(repo)} | settings
    with _running(command, repo, env, log, f"http://127.0.0.1:{port}") as served:
        yield served
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]
