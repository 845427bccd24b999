"""`ninja-desk device ...` end to end: the simulator over loopback, a real PSA (SQLite and
PostgreSQL), the Alga API key of a technician. Confirmation, per-device results, exit codes,
one-sentence refusals, and the rows Alga keeps."""

from __future__ import annotations

import io
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ninja_desk.cli.main import main
from ninja_desk.psa import tickets
from ninja_desk.psa.identity import create_api_key
from ninja_desk.psa.schema import asset_history, audit_logs, comments
from ninja_desk.psa.tenants import create_user, set_role_rights
from ninja_desk.settings import Settings
from ninja_desk.simulator import SimControl
from ninja_desk.sync.alga_api_key import ENV_API_KEY
from tests.alerts.seed import add_asset, add_client, add_integration
from tests.psa.conftest import (  # noqa: F401
    PsaEnv,
    pg_server,
    pg_server_url,
    psa,
    sqlite_template,
)


@dataclass
class Cli:
    env: PsaEnv
    base: list[str]  # --data-dir, NinjaOne and PSA options
    devices: list[int]
    assets: dict[int, uuid.UUID]
    ticket: str
    ticket_id: uuid.UUID
    tech_key: str
    idle_key: str
    data_dir: Path

    def args(self, verb: str, *rest: str) -> list[str]:
        poll = [] if verb in ("jobs", "scripts", "fields") else ["--poll-interval", "0.05"]
        return [self.base[0], self.base[1], "device", verb, *rest, *self.base[2:], *poll]


@pytest.fixture
def cli(
    psa: PsaEnv,  # noqa: F811 (the imported fixture)
    sim: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "demo-secret")
    monkeypatch.delenv("NINJA_DESK_DATA_DIR", raising=False)
    connection = ["--ninjaone-url", sim.base_url, "--client-id", "demo-client"]
    assert main(["--data-dir", str(tmp_path), "sync", "--json", *connection]) == 0
    capsys.readouterr()
    online = sorted(
        d.id
        for d in sim.tenant.fleet.devices.values()
        if d.node_class == "WINDOWS_WORKSTATION" and not d.offline
    )[:4]
    suffix = uuid.uuid4().hex[:4]
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        add_integration(s, sim.base_url)
        client = add_client(s, "Acme")
        assets = {d: add_asset(s, client, d, 1) for d in online}
        tech = create_user(s, f"tech{suffix}", ["Technician"], email=f"t{suffix}@msp.example")
        # Dispatchers of this tenant work tickets but may not act on devices.
        set_role_rights(
            s, "Dispatcher", [("asset", "read"), ("ticket", "read"), ("ticket", "create")]
        )
        idle = create_user(s, f"idle{suffix}", ["Dispatcher"], email=f"i{suffix}@msp.example")
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        ticket = tickets.create_ticket(s, client_id=client, title="Printer offline")
    tech_key = create_api_key(psa.psa, psa.tenant, tech)
    idle_key = create_api_key(psa.psa, psa.tenant, idle)
    monkeypatch.setenv(ENV_API_KEY, tech_key)
    base = ["--data-dir", str(tmp_path), *connection, "--psa-url", psa.psa.url]
    base += ["--tenant", str(psa.tenant)]
    return Cli(psa, base, online, assets, ticket.ticket_number, ticket.ticket_id, tech_key,
               idle_key, tmp_path)  # fmt: skip


def _history(cli: Cli, device_id: int) -> list[dict[str, Any]]:
    h = asset_history.c
    with cli.env.psa.tenant_session(cli.env.tenant) as s:
        return [
            dict(r.changes)
            for r in s.conn.execute(
                sa.select(h.changes)
                .where(h.tenant == cli.env.tenant, h.asset_id == cli.assets[device_id])
                .order_by(h.changed_at)
            )
        ]


def _operations(cli: Cli) -> list[str]:
    a = audit_logs.c
    with cli.env.psa.tenant_session(cli.env.tenant) as s:
        return list(
            s.conn.scalars(
                sa.select(a.operation)
                .where(a.tenant == cli.env.tenant, a.operation.like("device_action.%"))
                .order_by(a.timestamp)
            )
        )


def _notes(cli: Cli) -> list[str]:
    c = comments.c
    with cli.env.psa.tenant_session(cli.env.tenant) as s:
        return list(
            s.conn.scalars(
                sa.select(c.markdown_content).where(
                    c.tenant == cli.env.tenant, c.ticket_id == cli.ticket_id, c.is_internal
                )
            )
        )


def test_bulk_reboot_from_a_ticket_prints_a_result_per_device(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = cli.devices[:2]
    code = main(
        cli.args("reboot", str(first), str(second), "--ticket", cli.ticket, "--yes", "--json")
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    assert result["ok"] and result["ticket"] == cli.ticket and result["record_errors"] == []
    assert [(r["device_id"], r["result"]) for r in result["results"]] == [
        (first, "SUCCESS"),
        (second, "SUCCESS"),
    ]
    # progress on stderr, following each job to its end
    assert "SENT" in captured.err and "SUCCESS" in captured.err
    assert [h["result"]["new"] for h in _history(cli, first)] == ["sent", "SUCCESS"]
    assert _operations(cli).count("device_action.finished") == 2
    (note,) = _notes(cli)
    assert "2 of 2 succeeded" in note


def test_a_failure_or_an_offline_device_exits_1_with_the_reason(
    cli: Cli, sim: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = cli.devices[:2]
    with SimControl(sim.base_url) as ctl:
        ctl.set_job_outcome("failure", device_id=first, action="script", message="Exit code 3")
        ctl.set_offline(second)
    assert main(cli.args("scripts", str(first), "--json")) == 0
    options = json.loads(capsys.readouterr().out)
    script = next(s for s in options["scripts"] if s["type"] == "SCRIPT")
    code = main(
        cli.args("script", str(first), str(second), "--script-id", str(script["id"]), "--yes")
    )
    out = capsys.readouterr().out
    assert code == 1
    lines = out.splitlines()
    assert "failure" in lines[0] and "Exit code 3" in lines[0]
    assert "not sent" in lines[1] and "offline" in lines[1]
    assert lines[2] == f"Run {script['id']}: 0 of 2 succeeded."
    assert _history(cli, second)[0]["result"]["new"] == "NOT_SENT"


def test_without_rmm_execute_command_nothing_is_sent(
    cli: Cli, sim: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV_API_KEY, cli.idle_key)
    code = main(cli.args("reboot", str(cli.devices[0]), "--yes"))
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "rmm:execute_command" in err, err
    with SimControl(sim.base_url) as ctl:
        assert ctl.jobs()["finished"] == []
    assert _operations(cli) == ["device_action.refused"]


def test_an_unknown_device_and_a_missing_scope_are_sentences(
    cli: Cli, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(cli.args("patch", "999999", "--kind", "os", "--scan", "--yes")) == 1
    assert "NinjaOne has no device 999999" in capsys.readouterr().out
    settings = Settings.load(cli.data_dir)
    settings.scopes = ["monitoring", "management"]
    settings.save(cli.data_dir)
    assert main(cli.args("reboot", str(cli.devices[0]), "--yes")) == 2
    err = capsys.readouterr().err
    assert err.startswith("ninja-desk: The NinjaOne API app lacks the Control scope")
    assert err.count("\n") == 1


def test_the_question_names_the_devices_and_no_means_nothing_sent(
    cli: Cli, sim: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = cli.devices[:2]
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(cli.args("reboot", str(first), str(second), "--forced")) == 1
    err = capsys.readouterr().err
    assert err.startswith("Warning: Force a reboot of 2 devices (")
    assert "without saving" in err and "Cancelled: nothing was sent." in err
    assert f"{first:>8}  " in err and f"{second:>8}  " in err
    with SimControl(sim.base_url) as ctl:
        assert ctl.jobs()["finished"] == []
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(cli.args("reboot", str(first))) == 2
    assert "add --yes" in capsys.readouterr().err


def test_service_maintenance_jobs_and_fields(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    device = str(cli.devices[2])
    assert main(cli.args("service", device, "--service", "Spooler", "--restart", "--yes")) == 0
    assert "Restart service Spooler: 1 of 1 succeeded." in capsys.readouterr().out
    assert main(cli.args("maintenance", device, "--until", "2099-01-01T08:00", "--yes")) == 0
    assert "Start maintenance: 1 of 1" in capsys.readouterr().out
    assert main(cli.args("maintenance", device, "--off", "--yes")) == 0
    capsys.readouterr()
    assert main(cli.args("maintenance", device, "--until", "2001-01-01T08:00", "--yes")) == 2
    assert "in the past" in capsys.readouterr().err
    assert main(cli.args("jobs", device, "--json")) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(cli.args("fields", device, "--json")) == 0
    fields = json.loads(capsys.readouterr().out)
    name = next(k for k, v in fields.items() if isinstance(v, str))
    assert main(cli.args("fields", device, "--set", f"{name}=from the cli", "--yes")) == 0
    assert re.search(rf"^{name} +from the cli$", capsys.readouterr().out, re.M)
    kinds = [h["action"] for h in _history(cli, cli.devices[2])]
    assert kinds == ["service", "service", "maintenance", "maintenance_off", "custom_fields"]


def test_403_without_the_control_scope_is_one_sentence(
    cli: Cli, sim: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The API app was granted Monitoring and Management only: NinjaOne answers 403.
    from ninja_desk.ninjaone import tokens

    original = tokens.OAuthTokenProvider.__init__

    def without_control(self: Any, *args: Any, **kw: Any) -> None:
        kw["scopes"] = ("monitoring", "management")
        original(self, *args, **kw)

    monkeypatch.setattr(tokens.OAuthTokenProvider, "__init__", without_control)
    code = main(cli.args("reboot", *map(str, cli.devices[:2]), "--yes"))
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert code == 2, captured
    assert err[-1].startswith("ninja-desk: NinjaOne refused to reboot on device ")
    assert "needs the Control scope" in err[-1]
    with SimControl(sim.base_url) as ctl:
        assert ctl.jobs()["finished"] == []
    assert _history(cli, cli.devices[0])[0]["result"]["new"] == "REFUSED"
