"""`ninja-desk-sim serve` announces its URL on stdout; control subcommands change it."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import httpx
import pytest

from ninja_desk.simulator import SimulatorConfig, run_simulator_in_thread
from ninja_desk.simulator.cli import build_parser, main


def test_serve_prints_base_url_and_answers() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ninja_desk.simulator.cli",
            "serve",
            "--devices",
            "12",
            "--orgs",
            "2",
            "--seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base_url = json.loads(line)["base_url"]
        assert base_url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{base_url}/_sim/health").json()["devices"] == 12
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_control_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with run_simulator_in_thread(SimulatorConfig(orgs=2, devices=10, seed=2)) as sim:
        url = ["--url", sim.base_url]
        assert main([*url, "device", "rename", "3", "Front desk"]) == 0
        assert json.loads(capsys.readouterr().out)["displayName"] == "Front desk"
        assert main([*url, "alert", "trigger", "3", "--severity", "MAJOR"]) == 0
        uid = json.loads(capsys.readouterr().out)["uid"]
        assert main([*url, "alert", "reset", uid]) == 0
        assert json.loads(capsys.readouterr().out)["statusCode"] == "RESET"
        assert main([*url, "device", "offline", "4"]) == 0
        assert json.loads(capsys.readouterr().out)["offline"] is True
        assert main([*url, "faults", "--rate-429", "0.5", "--retry-after", "3"]) == 0
        faults = json.loads(capsys.readouterr().out)
        assert faults["rate_429"] == 0.5 and faults["retry_after"] == 3
        assert main([*url, "webhook", "--admin", "no"]) == 0
        assert json.loads(capsys.readouterr().out)["admin"] is False
        assert main([*url, "device", "delete", "999"]) == 1
        assert "404" in capsys.readouterr().err
    assert main(["--url", "http://127.0.0.1:9", "stats"]) == 2


def _undocumented(parser: argparse.ArgumentParser, path: str = "") -> list[str]:
    """Options and subcommands without help text, walking every subparser."""
    missing: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {a.dest for a in action._choices_actions if a.help}
            for name, sub in action.choices.items():
                if name not in helped:
                    missing.append(f"{path} {name}".strip())
                missing += _undocumented(sub, f"{path} {name}".strip())
        elif action.help is None and not isinstance(action, argparse._HelpAction):
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}".strip())
    return missing


def test_help_lists_every_subcommand_and_documents_every_option() -> None:
    parser = build_parser()
    text = parser.format_help()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(commands.choices) >= 12
    for name in commands.choices:
        assert f"    {name} " in text, name
    assert _undocumented(parser) == []


def test_offline_report_choice_reaches_the_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    with run_simulator_in_thread(SimulatorConfig(orgs=2, devices=10, seed=2)) as sim:
        url = ["--url", sim.base_url]
        assert main([*url, "device", "offline", "4", "--report", "condition"]) == 0
        assert json.loads(capsys.readouterr().out)["offline"] is True
        alerts = sim.tenant.alerts.values()
        assert any(a["deviceId"] == 4 and a["sourceType"] == "AGENT_OFFLINE" for a in alerts)
        assert main([*url, "device", "online", "4", "--report", "condition"]) == 0
        assert not any(a["deviceId"] == 4 for a in sim.tenant.alerts.values()
                       if a["sourceType"] == "AGENT_OFFLINE")  # fmt: skip


def test_jobs_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with run_simulator_in_thread(SimulatorConfig(orgs=2, devices=10, seed=2)) as sim:
        url = ["--url", sim.base_url]
        assert main([*url, "jobs", "duration", "2.5"]) == 0
        assert json.loads(capsys.readouterr().out)["duration"] == 2.5
        outcome = ["jobs", "outcome", "failure", "--device", "3", "--action", "reboot"]
        assert main([*url, *outcome, "--message", "Hung", "--times", "2"]) == 0
        rules = json.loads(capsys.readouterr().out)["rules"]
        assert rules == [
            {
                "device_id": 3,
                "action": "reboot",
                "result": "FAILURE",
                "message": "Hung",
                "remaining": 2,
            }
        ]
        assert sim.state.actions.jobs.settings.decide(3, "reboot") == (False, "Hung")
        assert sim.state.actions.jobs.settings.decide(3, "script") == (True, None)
        assert main([*url, "jobs", "show"]) == 0
        assert json.loads(capsys.readouterr().out)["running"] == []
        assert main([*url, "jobs", "clear"]) == 0
        assert json.loads(capsys.readouterr().out)["rules"] == []
        assert main([*url, "jobs", "duration", "-1"]) == 1
        assert "duration" in capsys.readouterr().err
