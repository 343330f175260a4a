"""deploy/Procfile and deploy/nginx.conf: the separate processes behind a router
that routes like the Ingress (any host, /api/<service>, Host kept)."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from honcho.environ import parse_procfile

from services.cli import main as telecart
from shared import SERVICES
from tests.deploy.manifests import ROOT
from tests.support.services import missing_tool

DEPLOY = ROOT / "deploy"


def procfile() -> dict[str, str]:
    parsed = parse_procfile((DEPLOY / "Procfile").read_text())
    return dict(parsed.processes)


def nginx_ports() -> dict[str, int]:
    text = (DEPLOY / "nginx.conf").read_text()
    found = re.findall(r"upstream (\w+) \{\s*server 127\.0\.0\.1:(\d+);", text)
    return {name: int(port) for name, port in found}


def test_the_procfile_runs_six_web_processes_and_six_workers():
    processes = procfile()
    web = {n: c for n, c in processes.items() if c.split()[1] == "serve"}
    workers = {n: c for n, c in processes.items() if c.split()[1] == "worker"}

    print(f"\nProcfile: {len(web)} web, {len(workers)} workers")
    assert sorted(c.split()[2] for c in web.values()) == sorted(SERVICES)
    assert sorted(c.split()[2] for c in workers.values()) == sorted(SERVICES)
    assert len(processes) == 12


def test_nginx_sends_each_service_to_the_port_its_web_process_binds():
    bound = {
        command.split()[2]: int(command.split("--bind ")[1].split()[0].split(":")[1])
        for command in procfile().values()
        if command.split()[1] == "serve"
    }

    assert nginx_ports() == bound
    assert sorted(bound.values()) == list(range(8101, 8107))


def test_the_web_commands_are_ones_the_telecart_cli_accepts():
    checked = 0

    for command in procfile().values():
        words = command.split()
        if words[1] not in telecart.commands:
            continue  # `telecart worker` is being built; its own tests check it
        subcommand = telecart.commands[words[1]]
        # parses and checks every argument (service name, ranges), runs nothing
        context = subcommand.make_context(words[1], words[2:])
        assert context.params["service"] in SERVICES
        checked += 1

    assert checked >= len(SERVICES)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EchoService(BaseHTTPRequestHandler):
    """Stands in for one gunicorn process: answers with what reached it."""

    service = "?"

    def do_GET(self):  # noqa: N802 - http.server's naming
        body = json.dumps(
            {"service": self.service, "host": self.headers["Host"], "path": self.path}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def router(tmp_path):
    """nginx on deploy/nginx.conf, its ports moved to free ones for the test."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        missing_tool("nginx", "apt-get install nginx-light")
    servers = []
    config = (DEPLOY / "nginx.conf").read_text()
    for service, port in nginx_ports().items():
        handler = type(f"{service}Echo", (EchoService,), {"service": service})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        config = config.replace(f":{port};", f":{server.server_address[1]};")
    listen = free_port()
    config = config.replace("listen 8000 ", f"listen 127.0.0.1:{listen} ")
    (tmp_path / "nginx.conf").write_text(config)

    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
        + ["-e", "stderr", "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{listen}"
    _wait_for(base, process)
    yield base
    process.terminate()
    process.wait(timeout=10)
    for server in servers:
        server.shutdown()


def _wait_for(base: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            requests.get(base, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("nginx did not start")


def test_nginx_routes_by_path_for_any_host_and_keeps_the_host(router):
    hosts = ["northwind.localhost:8000", "shop.northwind-mobile.example", "volt.x"]

    for host in hosts:
        for service in SERVICES:
            reply = requests.get(
                f"{router}/api/{service}/products?page=2",
                headers={"Host": host},
                timeout=5,
            ).json()
            assert reply == {
                "service": service,
                "host": host,
                "path": f"/api/{service}/products?page=2",
            }

    print(f"\nnginx: {len(hosts)} hosts x {len(SERVICES)} services routed")


def test_nginx_matches_whole_path_segments_like_the_ingress(router):
    exact = requests.get(f"{router}/api/catalog", timeout=5)
    lookalike = requests.get(f"{router}/api/catalogue/products", timeout=5)
    elsewhere = requests.get(f"{router}/metrics", timeout=5)

    assert exact.json()["service"] == "catalog"
    assert lookalike.status_code == 404
    assert lookalike.headers["Content-Type"] == "application/problem+json"
    assert lookalike.json()["status"] == 404
    assert elsewhere.status_code == 404
