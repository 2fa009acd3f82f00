"""A first run on a bare machine, through the real ``slo-scout`` executable: ``serve`` creates
its data dir, logs where the database is and where it listens, and on an empty database how to
make the first admin key; ``keys create`` makes that key on the embedded default; a
configuration mistake is one line on stderr and exit status 2."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

EXECUTABLE = Path(sys.executable).with_name("slo-scout")


def _command(*args: str) -> list[str]:
    if EXECUTABLE.exists():
        return [str(EXECUTABLE), *args]
    return [sys.executable, "-m", "slo_scout.cli.main", *args]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLO_SCOUT_")}
    env.pop("DATABASE_URL", None)
    return {**env, "HOME": str(home), **extra}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(self, home: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / f"serve-{self.port}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                _command("serve", "--port", str(self.port)), env=_env(home),
                stdout=out, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout_s: float = 60.0) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return self.log.read_text()
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"serve did not answer: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "home"
    shutil.rmtree(tmp_path / "home", ignore_errors=True)


def test_serve_on_a_bare_machine_starts_logs_the_database_url_and_the_first_key_hint(
    home: Path,
) -> None:
    home.mkdir()
    data_dir = home / ".local" / "share" / "slo-scout"
    assert not data_dir.exists()
    server = Server(home)
    try:
        log = server.wait_ready()
    finally:
        server.stop()
    assert "Traceback" not in log
    assert f"database: SQLite file {data_dir / 'slo-scout.db'}" in log
    assert f"serving {server.url}" in log
    assert "no API key exists yet" in log and "slo-scout keys create" in log

    # the hint's command, on the same (embedded default) database
    made = subprocess.run(_command("keys", "create"), env=_env(home), capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("ssk_") and key not in made.stderr
    assert "admin of every team" in made.stderr

    server = Server(home)
    try:
        log = server.wait_ready()
        audit = httpx.get(f"{server.url}/api/v1/audit", headers={"X-API-Key": key})
        anonymous = httpx.get(f"{server.url}/api/v1/audit")
    finally:
        server.stop()
    assert "no API key exists yet" not in log
    assert audit.status_code == 200 and audit.json()[0]["action"] == "api_key.create"
    assert audit.json()[0]["actor"].startswith("cli")
    assert anonymous.status_code == 401


def test_keys_create_makes_a_key_of_one_team_on_the_embedded_default(home: Path) -> None:
    home.mkdir()
    made = subprocess.run(
        _command("keys", "create", "--subject", "dana", "--team", "shop", "--role", "approver"),
        env=_env(home), capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    assert (home / ".local" / "share" / "slo-scout" / "slo-scout.db").exists()
    assert "key:dana, approver of team shop" in made.stderr
    bad = subprocess.run(_command("keys", "create", "--role", "owner"), env=_env(home),
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--role 'owner'" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("command", "variables", "named"), [
    ("serve", {"SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY": "not-a-key"},
     "SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY: must look like ssk_<prefix>_<secret>"),
    ("serve", {"SLO_SCOUT_PORT": "eighty"}, "SLO_SCOUT_PORT"),
    ("serve", {"SLO_SCOUT_LOG_LEVEL": "loud"}, "SLO_SCOUT_LOG_LEVEL: must be one of"),
    ("serve", {"SLO_SCOUT_DATABASE_URL": "not a url"}, "SLO_SCOUT_DATABASE_URL"),
    ("serve", {"SLO_SCOUT_AUTH__OIDC_ALGORITHMS": "RS256"}, "written as JSON"),
    ("serve", {"SLO_SCOUT_HOST": "no-such-host.invalid"}, "SLO_SCOUT_HOST"),
    ("worker", {"SLO_SCOUT_JOBS__LEASE_SECONDS": "long"}, "SLO_SCOUT_JOBS__LEASE_SECONDS"),
    ("migrate", {"SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY": "ssk_x"},
     "SLO_SCOUT_AUTH__BOOTSTRAP_ADMIN_KEY"),
    ("keys", {"SLO_SCOUT_DATA_DIR": "/dev/null/slo-scout"}, "cannot create the data directory"),
])
def test_a_configuration_mistake_is_one_line_on_stderr_and_exit_2(
    home: Path, command: str, variables: dict[str, str], named: str
) -> None:
    home.mkdir()
    args = ["keys", "create"] if command == "keys" else [command]
    if command == "worker":
        args.append("--once")
    done = subprocess.run(_command(*args), env=_env(home, **variables), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("configuration error: "), done.stderr
    assert named in lines[0]
    for secret in ("not-a-key", "ssk_x"):
        assert secret not in done.stderr
