"""A settings.json of the wrong shape: one sentence per bad key, that key's default, no more."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from ninja_desk.settings import Settings


def _write(tmp_path: Path, values: object) -> None:
    (tmp_path / "settings.json").write_text(json.dumps(values), encoding="utf-8")


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_string_interval_falls_back_for_that_key_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(
        tmp_path,
        {"sync_interval_minutes": "15", "client_id": "desk-native", "region": "eu", "demo": True},
    )
    with caplog.at_level(logging.WARNING):
        settings = Settings.load(tmp_path)
    assert settings.sync_interval_minutes == 15
    assert (settings.client_id, settings.region, settings.demo) == ("desk-native", "eu", True)
    (message,) = _warnings(caplog)
    assert "'sync_interval_minutes'" in message and "whole number" in message
    assert "not text" in message and "default (15)" in message
    assert settings.load_problems == [message]
    assert "\n" not in message and message.count(". ") == 0  # one sentence


@pytest.mark.parametrize(
    ("key", "bad", "expected_words"),
    [
        ("sync_interval_minutes", 0, "from 1 to"),
        ("sync_interval_minutes", 2.5, "whole number"),
        ("sync_interval_minutes", True, "whole number"),
        ("stale_after_days", 10_000, "from 1 to 365"),
        ("auto_sync", "yes", "true or false"),
        ("auto_sync", 1, "true or false"),
        ("scopes", "monitoring management", "a list of text"),
        ("scopes", ["monitoring", 7], "a list of text"),
        ("relay_endpoint", None, "text"),
        ("client_id", 12345, "text (or null)"),
        ("relay_url", {"url": "https://relay"}, "text"),
    ],
)
def test_each_wrong_shape_names_its_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, key: str, bad: object, expected_words: str
) -> None:
    _write(tmp_path, {key: bad, "psa_tenant": "acme"})
    with caplog.at_level(logging.WARNING):
        settings = Settings.load(tmp_path)
    assert getattr(settings, key) == getattr(Settings(), key)
    assert settings.psa_tenant == "acme"
    (message,) = _warnings(caplog)
    assert f"'{key}'" in message and expected_words in message


def test_good_values_of_every_type_load_without_warnings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = {
        "sync_interval_minutes": 5,
        "stale_after_days": 365,
        "auto_sync": False,
        "scopes": ["monitoring"],
        "client_id": None,
        "relay_url": "https://relay.example",
        "unknown_future_key": {"anything": 1},
    }
    _write(tmp_path, good)
    with caplog.at_level(logging.WARNING):
        settings = Settings.load(tmp_path)
    assert _warnings(caplog) == [] and settings.load_problems == []
    assert settings.sync_interval_minutes == 5 and settings.scopes == ["monitoring"]
    # Saving never writes the load problems into the file.
    settings.save(tmp_path)
    assert "load_problems" not in json.loads((tmp_path / "settings.json").read_text())


def test_a_file_that_is_not_an_object_gives_defaults_and_a_sentence(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _write(tmp_path, ["sync_interval_minutes", 5])
    with caplog.at_level(logging.WARNING):
        settings = Settings.load(tmp_path)
    assert settings == Settings()
    (message,) = _warnings(caplog)
    assert "does not hold a JSON object" in message


def test_the_bad_value_is_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Someone pasted a secret into the wrong key: the log names the key, not the value.
    _write(tmp_path, {"sync_interval_minutes": "sk-live-9f1c2e5d", "scopes": "sk-live-9f1c2e5d"})
    with caplog.at_level(logging.DEBUG):
        Settings.load(tmp_path)
    assert len(_warnings(caplog)) == 2
    assert "sk-live" not in caplog.text


class _AnyPsa(SimpleNamespace):
    """A desktop PSA stand-in: whatever else the agent asks of it is None (read-only desktop)."""

    def __getattr__(self, name: str) -> None:
        return None


def test_the_desktop_agent_starts_with_a_string_interval(tmp_path: Path) -> None:
    """The background agent read `max(1, "15")` and crashed; now it gets the default."""
    from ninja_desk.sync.desktop_runtime import DesktopAgent

    _write(tmp_path, {"sync_interval_minutes": "15", "relay_url": "https://relay.example"})
    settings = Settings.load(tmp_path)
    psa = _AnyPsa(tenant=uuid.uuid4(), integration_id=uuid.uuid4(), user_name="tech")
    agent = DesktopAgent(
        cache=SimpleNamespace(),  # type: ignore[arg-type]
        engine=SimpleNamespace(api=None),  # type: ignore[arg-type]
        psa=psa,  # type: ignore[arg-type]
        settings=settings,
        data_dir=tmp_path,
        ninjaone_url="https://app.ninjarmm.com",
        relay_token=None,
        on_changed=lambda: None,
        on_relay_state=lambda _state: None,
    )
    assert agent.config.sync_interval == 15 * 60.0


def test_keys_of_a_newer_version_are_kept_when_saving(tmp_path: Path) -> None:
    _write(tmp_path, {"region": "eu", "future_feature": {"enabled": True}})
    settings = Settings.load(tmp_path)
    assert settings.load_problems == []
    settings.auto_sync = False
    settings.save(tmp_path)
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["future_feature"] == {"enabled": True}
    assert (saved["region"], saved["auto_sync"]) == ("eu", False)
    assert "unknown_keys" not in saved and "load_problems" not in saved


def test_a_file_written_by_the_previous_version_loads_as_it_was(tmp_path: Path) -> None:
    # settings.json as NinjaDesk 0.1 wrote it (json.dumps of every field, sorted).
    old = {
        "auto_sync": True, "client_id": "desk-native", "custom_base_url": None, "demo": False,
        "first_run_done": True, "keep_running_in_tray": False, "notifications_paused": True,
        "psa_tenant": "acme", "psa_url": "sqlite:////tmp/psa.sqlite3", "region": "oc",
        "relay_endpoint": "hooks-acme", "relay_url": "https://relay.example",
        "scopes": ["monitoring"], "stale_after_days": 7, "sync_interval_minutes": 60,
        "webhook_registered": True,
    }  # fmt: skip
    _write(tmp_path, old)
    settings = Settings.load(tmp_path)
    assert settings.load_problems == []
    settings.save(tmp_path)
    assert json.loads((tmp_path / "settings.json").read_text()) == old


def test_a_bad_environment_variable_is_one_sentence_and_the_rest_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ninja_desk.settings import load_environment

    monkeypatch.setenv("NINJA_DESK_THEME", "purple-sk-live-1234")
    monkeypatch.setenv("NINJA_DESK_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "sk-live-9f1c2e5d")
    env, problems = load_environment()
    assert env.theme is None and env.log_dir == tmp_path / "logs"
    assert env.client_secret is not None
    assert env.client_secret.get_secret_value() == "sk-live-9f1c2e5d"
    assert "sk-live" not in repr(env)  # secrets print as stars
    (problem,) = problems
    assert problem.startswith("Environment variable NINJA_DESK_THEME is ignored")
    assert "'dark' or 'light'" in problem and "purple" not in problem
    # The desktop shows it with the settings problems (once, as a notice).
    with caplog.at_level(logging.WARNING):
        settings = Settings.load(tmp_path)
    assert settings.load_problems == [problem]


def test_dark_and_light_are_read_whatever_their_case(monkeypatch: pytest.MonkeyPatch) -> None:
    from ninja_desk.settings import load_environment

    monkeypatch.setenv("NINJA_DESK_THEME", " Dark ")
    env, problems = load_environment()
    assert (env.theme, problems) == ("dark", [])


def test_a_misspelt_environment_variable_is_named() -> None:
    from ninja_desk.settings import unknown_environment

    environ = {"NINJA_DESK_DATADIR": "/srv/nd", "NINJA_DESK_DATA_DIR": "/srv/nd", "HOME": "/root"}
    assert unknown_environment(environ) == ["NINJA_DESK_DATADIR"]
