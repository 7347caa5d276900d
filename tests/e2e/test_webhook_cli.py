"""`trading-terminal webhook ...` in a subprocess, beside a running terminal on the same data
dir: an endpoint added from the command line gets a signed ping the command queued, the
delivery log lists it, a redelivery arrives with the same webhook-id; an inbound hook added
from the command line takes a TradingView-style alert and lists the request; refusals name
the field. Secrets: printed once on creation, never by `list`.

Both processes use FileKeyring (below), a keyring backend on a JSON file, since a test box
has no OS keyring; the subprocess is pointed at it with PYTHON_KEYRING_BACKEND."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import keyring
import orjson
import pytest
from keyring.backend import KeyringBackend
from standardwebhooks import Webhook

from local_api.webhooks.config import WebhookSettings
from terminal.cli import main as cli_main
from tests.api.live import LiveTerminal, settings
from tests.api.test_webhooks_kit import Receiver, start_receiver, until
from tests.data_paths import REPO_ROOT

KEYRING_FILE_VAR = "TT_TEST_KEYRING_FILE"


class FileKeyring(KeyringBackend):
    """Secrets in the JSON file named by $TT_TEST_KEYRING_FILE (tests only: plain text)."""

    # keyring instantiates every backend class when it looks for one: only a process given
    # the file (a subprocess of these tests) may pick this one by itself
    priority = 1 if os.environ.get(KEYRING_FILE_VAR) else -1  # type: ignore[assignment]

    def __init__(self, path: Path | None = None) -> None:
        super().__init__()
        self.path = path or Path(os.environ.get(KEYRING_FILE_VAR, "keyring.json"))

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\n{username}"] = password
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(self.path)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\n{username}", None)
        self.path.write_text(json.dumps(data))


def keyring_env(path: Path) -> dict[str, str]:
    """The environment of a subprocess that keeps its secrets in `path`."""
    return {**os.environ, "PYTHON_KEYRING_BACKEND": f"{__name__}.FileKeyring",
            KEYRING_FILE_VAR: str(path), "PYTHONPATH": str(REPO_ROOT)}


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[Path, dict[str, str], LiveTerminal, Receiver]]:
    base = tmp_path_factory.mktemp("webhook-cli")
    secrets_file = base / "keyring.json"
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring(secrets_file))
    receiver = start_receiver()
    term = LiveTerminal(base / "data", settings(webhooks=WebhookSettings(poll_s=0.2))).start()
    try:
        term.wait_replayed()
        yield base / "data", keyring_env(secrets_file), term, receiver
    finally:
        term.stop()
        receiver.server.shutdown()
        keyring.set_keyring(previous)


def cli(setup: tuple[Path, dict[str, str], Any, Any], *args: str
        ) -> subprocess.CompletedProcess[str]:
    data_dir, env = setup[0], setup[1]
    return subprocess.run([sys.executable, "-m", "terminal", "webhook", *args,
                           "--data-dir", str(data_dir)], capture_output=True, text=True,
                          timeout=60, env=env, cwd=REPO_ROOT)


def test_endpoint_from_the_cli_gets_a_signed_ping_and_a_redelivery(setup: Any) -> None:
    _dir, _env, term, receiver = setup
    added = cli(setup, "add", "--url", receiver.url + "/cli", "--events", "order.*",
                "webhook.ping", "--description", "from the cli", "--json")
    assert added.returncode == 0, added.stderr
    created = orjson.loads(added.stdout)
    secret = created["secret"]
    assert secret.startswith("whsec_") and created["events"] == ["order.*", "webhook.ping"]
    endpoint_id = created["endpoint_id"]

    listed = cli(setup, "list")
    assert listed.returncode == 0 and endpoint_id in listed.stdout
    assert "enabled" in listed.stdout and secret not in listed.stdout + listed.stderr

    queued = cli(setup, "test", endpoint_id, "--json")
    assert queued.returncode == 0, queued.stderr
    msg_id = orjson.loads(queued.stdout)["msg_id"]
    got = until(lambda: receiver.on("/cli"), "the ping at the receiver")[0]
    payload = Webhook(secret).verify(got.body, got.headers)
    assert got.headers["webhook-id"] == msg_id and payload["type"] == "webhook.ping"
    assert payload["data"]["endpoint_id"] == endpoint_id

    repo = term.engine.db.webhooks
    until(lambda: (m := repo.message(msg_id)) is not None and m.status == "delivered",
          "the delivery logged as delivered")
    out = cli(setup, "deliveries", "--endpoint", endpoint_id, "--status", "delivered", "--json")
    [row] = [m for m in orjson.loads(out.stdout) if m["msg_id"] == msg_id]
    assert row["event_type"] == "webhook.ping" and row["last_status_code"] == 200
    table = cli(setup, "deliveries")
    assert msg_id in table.stdout and "delivered" in table.stdout

    again = cli(setup, "redeliver", msg_id)
    assert again.returncode == 0 and "same webhook-id" in again.stdout
    second = until(lambda: len(r := receiver.on("/cli")) >= 2 and r, "the redelivery")[1]
    assert second.headers["webhook-id"] == msg_id
    Webhook(secret).verify(second.body, second.headers)

    removed = cli(setup, "remove", endpoint_id)
    assert removed.returncode == 0
    gone = cli(setup, "remove", endpoint_id)
    assert gone.returncode == 1 and f"endpoint_id: no webhook endpoint {endpoint_id}" in \
        gone.stderr


@pytest.mark.parametrize(("args", "field"), [
    (("add", "--url", "ftp://example.org/x", "--events", "fill"), "url: "),
    (("add", "--url", "http://127.0.0.1:9/x", "--events", "fills"), "events: fills"),
    (("add", "--url", "http://127.0.0.1:9/x", "--events", "fill", "--max-concurrency",
      "100"), "max_concurrency"),
    (("redeliver", "msg_nosuchmessage"), "msg_id: "),
    (("test", "ep_nosuchendpoint"), "endpoint_id: "),
    (("hooks", "add", "--name", "x", "--template", "{not json"), "template: "),
    (("hooks", "add", "--name", "x", "--secret", "short"), "secret: "),
])
def test_refusals_name_the_bad_field(setup: Any, capsys: pytest.CaptureFixture[str],
                                     args: tuple[str, ...], field: str) -> None:
    """In this process (the same main() as the command), to keep the test quick."""
    code = cli_main(["webhook", *args, "--data-dir", str(setup[0])])
    err = capsys.readouterr().err
    assert code in (1, 2)
    assert err.startswith("error: ") and field in err, err


def test_hook_from_the_cli_takes_an_alert_and_lists_the_request(setup: Any) -> None:
    _dir, _env, term, _receiver = setup
    template = {"venue": "BINANCE", "kind": "signal", "fields": {"instrument": "ticker"}}
    added = cli(setup, "hooks", "add", "--name", "tradingview", "--template",
                json.dumps(template), "--json")
    assert added.returncode == 0, added.stderr
    hook = orjson.loads(added.stdout)
    assert hook["path"] == f"/hooks/{hook['hook_id']}"
    listed = cli(setup, "hooks", "list")
    assert hook["hook_id"] in listed.stdout and hook["secret"] not in listed.stdout
    answer = httpx.post(term.url + hook["path"], timeout=10, json={
        "secret": hook["secret"], "action": "buy", "ticker": "NKNUSDT"})
    assert answer.status_code == 202, answer.text
    wrong = httpx.post(term.url + hook["path"], timeout=10, json={
        "secret": "not-the-secret", "action": "buy", "ticker": "NKNUSDT"})
    assert wrong.status_code == 401
    requests = orjson.loads(cli(setup, "hooks", "requests", hook["hook_id"], "--json").stdout)
    assert [(r["status_code"], r["outcome"]) for r in requests] == [
        (401, "hook-unauthorized"), (202, "signal")]
    assert cli(setup, "hooks", "remove", hook["hook_id"]).returncode == 0


def test_endpoints_are_disabled_enabled_and_rotated_from_the_cli(setup: Any) -> None:
    _dir, _env, term, receiver = setup
    added = cli(setup, "add", "--url", receiver.url + "/rot", "--events", "webhook.ping",
                "--json")
    endpoint_id = orjson.loads(added.stdout)["endpoint_id"]
    old = orjson.loads(added.stdout)["secret"]
    assert cli(setup, "disable", endpoint_id).returncode == 0
    repo = term.engine.db.webhooks
    assert repo.endpoint(endpoint_id).enabled is False
    assert cli(setup, "enable", endpoint_id).returncode == 0
    assert repo.endpoint(endpoint_id).enabled is True
    rotated = cli(setup, "rotate", endpoint_id)
    assert rotated.returncode == 0, rotated.stderr
    new = rotated.stdout.split("new signing secret: ", 1)[1].split()[0]
    assert new.startswith("whsec_") and new != old
    assert "shown only this once" in rotated.stderr
    missing = cli(setup, "enable", "nosuchendpoint")
    assert missing.returncode != 0 and "endpoint_id" in missing.stderr
