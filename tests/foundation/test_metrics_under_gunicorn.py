"""/metrics adds up the samples of every gunicorn worker, not just the one asked."""

import os
import re
import socket
import subprocess
import sys
import time

import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url, process, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def test_two_workers_report_every_request_once(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "TELECART_DATA_DIR": str(tmp_path),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "services.cli", "migrate", "tenant"],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "services.cli",
            "serve",
            "tenant",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "2",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server)
        for _ in range(40):
            with requests.Session() as fresh:  # a new connection each time
                fresh.get(f"{base}/api/tenant/healthz", timeout=5)
        text = requests.get(f"{base}/metrics", timeout=5).text
    finally:
        server.terminate()
        server.wait(timeout=30)

    counted = sum(
        float(value)
        for value in re.findall(
            r"telecart_http_requests_total\{[^}]*"
            r'route="/api/tenant/healthz"[^}]*\} (\S+)',
            text,
        )
    )
    worker_files = [
        f for f in os.listdir(tmp_path / "metrics") if f.startswith("counter")
    ]
    print(f"\n/metrics counted {counted:.0f} of 40 health requests across 2 workers")
    assert counted == 40
    assert len(worker_files) >= 2, worker_files  # both workers wrote samples
