"""`python -m mnist_app.serve`: a lecture hall on one machine, with one command: several app servers on
one room, the training workers, and nginx in front of them with sticky sessions.

    MNIST_DATA_DIR=/path/to/mnist python -m mnist_app.serve [--processes N] [--port 8501]

One `streamlit run app.py` runs every session's script in threads of one Python process, so it uses
at most about one core whatever the machine has (issue 25: one server on 2 cores never went past 0.92
of them, and its drawings waited 2.2 s at p95 with 100 sessions). Here PROCESSES_PER_CORE servers per
core (docs/benchmarks.md has the measurements behind the number) listen on local ports; nginx
(deploy/nginx.conf.template, rendered by deploy/nginx_conf.py, the configuration compose and the
topology test use) keeps each browser on one of them by its cookie; all share one room database
($MNIST_ROOM_DB or --db: drawings, saved models, the training queue), and the training workers
(`--workers`, default $MNIST_WORKERS or 1) are started here, not by each server. An app server that
dies is started again on its port; its browsers' next page load lands on another one meanwhile.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent  # app.py and deploy/, as in the repository and the image
PROCESSES_PER_CORE = 2
HEALTH_S = 120  # the longest an app server may take to warm up (data, default model, every module)
STOP_S = 10


def nginx_conf():
    """deploy/nginx_conf.py, read from its file: deploy/ is beside the package, not a package itself."""
    spec = importlib.util.spec_from_file_location("nginx_conf", REPO / "deploy" / "nginx_conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, seconds: float, stop=lambda: False) -> str | None:
    """Until `url` answers Streamlit's health check: None once it does, else why not: "exited" (`proc`
    ended), "stopped" (`stop()`) or "timeout" (not within `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stop():
            return "stopped"
        if proc.poll() is not None:
            return "exited"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return None
        except OSError:
            time.sleep(0.3)
    return "timeout"


@dataclass
class Plan:
    """What `main` starts: the app servers' ports, their environment, the workers, nginx's files."""

    ports: list[int]
    workers: int
    listen: str  # what nginx listens on: address:port
    folder: Path  # nginx's configuration, logs and temporary files; the app servers' logs
    env: dict[str, str] = field(default_factory=dict)

    def server_command(self, port: int) -> list[str]:
        return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                "--server.port", str(port), "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]  # fmt: skip

    def site(self) -> str:
        """nginx's site: deploy/nginx.conf.template for these servers."""
        return nginx_conf().render([f"127.0.0.1:{p}" for p in self.ports], listen=self.listen)

    def main_conf(self) -> str:
        """The rest of what nginx needs, all of it in `folder` (no root-owned paths, no daemon)."""
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers as root: the folder may be private
        temp = "\n".join(f"    {k}_temp_path {self.folder / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # One nginx worker: it only relays websocket frames (a few percent of one core at 150 sessions).
        return (f"{user}worker_processes 1;\npid {self.folder / 'nginx.pid'};\nerror_log {self.folder / 'error.log'} warn;\n"
                f"events {{ worker_connections 4096; }}\nhttp {{\n    access_log off;\n{temp}\n"
                f"    include {self.folder / 'site.conf'};\n}}\n")  # fmt: skip


def plan(args: argparse.Namespace, environ: dict[str, str] | None = None) -> Plan:
    environ = dict(os.environ if environ is None else environ)
    env = environ | {
        "MNIST_WORKERS": "0",  # the workers are this command's, not each server's
        # One secret for all servers: a browser moved to another one (its own died) keeps a valid XSRF cookie.
        "STREAMLIT_SERVER_COOKIE_SECRET": environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32),
    }
    if args.db:
        env["MNIST_ROOM_DB"] = args.db
    folder = Path(args.folder or tempfile.mkdtemp(prefix="mnist-serve-")).resolve()
    return Plan([free_port() for _ in range(args.processes)], args.workers, f"{args.address}:{args.port}", folder, env)


class Servers:
    """The running processes: app servers (restarted when they die), workers, nginx."""

    def __init__(self, plan: Plan, nginx: str):
        self.plan, self.nginx_path = plan, nginx
        self.apps: dict[int, subprocess.Popen] = {}
        self.workers: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None

    def _spawn(self, command: list[str], log: str, env: dict[str, str]) -> subprocess.Popen:
        with (self.plan.folder / log).open("a") as out:
            return subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

    def start_app(self, port: int) -> None:
        self.apps[port] = self._spawn(self.plan.server_command(port), f"app_{port}.log", self.plan.env)

    def start(self, stop=lambda: False) -> None:
        from .worker import spawn

        self.plan.folder.mkdir(parents=True, exist_ok=True)
        for port in self.plan.ports:
            self.start_app(port)
        saved = dict(os.environ)
        os.environ.update(self.plan.env)  # worker.spawn passes this process's environment on
        try:
            self.workers = spawn(self.plan.workers)  # niced, and ending with this command (--parent)
        finally:
            os.environ.clear(), os.environ.update(saved)
        for port in self.plan.ports:
            self.wait_healthy(port, stop)
        (self.plan.folder / "site.conf").write_text(self.plan.site())
        (self.plan.folder / "nginx.conf").write_text(self.plan.main_conf())
        conf, log = self.plan.folder / "nginx.conf", self.plan.folder / "error.log"
        self.nginx = self._spawn([self.nginx_path, "-p", str(self.plan.folder), "-e", str(log), "-c", str(conf),
                                  "-g", "daemon off;"], "nginx.log", dict(os.environ))  # fmt: skip

    def wait_healthy(self, port: int, stop=lambda: False) -> None:
        why = wait_healthy(f"http://127.0.0.1:{port}", self.apps[port], HEALTH_S, stop)
        if why == "stopped":
            raise RuntimeError("stopped while starting")
        if why == "exited":
            raise RuntimeError(f"the app server on port {port} exited; see {self.plan.folder / f'app_{port}.log'}")
        if why == "timeout":
            raise RuntimeError(f"the app server on port {port} is not healthy after {HEALTH_S} s")

    def watch(self, stop) -> None:
        """Until `stop()`: an app server that exited is started again; nginx exiting ends it all."""
        while not stop():
            if self.nginx.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.nginx.returncode}; see {self.plan.folder / 'error.log'}")
            for port, proc in list(self.apps.items()):
                if proc.poll() is not None:
                    print(f"app server on port {port} exited ({proc.returncode}): starting it again", flush=True)
                    self.start_app(port)
            time.sleep(1.0)

    def stop(self) -> None:
        from .worker import end

        running = [p for p in [self.nginx, *self.apps.values()] if p is not None and p.poll() is None]
        for proc in running:
            os.killpg(proc.pid, signal.SIGTERM)  # its own session: the process and nothing else
        for proc in running:
            try:
                proc.wait(STOP_S)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        end(self.workers)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    cores = len(os.sched_getaffinity(0))  # the cores this process may use (taskset, a container's cpuset)
    parser = argparse.ArgumentParser(prog="python -m mnist_app.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=PROCESSES_PER_CORE * cores,
                        help=f"app servers (default {PROCESSES_PER_CORE} per core: {PROCESSES_PER_CORE * cores} here)")
    parser.add_argument("--port", type=int, default=8501, help="the port participants open (nginx's; default 8501)")
    parser.add_argument("--address", default="0.0.0.0", help="the address nginx listens on (default all)")
    parser.add_argument("--workers", type=int, default=None, help="training workers (default $MNIST_WORKERS, else 1)")
    parser.add_argument("--db", help="the room's database: a SQLAlchemy URL or a SQLite path (default $MNIST_ROOM_DB)")
    parser.add_argument("--folder", help="for nginx's files and the servers' logs (default a new temporary folder)")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx", help="the nginx executable")
    args = parser.parse_args(argv)
    if args.workers is None:
        from .settings import local_workers

        args.workers = local_workers()
    if not 1 <= args.processes <= 64 or not 0 <= args.workers <= 8:
        parser.error("--processes must be 1 to 64 and --workers 0 to 8")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if not Path(args.nginx).is_file():
        print(f"error: no nginx at {args.nginx} (apt-get install nginx, or --nginx PATH)", file=sys.stderr)
        return 2
    servers, stopping = Servers(plan(args), args.nginx), []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.append(True))
    try:
        servers.start(lambda: bool(stopping))
        print(f"serving http://{args.address}:{args.port} : {args.processes} app servers, {args.workers} "
              f"training worker(s); logs in {servers.plan.folder}", flush=True)  # fmt: skip
        servers.watch(lambda: bool(stopping))
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
