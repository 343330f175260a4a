"""Missing PostgreSQL, RabbitMQ or Redis: skip on a laptop, fail in CI."""

import os
import subprocess
import sys
import textwrap


def run_probe(tmp_path, require):
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        textwrap.dedent("""
        from tests.support.services import missing

        def test_needs_a_broker():
            missing("RabbitMQ", "amqp://guest@127.0.0.1:1//")
    """)
    )
    env = {**os.environ, "REQUIRE_SERVICES": require}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            str(probe),
            "--rootdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_an_absent_service_skips_with_its_reason(tmp_path):
    result = run_probe(tmp_path, "0")
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "RabbitMQ is not reachable at guest@127.0.0.1:1" in result.stdout


def test_an_absent_service_fails_when_services_are_required(tmp_path):
    result = run_probe(tmp_path, "1")
    assert result.returncode == 1
    assert "1 failed" in result.stdout
    assert "REQUIRE_SERVICES=1 forbids skipping" in result.stdout
