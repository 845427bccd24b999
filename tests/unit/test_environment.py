"""The NINJA_DESK_* variables are read through one table (ninja_desk/environment.py).

Each module that used to read os.environ itself still honours its variable; a variable with a
bad value is one sentence and every other variable still applies; a variable set while the
process runs (the demo, --data-dir, a test) is seen by the next read; secrets print as stars.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from ninja_desk import paths
from ninja_desk.environment import (
    Environment,
    environment,
    load_environment,
    reveal,
    unknown_environment,
    variable,
)
from ninja_desk.ninjaone import credentials, webhooks
from ninja_desk.settings import Settings

SECRET_VARIABLES = [
    name for name, info in Environment.model_fields.items() if "SecretStr" in repr(info.annotation)
]


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No NINJA_DESK_* variable of the machine running the tests leaks into these."""
    import os

    for name in list(os.environ):
        if name.upper().startswith("NINJA_DESK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("NINJA_DESK_DATA_DIR", str(tmp_path / "data"))


def test_every_secret_is_a_secret_str() -> None:
    assert set(SECRET_VARIABLES) >= {
        "client_secret",
        "refresh_token",
        "webhook_secret",
        "relay_token",
        "passphrase",
        "token_passphrase",
        "alga_api_key",
        "alga_redis_password",
    }


def test_a_bad_value_is_one_sentence_and_every_other_variable_still_applies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NINJA_DESK_THEME", "sk-live-wrong-variable")
    monkeypatch.setenv("NINJA_DESK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("NINJA_DESK_RELAY_TOKEN", "ndr_sub_secret")
    env, problems = load_environment()
    assert problems == [
        "Environment variable NINJA_DESK_THEME is ignored: input should be 'dark' or 'light'."
    ]
    assert env.theme is None
    assert reveal(env.relay_token) == "ndr_sub_secret"
    # The readers never see the bad value and never raise for it.
    assert environment().theme is None
    assert paths.data_dir() == tmp_path / "data"
    from ninja_desk.ui.theme import system_prefers_dark

    assert isinstance(system_prefers_dark(), bool)
    with caplog.at_level(logging.INFO):
        settings = Settings.load()
    assert settings.load_problems == problems
    assert "sk-live" not in caplog.text and "ndr_sub_secret" not in caplog.text


def test_secrets_print_as_stars(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_VARIABLES:
        monkeypatch.setenv(variable(name), f"very-secret-{name}")
    env = environment()
    assert "very-secret" not in repr(env) and "very-secret" not in str(env)
    assert "very-secret" not in env.model_dump_json()
    assert reveal(env.client_secret) == "very-secret-client_secret"


def test_a_variable_set_while_the_process_runs_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    assert environment().client_secret is None
    monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "set-by-the-demo")  # as cli/demo.py does
    assert reveal(environment().client_secret) == "set-by-the-demo"
    monkeypatch.delenv("NINJA_DESK_CLIENT_SECRET")
    assert environment().client_secret is None


def test_a_mapping_or_a_table_stands_in_for_the_process_environment() -> None:
    given = {"NINJA_DESK_RELAY_TOKEN": "tok", "NINJA_DESK_THEME": "", "HOME": "/root"}
    env = environment(given)
    assert reveal(env.relay_token) == "tok" and env.theme is None
    assert environment(env) is env
    assert environment({"ninja_desk_relay_token": "any case"}).relay_token is not None
    assert environment({"NINJA_DESK_RELAY_TOKEN": "   "}).relay_token is None


def test_the_relays_own_variables_are_not_called_misspelt() -> None:
    environ = {"NINJA_DESK_RELAY_PORT": "8787", "NINJA_DESK_RELAY_TOKN": "x"}
    assert unknown_environment(environ) == []
    assert unknown_environment({"NINJA_DESK_DATADIR": "/srv"}) == ["NINJA_DESK_DATADIR"]


# -- each former os.environ reader still honours its variable ---------------------------------


def test_paths_read_the_data_and_log_dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert paths.data_dir() == tmp_path / "data"
    assert paths.log_dir() == tmp_path / "data" / "logs"  # a chosen data dir keeps its logs
    monkeypatch.delenv("NINJA_DESK_DATA_DIR")
    monkeypatch.setenv("NINJA_DESK_LOG_DIR", str(tmp_path / "elsewhere"))
    assert paths.log_dir() == tmp_path / "elsewhere"


@pytest.mark.parametrize(("value", "dark"), [("dark", True), ("LIGHT", False)])
def test_theme(monkeypatch: pytest.MonkeyPatch, value: str, dark: bool) -> None:
    from ninja_desk.ui.theme import system_prefers_dark

    monkeypatch.setenv("NINJA_DESK_THEME", value)
    assert system_prefers_dark() is dark


def test_credentials_read_the_client_secret_refresh_token_and_passphrase(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = "https://app.ninjarmm.com"
    monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "cs-env")
    assert credentials.stored_client_secret(base, "cid") == "cs-env"
    assert credentials.saved_credentials(base, "cid") == ("cs-env", None)
    secrets = credentials.open_secrets(base, "cid")
    assert isinstance(secrets, credentials.EnvSecrets)
    assert secrets.get(credentials.CLIENT_SECRET) == "cs-env"
    # The older name of the passphrase variable still works, and a mapping replaces os.environ.
    monkeypatch.setenv("NINJA_DESK_TOKEN_PASSPHRASE", "old name")
    assert credentials.encrypted_file_passphrase(tmp_path / "f", interactive=False) == "old name"
    given = {"NINJA_DESK_PASSPHRASE": "given"}
    assert credentials.encrypted_file_passphrase("f", environ=given, interactive=False) == "given"
    with pytest.raises(credentials.WrongPassphrase, match="set NINJA_DESK_PASSPHRASE"):
        credentials.encrypted_file_passphrase("f", environ={}, interactive=False)


def test_saved_credentials_find_the_encrypted_file_named_by_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = "https://app.ninjarmm.com"
    path = tmp_path / "secrets.enc"
    store = credentials.open_secrets(base, "cid", encrypted_file=path, passphrase="pw")
    store.set(credentials.REFRESH_TOKEN, "rt-in-file")
    monkeypatch.setenv("NINJA_DESK_ENCRYPTED_FILE", str(path))
    monkeypatch.setenv("NINJA_DESK_PASSPHRASE", "pw")
    secret, tokens = credentials.saved_credentials(base, "cid")
    assert secret is None and tokens is not None
    loaded = tokens.load()
    assert loaded is not None and loaded.refresh_token == "rt-in-file"


async def test_webhook_registration_reads_the_endpoint_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class NoNetwork:
        base_url = "https://app.ninjarmm.com"  # never called: the registration matches

    settings = Settings(relay_url="https://relay.example.com", webhook_registered=True)
    hook_url = webhooks.relay_hook_url(settings.relay_url or "", settings.relay_endpoint)
    config = webhooks.build_webhook_config(hook_url, "endpoint-secret")
    state = {"fingerprint": webhooks._fingerprint(NoNetwork.base_url, config)}
    (tmp_path / webhooks.STATE_FILE).write_text(json.dumps(state))
    client: Any = NoNetwork()

    monkeypatch.setenv("NINJA_DESK_WEBHOOK_SECRET", "endpoint-secret")
    done = await webhooks.ensure_webhook(client, settings, None, data_dir=tmp_path)
    assert done.outcome == "unchanged"  # the same secret as registered: read from the variable
    given = await webhooks.ensure_webhook(client, settings, None, data_dir=tmp_path, environ={})
    assert given.outcome == "no_secret"  # the mapping replaces the process environment


def test_alga_api_key_and_redis_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from ninja_desk.psa.alga_events import AlgaEventPublisher
    from ninja_desk.sync.alga_api_key import stored_api_key

    class NoKeyring:
        def get(self, key: str) -> str | None:
            raise AssertionError("the environment's key comes first")

    monkeypatch.setenv("NINJA_DESK_ALGA_API_KEY", "  alga-key  ")
    assert stored_api_key(NoKeyring()) == "alga-key"
    monkeypatch.setenv("NINJA_DESK_ALGA_REDIS_PASSWORD", "redis-pw")
    publisher = AlgaEventPublisher(None, "redis://127.0.0.1:1/0")  # type: ignore[arg-type]
    try:
        assert publisher.redis.connection_pool.connection_kwargs["password"] == "redis-pw"
    finally:
        publisher.close()


def test_the_desktop_reads_the_relay_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ninja_desk.ui import app

    monkeypatch.setenv("NINJA_DESK_RELAY_TOKEN", "ndr_sub_env")
    assert app.relay_token() == "ndr_sub_env"


def test_cli_credentials_state_and_agent_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from ninja_desk.cli.common import credentials_state

    base = "https://app.ninjarmm.com"
    monkeypatch.setenv("NINJA_DESK_ENCRYPTED_FILE", str(tmp_path / "missing.enc"))
    assert credentials_state(base, "cid").startswith("none: ")
    assert "missing.enc does not exist" in credentials_state(base, "cid")
    monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "cs")
    assert credentials_state(base, "cid") == "client secret from NINJA_DESK_CLIENT_SECRET"
