"""Renders deploy/nginx.conf.template for a list of app servers: the proxy configuration of
deploy/compose.yaml (its `proxy-config` service) and of the CI topology test (tests/topology.py).

    python deploy/nginx_conf.py --listen 80 app1:8501 app2:8501 > default.conf

Server i (from 1) is route `s{i}`: the value of the `mnist_server` cookie that keeps a browser on it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf.template")
COOKIE = "mnist_server"
# host:port, and nothing else that nginx would read as more of its configuration
ADDRESS = re.compile(r"[A-Za-z0-9._-]+:\d{1,5}|\[[0-9A-Fa-f:]+\]:\d{1,5}")
FAIL_TIMEOUT_S = 10  # after a failed connection a server is skipped this long, then tried again


def route(index: int) -> str:
    """The cookie value that routes to the index-th server (0-based)."""
    return f"s{index + 1}"


def upstream(index: int, servers: list[str]) -> str:
    """The route's own server first; the others as backups, for when it is down."""
    lines = [f"    server {servers[index]} max_fails=1 fail_timeout={FAIL_TIMEOUT_S}s;"]
    lines += [f"    server {other} backup;" for k, other in enumerate(servers) if k != index]
    return f"upstream mnist_{route(index)} {{\n" + "\n".join(lines) + "\n}"


def split(count: int) -> str:
    """Equal shares for new browsers; split_clients takes percentages, the last server the rest."""
    share = f"{(10_000 // count) / 100:g}"  # nginx reads two decimals; rounded down, the shares fit in 100%
    lines = [f"    {share}% {route(k)};" for k in range(count - 1)]
    return "\n".join(lines + [f"    * {route(count - 1)};"])


def render(servers: list[str], listen: str | int = 80, template: Path = TEMPLATE) -> str:
    """The configuration for these app servers ("host:port" each), listening on `listen`."""
    if not servers:
        raise ValueError("at least one app server")
    for address in servers:
        if not ADDRESS.fullmatch(address):
            raise ValueError(f"not a host:port address: {address!r}")
    values = {
        "LISTEN": str(listen),
        "SPLIT": split(len(servers)),
        "ROUTES": "\n".join(f"    {route(k)} {route(k)};" for k in range(len(servers))),
        "UPSTREAMS": "\n\n".join(upstream(k, servers) for k in range(len(servers))),
    }
    text = template.read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise ValueError(f"unfilled placeholder in {template}: {text[text.index('{{') :][:40]}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python deploy/nginx_conf.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("servers", nargs="+", help="the app servers, host:port each (commas also separate)")
    parser.add_argument("--listen", default="80", help="what nginx listens on (default 80)")
    args = parser.parse_args(argv)
    servers = [s for arg in args.servers for s in arg.split(",") if s]
    try:
        sys.stdout.write(render(servers, args.listen))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
