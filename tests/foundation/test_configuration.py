"""A bad or missing setting stops the process with one line naming the variable."""

import os
import subprocess
import sys

import pytest

from shared.config import ConfigError, load_settings


def test_defaults_give_the_embedded_platform(monkeypatch, tmp_path):
    monkeypatch.setenv("TELECART_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.broker_url == "memory://"
    assert settings.uses_broker is False
    assert settings.database_url("catalog") == f"sqlite:///{tmp_path}/catalog.db"


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("PLATFORM_DOMAIN", "Shop_Example", "PLATFORM_DOMAIN"),
        ("CATALOG_DATABASE_URL", "mysql://x", "CATALOG_DATABASE_URL"),
        ("BROKER_URL", "kafka://x", "BROKER_URL"),
        ("DB_POOL_SIZE", "many", "DB_POOL_SIZE"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
    ],
)
def test_each_bad_value_is_named(monkeypatch, variable, value, named):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert named in message
    assert "\n" not in message


def test_production_refuses_sqlite(monkeypatch):
    monkeypatch.setenv("TELECART_ENV", "production")
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings()


def test_the_command_prints_one_line_and_exits_non_zero():
    env = {**os.environ, "BROKER_URL": "kafka://nope", "PLATFORM_DOMAIN": "ok.example"}
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "config error: BROKER_URL: must be amqp:// or memory://"
    ]
