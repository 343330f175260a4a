"""/metrics adds up the samples of every gunicorn worker, not just the one asked."""

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests


def counter_files(tmp_path):
    return [f for f in os.listdir(tmp_path / "metrics") if f.startswith("counter")]


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
        sent = 0

        def one(_):
            with requests.Session() as fresh:  # a new connection each time
                fresh.get(f"{base}/api/tenant/healthz", timeout=10)

        # Concurrent batches until both workers have answered something.
        with ThreadPoolExecutor(8) as pool:
            while sent < 400 and len(counter_files(tmp_path)) < 2 or sent < 40:
                list(pool.map(one, range(8)))
                sent += 8
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
    print(
        f"\n/metrics counted {counted:.0f} of {sent} health requests across 2 workers"
    )
    assert counted == sent
    assert len(worker_files) >= 2, worker_files  # both workers wrote samples
