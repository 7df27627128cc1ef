"""`python -m mnist_app.serve`: the one command that runs a lecture hall on one machine (issue 25).

Fast: what it would start (ports, environment, commands) and that nginx accepts its configuration.
Slow: it really serves the page through nginx, each browser kept on one server by the cookie, and an
app server that dies is started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import need
from mnist_app import serve


def planned(tmp_path: Path, *argv: str, environ: dict | None = None) -> serve.Plan:
    args = serve.parse(["--folder", str(tmp_path / "run"), *argv])
    return serve.plan(args, environ={"PATH": os.environ["PATH"]} if environ is None else environ)


def test_each_core_gets_its_share_of_app_servers_by_default():
    assert serve.parse([]).processes == serve.PROCESSES_PER_CORE * len(os.sched_getaffinity(0))
    assert serve.parse(["--processes", "3"]).processes == 3


@pytest.mark.parametrize("argv", [["--processes", "0"], ["--processes", "65"], ["--workers", "9"], ["--processes", "x"]])
def test_counts_out_of_range_are_refused(argv, capsys):
    with pytest.raises(SystemExit):
        serve.parse(argv)
    assert "--" in capsys.readouterr().err


def test_the_servers_share_one_room_and_one_cookie_secret_and_train_nothing_themselves(tmp_path):
    plan = planned(tmp_path, "--processes", "3", "--workers", "2", "--db", "/srv/room.sqlite3", "--port", "9000")
    assert len(set(plan.ports)) == 3 and plan.workers == 2
    assert plan.env["MNIST_ROOM_DB"] == "/srv/room.sqlite3" and plan.env["MNIST_WORKERS"] == "0"
    secret = plan.env["STREAMLIT_SERVER_COOKIE_SECRET"]
    assert len(secret) == 64 and secret != planned(tmp_path).env["STREAMLIT_SERVER_COOKIE_SECRET"]  # a fresh one each time
    kept = planned(tmp_path, environ={"STREAMLIT_SERVER_COOKIE_SECRET": "the operator's"})
    assert kept.env["STREAMLIT_SERVER_COOKIE_SECRET"] == "the operator's"
    command = plan.server_command(plan.ports[1])
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4] == "app.py"
    assert command[command.index("--server.port") + 1] == str(plan.ports[1])
    assert command[command.index("--server.address") + 1] == "127.0.0.1"  # only nginx is open to the room


def test_nginx_routes_each_cookie_to_its_own_server_and_listens_where_asked(tmp_path):
    plan = planned(tmp_path, "--processes", "3", "--port", "9000", "--address", "127.0.0.1")
    site = plan.site()
    assert "listen 127.0.0.1:9000;" in site
    for k, port in enumerate(plan.ports):
        upstream = site[site.index(f"upstream mnist_s{k + 1} {{") :].split("}", 1)[0]
        assert f"server 127.0.0.1:{port} max_fails" in upstream  # its own server first, the others as backups
        assert upstream.count("backup;") == 2
    assert f"include {plan.folder / 'site.conf'};" in plan.main_conf()


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = serve.parse([]).nginx
    need(Path(nginx).is_file(), "no nginx: apt-get install nginx")
    plan = planned(tmp_path, "--processes", "2", "--port", "18999", "--address", "127.0.0.1")
    plan.folder.mkdir(parents=True)
    (plan.folder / "site.conf").write_text(plan.site())
    (plan.folder / "nginx.conf").write_text(plan.main_conf())
    checked = subprocess.run([nginx, "-t", "-p", str(plan.folder), "-e", str(plan.folder / "error.log"),
                              "-c", str(plan.folder / "nginx.conf")], check=False, capture_output=True, text=True)  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def get(url: str, cookie: str | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Cookie": f"mnist_server={cookie}"} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.status, " ".join(r.headers.get_all("Set-Cookie") or []), r.read().decode()


@pytest.mark.slow
@pytest.mark.realdata
def test_serve_serves_the_page_through_nginx_and_starts_a_dead_server_again(tmp_path):
    from bench.serving import production

    need(Path(serve.parse([]).nginx).is_file(), "no nginx: apt-get install nginx")
    with production(tmp_path, processes=2) as (url, _):
        status, cookies, page = get(f"{url}/")
        assert status == 200 and "<title>" in page.lower() and "mnist_server=s" in cookies  # a new browser gets a server
        for route in ("s1", "s2"):
            assert get(f"{url}/_stcore/health", route)[0] == 200  # each server answers through nginx
            assert f"mnist_server={route};" in get(f"{url}/_stcore/health", route)[1]  # and keeps the browser there
        logs = sorted((tmp_path / "serve").glob("app_*.log"))
        victim = int(subprocess.check_output(["pgrep", "-f", f"server.port {logs[0].stem[4:]}"]).split()[0])
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # started again on its port, then healthy
            try:
                if get(f"http://127.0.0.1:{logs[0].stem[4:]}/_stcore/health")[0] == 200:
                    break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("the killed app server was not started again")
