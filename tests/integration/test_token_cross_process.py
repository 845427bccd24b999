"""Two real processes (say the app and the agent) renew one rotating session at the same time.

They share the refresh token through one credential store (an encrypted file here, the OS
keyring in production) and the refresh lock file in the data dir. Each must end up with a
working token: the second one, after taking the lock, re-reads the store and renews with the
token the first one just rotated, instead of replaying the dead one (`invalid_grant`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ninja_desk.ninjaone.credentials import REFRESH_TOKEN, EncryptedFileSecrets
from ninja_desk.simulator import SimControl, SimulatorConfig, run_simulator_in_thread

CHILD = r"""
import asyncio, os, sys, time
from ninja_desk.ninjaone.credentials import EncryptedFileSecrets, KeyringTokenStore
from ninja_desk.ninjaone.tokens import OAuthTokenProvider
base, path, lock, gate = sys.argv[1:]
store = KeyringTokenStore(EncryptedFileSecrets(path, "pw", "svc"))
store.load()  # both processes start with the same refresh token in memory
print("ready", flush=True)
while not os.path.exists(gate):
    time.sleep(0.005)
provider = OAuthTokenProvider(base, "desk-native", store=store, lock_path=lock)
async def main():
    try:
        await provider.refresh_after_unauthorized("rejected")
        print("ok", provider.refresh_count, flush=True)
    except Exception as exc:
        print("failed", type(exc).__name__, flush=True)
asyncio.run(main())
"""


def test_two_processes_renew_a_rotating_session(tmp_path: Path) -> None:
    import asyncio

    import httpx

    from ninja_desk.ninjaone.oauth_loopback import LoopbackLogin, LoopbackSettings

    secrets_file = tmp_path / "secrets.enc"
    lock = tmp_path / "token.lock"
    gate = tmp_path / "go"
    with run_simulator_in_thread(SimulatorConfig(orgs=1, devices=2, seed=1)) as sim:

        async def sign_in() -> str:
            async def visit(url: str) -> None:
                async with httpx.AsyncClient(follow_redirects=True) as http:
                    await http.get(url + "&decision=allow")

            tasks: list[asyncio.Task[None]] = []
            login = LoopbackLogin(
                LoopbackSettings(sim.base_url, "desk-native"),
                opener=lambda u: tasks.append(asyncio.create_task(visit(u))) or True,
            )
            tokens = await login.run()
            assert tokens.refresh_token
            return tokens.refresh_token

        first = asyncio.run(sign_in())
        EncryptedFileSecrets(secrets_file, "pw", "svc").set(REFRESH_TOKEN, first)
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    CHILD,
                    sim.base_url,
                    str(secrets_file),
                    str(lock),
                    str(gate),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=Path(__file__).resolve().parents[2],
            )
            for _ in range(2)
        ]
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready", child.stderr
        gate.touch()
        results = [child.communicate(timeout=60)[0].strip() for child in children]
        with SimControl(sim.base_url) as control:  # closed: no leaked socket
            stats = control.stats()

    assert results == ["ok 1", "ok 1"], results
    assert stats["endpoints"]["POST /ws/oauth/token"] == {"200": 3}  # code + two refreshes
    final = EncryptedFileSecrets(secrets_file, "pw", "svc").get(REFRESH_TOKEN)
    assert final and final != first
