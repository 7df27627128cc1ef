"""A class on several servers, as processes: deploy/compose.yaml's topology without Docker.

A fresh database on the test PostgreSQL server ($MNIST_TEST_PG_URL, set by .ci/postgres.sh), two
`streamlit run app.py` servers on it with MNIST_WORKERS=0 and each its own copy of the shipped
checkpoints (as each container has its own disk), one `python -m mnist_app.worker`, and Debian's
nginx in front with deploy/nginx.conf.template rendered by deploy/nginx_conf.py, the same
configuration compose uses. A browser context is pinned to a server by presetting nginx's sticky
cookie (`pin`); nginx's access log says which server answered whom (`served_by`).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bench.browser import REPO, free_port, stroke, wait_for_health
from bench.prerequisites import need
from conftest import fresh_database
from deploy.nginx_conf import COOKIE, render, route

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
STOP_S = 10
ONE_STROKES = ([(0.42, 0.30), (0.55, 0.14)], [(0.55, 0.14), (0.52, 0.50), (0.50, 0.86)])  # a "1": flag, stem


def draw_a_one(page) -> int:
    """Two mouse strokes on the canvas; the digit the page then reads (its answer to both strokes).
    The same strokes as tests/test_e2e_browser.py's: no test module imports another."""
    canvas = page.locator("canvas.upper-canvas").first  # fabric.js draws on the upper canvas
    canvas.wait_for()
    for points in ONE_STROKES:
        stroke(page, canvas, points)
    page.wait_for_selector(f'#prediction[data-strokes="{len(ONE_STROKES)}"]')
    return int(page.locator("#prediction").get_attribute("data-digit"))


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """`kill -9` of the process itself, as a crash or an operator would."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=STOP_S)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: the process and its children
            try:
                self.proc.wait(timeout=STOP_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def spawn(name: str, command: list[str], env: dict[str, str], log: Path) -> Process:
    with log.open("a") as out:
        proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, proc, log)


def nginx_main_conf(prefix: Path, include: Path) -> str:
    """What the nginx image's own nginx.conf gives compose, in the test's folder: everything nginx
    writes stays there, and the access log names the server each request went to."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers as root: the test's folder is private
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}worker_processes 1;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} info;
events {{ worker_connections 1024; }}
http {{
    log_format topology '$mnist_route $upstream_addr $status "$request"';
    access_log {prefix / "access.log"} topology;
{temp}
    include {include};
}}
"""


def wait_for_port(port: int, process: Process) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            pytest.fail(f"{process.name} exited with {process.proc.returncode}:\n{process.log.read_text()[-3000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"{process.name} is not listening on {port}:\n{process.log.read_text()[-3000:]}")


def start_nginx(prefix: Path, servers: list[str]) -> tuple[Process, str]:
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    (prefix / "mnist.conf").write_text(render(servers, listen=f"127.0.0.1:{port}"))
    (prefix / "nginx.conf").write_text(nginx_main_conf(prefix, prefix / "mnist.conf"))
    log, conf = prefix / "error.log", prefix / "nginx.conf"
    command = [NGINX, "-p", str(prefix), "-e", str(log), "-c", str(conf), "-g", "daemon off;"]  # fmt: skip
    nginx = spawn("nginx", command, dict(os.environ), log)  # its own log and its output, together
    wait_for_port(port, nginx)
    return nginx, f"http://127.0.0.1:{port}"


@dataclass
class Topology:
    url: str  # nginx: what every browser opens
    database: str
    folder: Path
    env: dict[str, str]
    servers: dict[str, tuple[Process, str]] = field(default_factory=dict)  # route -> (server, host:port)
    workers: list[Process] = field(default_factory=list)
    nginx: Process | None = None

    @property
    def worker(self) -> Process:
        return self.workers[-1]

    def start_worker(self) -> Process:
        n = len(self.workers) + 1
        command = [sys.executable, "-m", "mnist_app.worker", "--db", self.database]
        # One core for the training, the other for two app servers and Chromium: on CI's 2 cores a
        # worker with torch's 2 spinning threads starves the pages it reports to (the tutorial's
        # 1 epoch here, once each on a busy machine: 8.3 s of training with 2 threads, 1.2 s with 1).
        env = self.env | {"MNIST_CHECKPOINT_DIR": str(self.disk("worker")), "MNIST_APP_TRAIN_THREADS": "1"}
        worker = spawn(f"worker{n}", command, env, self.folder / f"worker{n}.log")
        self.workers.append(worker)
        return worker

    def disk(self, name: str) -> Path:
        """A process's own copy of the shipped checkpoints: what each container has in its image."""
        folder = self.folder / name / "checkpoints"
        if not folder.is_dir():
            shutil.copytree(REPO / "checkpoints", folder)
        return folder

    def pin(self, context, server: str) -> None:
        """Send this browser context's requests to `server` (a route: s1, s2) by nginx's own cookie."""
        context.add_cookies([{"name": COOKIE, "value": server, "url": self.url}])

    def served_by(self, server: str) -> set[str]:
        """The app servers (host:port) that answered requests routed to `server`, by nginx's access log
        (a request is logged when it ends: a websocket when it closes)."""
        lines = (self.folder / "nginx" / "access.log").read_text().splitlines()
        hops = [line.split(" ", 2) for line in lines]
        return {hop.rstrip(",") for r, upstreams, _ in hops if r == server for hop in upstreams.split(", ")}

    def address(self, server: str) -> str:
        return self.servers[server][1]

    def kill(self, server: str) -> None:
        self.servers[server][0].kill()

    def logs(self) -> dict[str, str]:
        processes = [p for p, _ in self.servers.values()] + self.workers
        return {p.name: p.log.read_text() for p in processes}


def start_app_server(top: Topology, index: int, presenter_key: str) -> Process:
    name, port = route(index), free_port()
    env = top.env | {
        "MNIST_ROOM_DB": top.database,
        "MNIST_WORKERS": "0",  # the topology's one worker trains; the app servers never do
        "MNIST_PRESENTER_KEY": presenter_key,
        "MNIST_CHECKPOINT_DIR": str(top.disk(name)),
    }
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip
    server = spawn(f"server {name}", command, env, top.folder / f"server_{name}.log")
    top.servers[name] = (server, f"127.0.0.1:{port}")
    return server


@contextmanager
def topology(folder: Path, presenter_key: str, servers: int = 2):
    """nginx, `servers` app servers and one worker on a fresh PostgreSQL database; all stopped after.
    Fails the test if any of them wrote a traceback."""
    data_dir = os.environ.get("MNIST_DATA_DIR", "")
    need(bool(data_dir) and Path(data_dir).is_dir(), f"MNIST_DATA_DIR={data_dir!r} is not a folder of MNIST IDX files")
    need(Path(NGINX).is_file(), "no nginx: apt-get install nginx")
    env = {k: v for k, v in os.environ.items() if k not in ("MNIST_CHECKPOINT_DIR", "MNIST_ROOM_DB", "MNIST_WORKERS")}
    env["MNIST_DATA_DIR"] = str(Path(data_dir).resolve())
    with fresh_database("topology") as database, ExitStack() as stack:
        top = Topology(url="", database=database, folder=folder, env=env)
        for index in range(servers):
            stack.callback(start_app_server(top, index, presenter_key).stop)
        stack.callback(lambda: [w.stop() for w in top.workers])
        top.start_worker()
        for server, address in top.servers.values():
            wait_for_health(f"http://{address}", server.proc, server.log)
        top.nginx, top.url = start_nginx(folder / "nginx", [address for _, address in top.servers.values()])
        stack.callback(top.nginx.stop)
        with urllib.request.urlopen(f"{top.url}/_stcore/health", timeout=5) as r:
            assert r.status == 200, "nginx does not reach the app servers' health check"
        yield top
    for name, text in top.logs().items():
        assert "Traceback" not in text, f"{name}:\n{text[-3000:]}"
