"""Relay benchmark: durable intake throughput, live delivery latency and memory under replay.
Prints one JSON line.

1. Throughput: 4 concurrent senders post webhooks as fast as the relay acknowledges them
   (SQLite, WAL, synchronous=FULL: every 200 is on disk).
2. Latency: 20 live SSE subscribers; webhooks are sent at a steady 500/s; latency is from the
   start of the POST to the event's arrival at each subscriber (p50/p99 over all deliveries).
3. Memory (skip with --no-memory): a second relay over a log of 700 events of ~1 MiB; 50
   streams replay from seq 0 while batch requests ask for limit=10000 over and over, for
   --memory-seconds; reports the relay's peak RSS (VmHWM) and /healthz latency, probed every
   20 ms from a separate process so the load generator's own work does not count.

The relay runs as a subprocess (`python -m ninja_desk.relay.cli serve`), like in production.
Usage: .venv/bin/python bench/relay_bench.py [--seconds 4] [--rate 500] [--subscribers 20]
       [--memory-events 700] [--memory-streams 50] [--memory-seconds 20] [--no-memory]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from ninja_desk.relay import admin
from ninja_desk.relay.store import Incoming, open_store

MIB = 1024 * 1024
# Runs in its own process: GETs /healthz every 20 ms, prints the latencies (seconds) as JSON.
_PROBE = """
import json, sys, time, http.client
host, port, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
out, end = [], time.monotonic() + seconds
conn = http.client.HTTPConnection(host, port, timeout=10)
while time.monotonic() < end:
    t0 = time.perf_counter()
    conn.request("GET", "/healthz")
    resp = conn.getresponse()
    resp.read()
    out.append(time.perf_counter() - t0 if resp.status == 200 else 99.0)
    time.sleep(0.02)
print(json.dumps(out))
"""


def _payload(activity_id: int) -> bytes:
    return json.dumps(
        {
            "id": activity_id,
            "activityTime": time.time(),
            "deviceId": 102,
            "seriesUid": "e6b0b0bd-5753-445d-9e4a-71c08983cbd5",
            "activityType": "CONDITION",
            "statusCode": "TRIGGERED",
            "status": "Triggered",
            "message": "Memory Utilization is greater than or equal to 80% for 5 minutes",
            "type": "Condition",
            "data": {"message": {"code": "vmm_cond_memory_usage_ge", "params": {"value": 84.8}}},
        }
    ).encode()


async def _throughput(base: str, secret: str, seconds: float, senders: int) -> float:
    """Each sender is one keep-alive connection posting back to back, like wrk: a lean
    hand-written HTTP/1.1 client, so the load generator does not eat the CPU it measures."""
    host, port = base.removeprefix("http://").split(":")
    counter = iter(range(1, 10**9))
    accepted = 0
    deadline = time.perf_counter() + seconds

    async def sender() -> None:
        nonlocal accepted
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < deadline:
                body = _payload(next(counter))
                length_line = f"Content-Length: {len(body)}\r\n\r\n".encode()
                writer.write(
                    b"POST /hooks/bench HTTP/1.1\r\nHost: relay\r\n"
                    b"Content-Type: application/json\r\n"
                    + f"X-NinjaDesk-Secret: {secret}\r\n".encode()
                    + length_line
                    + body
                )
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                if head.startswith(b"HTTP/1.1 200"):
                    accepted += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    elapsed = time.perf_counter() - start
    # Every 200 was a new activity id: the log must hold exactly that many events.
    async with aiohttp.ClientSession() as session, session.get(f"{base}/healthz") as resp:
        stored = (await resp.json())["last_seq"]
    assert stored == accepted, (stored, accepted)
    return accepted / elapsed


# The activity id of each event in a stream: the payload goes out as the relay stored it
# (compact, keys in the order sent), so its id directly follows `"payload":{"id":`.
_PAYLOAD_ID = re.compile(rb'"payload":\{"id":(\d+)')


async def _latency(
    base: str, secret: str, tokens: list[str], rate: float, seconds: float, first_id: int
) -> tuple[float, float, int, int]:
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    total = int(rate * seconds)
    ready = 0
    all_ready = asyncio.Event()
    host, port = base.removeprefix("http://").split(":")

    async def subscriber(token: str, since: int) -> None:
        """A stream read from a raw socket and scanned with one regex per read, not parsed
        line by line: 20 subscribers at 500 events/s are 10,000 messages a second, and a
        load generator that spends a core parsing them delays what it measures. An event's
        arrival time is that of the read that completed it."""
        nonlocal ready
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(
                f"GET /events?since={since} HTTP/1.1\r\nHost: relay\r\n"
                f"Authorization: Bearer {token}\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head
            ready += 1
            if ready == len(tokens):
                all_ready.set()
            got = 0
            pending = b""
            while got < total:
                chunk = await reader.read(1 << 16)
                if not chunk:
                    raise ConnectionError("the relay closed an event stream")
                now = time.perf_counter()
                # Only complete messages (ending in a blank line) are counted; the rest
                # waits for the next read.
                data = pending + chunk
                cut = data.rfind(b"}\n\n")
                if cut < 0:
                    pending = data
                    continue
                pending = data[cut + 3 :]
                for match in _PAYLOAD_ID.finditer(data, 0, cut + 3):
                    t0 = sent_at.get(int(match[1]))
                    if t0 is not None:
                        latencies.append(now - t0)
                    got += 1
        finally:
            writer.close()

    headers = {"X-NinjaDesk-Secret": secret, "Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), timeout=timeout
    ) as session:
        async with session.get(f"{base}/healthz") as resp:
            since = (await resp.json())["last_seq"]
        subs = [asyncio.create_task(subscriber(t, since)) for t in tokens]
        await asyncio.wait_for(all_ready.wait(), 10)
        await asyncio.sleep(0.2)

        async def send(activity_id: int) -> None:
            sent_at[activity_id] = time.perf_counter()
            async with session.post(
                f"{base}/hooks/bench", data=_payload(activity_id), headers=headers
            ) as resp:
                await resp.read()

        start = time.perf_counter()
        sends = []
        for i in range(total):
            # Pace against the clock, not sleep durations, so the rate holds under load.
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sends.append(asyncio.create_task(send(first_id + i)))
        await asyncio.gather(*sends)
        await asyncio.wait_for(asyncio.gather(*subs), 30)
    latencies.sort()
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return p50 * 1000, p99 * 1000, len(latencies), total


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux): a figure that other load on the box cannot
    inflate the way it inflates wall-clock throughput."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _measure(
    base: str, secret: str, tokens: list[str], args: argparse.Namespace, pid: int
) -> tuple[float, float, float, float, tuple[float, float, int, int]]:
    cpu_before, wall_before = _cpu_seconds(pid), time.perf_counter()
    accepted = await _throughput(base, secret, args.seconds, args.senders)
    wall = time.perf_counter() - wall_before
    cpu_ms = (_cpu_seconds(pid) - cpu_before) * 1000 / max(1.0, accepted * wall)
    async with aiohttp.ClientSession() as session, session.get(f"{base}/metrics") as resp:
        values = dict(
            line.rsplit(" ", 1) for line in (await resp.text()).splitlines() if line[:1] != "#"
        )
    per_commit = float(values["ninjadesk_relay_intake_committed_items_total"]) / max(
        1.0, float(values["ninjadesk_relay_intake_commits_total"])
    )
    cpu_before = _cpu_seconds(pid)
    latency = await _latency(base, secret, tokens, args.rate, args.seconds, 10**8)
    # Relay CPU per event delivered live to every subscriber (intake included).
    delivery_cpu_ms = (_cpu_seconds(pid) - cpu_before) * 1000 / max(1, latency[3])
    return accepted, cpu_ms, per_commit, delivery_cpu_ms, latency


def _start_relay(db: str, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ninja_desk.relay.cli",
            "serve",
            "--db",
            db,
            "--port",
            "0",
            "--log-level",
            "WARNING",
            *extra,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip().rsplit(" ", 1)[-1]


def _rss_mb(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _replay_stream(base: str, token: str, stop: float) -> tuple[int, int]:
    """Replay from 0 on a raw socket (the bench must not be the bottleneck): events, bytes."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"GET /events?since=0 HTTP/1.1\r\nHost: relay\r\n"
        + f"Authorization: Bearer {token}\r\n\r\n".encode()
    )
    marker = b"event: ninjaone.activity\n"
    events = received = 0
    tail = b""
    try:
        while time.monotonic() < stop:
            try:
                chunk = await asyncio.wait_for(reader.read(MIB), max(0.01, stop - time.monotonic()))
            except TimeoutError:
                break
            if not chunk:
                break
            received += len(chunk)
            window = tail + chunk[:64]
            # Markers split across reads are found in the seam (tail of one + head of next).
            seam = window.count(marker) - chunk[:64].count(marker) - tail.count(marker)
            events += chunk.count(marker) + seam
            tail = chunk[-40:]
    finally:
        writer.close()
    return events, received


async def _replay_batches(base: str, token: str, stop: float) -> tuple[int, int]:
    """limit=10000 batches from 0, again and again: replies, largest reply in bytes."""
    replies = largest = 0
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while time.monotonic() < stop:
            async with session.get(
                f"{base}/events",
                params={"since": 0, "wait": 0, "limit": 10000},
                headers={"Authorization": f"Bearer {token}"},
            ) as resp:
                body = await resp.read()
                assert resp.status == 200, body[:200]
            replies += 1
            largest = max(largest, len(body))
    return replies, largest


def _memory(args: argparse.Namespace, tmp: str) -> dict[str, object]:
    db = f"sqlite:///{Path(tmp) / 'replay.db'}"
    store = open_store(db)
    store.init_schema()
    admin.add_endpoint(store, "bench")
    streams = args.memory_streams
    tokens = [admin.add_subscriber(store, f"replay{i}") for i in range(streams + 4)]
    blob = "x" * (MIB - 64)
    for start in range(0, args.memory_events, 16):
        end = min(args.memory_events, start + 16)
        store.append_batch(
            [
                Incoming("bench", str(i), time.time(), f'{{"id":{i},"blob":"{blob}"}}')
                for i in range(start, end)
            ]
        )
    store.close()
    proc, base = _start_relay(db)
    try:
        idle_rss = _rss_mb(proc.pid, "VmRSS")
        host, port = base.removeprefix("http://").split(":")
        probe = subprocess.Popen(
            [sys.executable, "-c", _PROBE, host, port, str(args.memory_seconds)],
            stdout=subprocess.PIPE,
            text=True,
        )

        async def run() -> list[tuple[int, int]]:
            stop = time.monotonic() + args.memory_seconds
            return await asyncio.gather(
                *(_replay_stream(base, t, stop) for t in tokens[:streams]),
                *(_replay_batches(base, t, stop) for t in tokens[streams:]),
            )

        results = asyncio.run(run())
        out, _ = probe.communicate(timeout=args.memory_seconds + 30)
        peak_rss = _rss_mb(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait(10)
    healthz = sorted(json.loads(out))
    streamed = results[:streams]
    batches = results[streams:]
    return {
        "memory_events": args.memory_events,
        "memory_event_bytes": MIB,
        "memory_streams": streams,
        "memory_batch_clients": len(batches),
        "memory_seconds": args.memory_seconds,
        "replay_events_delivered": sum(e for e, _ in streamed),
        "replay_streams_finished": sum(1 for e, _ in streamed if e >= args.memory_events),
        "replay_gb_sent": round(sum(b for _, b in streamed) / 1e9, 2),
        "batch_replies": sum(r for r, _ in batches),
        "batch_largest_reply_mb": round(max(b for _, b in batches) / MIB, 2),
        "relay_idle_rss_mb": round(idle_rss, 1),
        "relay_peak_rss_mb": round(peak_rss, 1),
        "healthz_probes": len(healthz),
        "healthz_p50_ms": round(healthz[len(healthz) // 2] * 1000, 1),
        "healthz_p99_ms": round(healthz[min(len(healthz) - 1, int(len(healthz) * 0.99))] * 1000, 1),
        "healthz_max_ms": round(healthz[-1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--subscribers", type=int, default=20)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument(
        "--db", help="an EMPTY database URL (e.g. a fresh PostgreSQL database); default SQLite"
    )
    parser.add_argument("--memory-events", type=int, default=700)
    parser.add_argument("--memory-streams", type=int, default=50)
    parser.add_argument("--memory-seconds", type=float, default=20.0)
    parser.add_argument("--no-memory", action="store_true", help="skip the replay memory run")
    args = parser.parse_args()
    # Other work on the box skews wall-clock figures; record how busy it was.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or f"sqlite:///{Path(tmp) / 'relay.db'}"
        store = open_store(db)
        store.init_schema()
        secret = admin.add_endpoint(store, "bench")
        tokens = [admin.add_subscriber(store, f"desk{i}") for i in range(args.subscribers)]
        store.close()
        proc, base = _start_relay(db)
        try:
            accepted, cpu_ms, per_commit, delivery_cpu_ms, (p50, p99, deliveries, sent) = (
                asyncio.run(_measure(base, secret, tokens, args, proc.pid))
            )
        finally:
            proc.terminate()
            proc.wait(10)
        memory = {} if args.no_memory else _memory(args, tmp)
    print(
        json.dumps(
            {
                "bench": "relay",
                "store": "postgresql"
                if args.db and "postgres" in args.db
                else "sqlite-wal-synchronous-full",
                "senders": args.senders,
                "accepted_per_s": round(accepted, 1),
                "relay_cpu_ms_per_webhook": round(cpu_ms, 3),
                "webhooks_per_commit": round(per_commit, 2),
                "load_avg_1m_before": round(load_before, 2),
                "subscribers": args.subscribers,
                "rate_per_s": args.rate,
                "events_sent": sent,
                "deliveries": deliveries,
                "latency_p50_ms": round(p50, 2),
                "latency_p99_ms": round(p99, 2),
                "relay_cpu_ms_per_live_event": round(delivery_cpu_ms, 3),
                **memory,
            }
        )
    )


if __name__ == "__main__":
    main()
