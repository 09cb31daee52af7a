"""Ingest benchmark on PostgreSQL: MQTT → stored events (and cases), against a bare INSERT loop.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/ingest/run.py [--events 40000] [--rate 2000] [--update-doc]

Creates a fresh database ``jingzhi_bench_ingest`` with the demo sub-district (its gates, cameras
and noise meters, residents with gate cards), starts a private Mosquitto (persistence on) and
measures, all in one run:

1. capacity: ``--events`` events published as fast as the publishers can (2 processes), ingested
   by ``jingzhi ingest mqtt``; events stored per second;
2. the baseline: the same events through the same broker into a bare ``INSERT`` loop (one
   paho subscriber, QoS 1, one autocommitted ``INSERT`` of the JSON per message);
3. latency at the target load: ``--rate`` events/s for ``--seconds``; event-to-case latency is
   the time from the device's publish (``sent_at`` in the payload) until the event, with its
   case, is visible to another database session (polled every 20 ms);
4. the fault run: a paced stream during which the ingester is killed (SIGKILL) and restarted,
   then the broker is stopped and restarted; every published event must be stored exactly once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
DB_NAME = "jingzhi_bench_ingest"


def say(line: str = "") -> None:
    print(line, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A private Mosquitto with persistence, so it can be stopped and restarted mid-stream."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.conf = workdir / "mosquitto.conf"
        (workdir / "mosq").mkdir()
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {workdir / 'mosq'}/\nmax_queued_messages 0\nautosave_interval 60\n"
            f"log_dest none\n"
            # Started as root, Mosquitto drops to the "mosquitto" user and could not write its persistence file.
            f"user {getpass.getuser()}\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(["mosquitto", "-c", str(self.conf)])
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("mosquitto did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # saves its persistence file on the way out
            self.proc.wait(timeout=30)


def db_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def env_for(url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "JINGZHI_DATA_DIR": str(data_dir),
        "JINGZHI_QUIET_DEV_KEYS": "1",
        "PYTHONUNBUFFERED": "1",
    }


def jingzhi(env: dict[str, str], *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PY, "-m", "jingzhi", *args], env=env, check=True, text=True, capture_output=True, **kwargs)


def prepare(base_url: str, data_dir: Path) -> tuple[str, dict[str, Any]]:
    with psycopg.connect(db_url(base_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    url = db_url(base_url, DB_NAME)
    env = env_for(url, data_dir)
    jingzhi(env, "migrate", "--verbosity", "0")
    jingzhi(env, "demo", "--residents", "3000", "--seed", "1")
    with psycopg.connect(url) as conn:
        codes = [r[0] for r in conn.execute("SELECT code, kind FROM sensing_device ORDER BY code") if r]
        kinds = dict(conn.execute("SELECT code, kind FROM sensing_device").fetchall())
        cards = conn.execute("SELECT count(*) FROM registry_credential").fetchone()[0]  # type: ignore[index]
    devices = {
        "gates": [c for c in codes if kinds[c] == "gate"],
        "cameras": [c for c in codes if kinds[c] == "camera"],
        "meters": [c for c in codes if kinds[c] == "noise_meter"],
        # Demo cards are numbered C000000001 …: the references the gates read.
        "cards": [f"C{n:09d}" for n in range(1, cards + 1)],
    }
    return url, devices


class Ingesters:
    def __init__(self, broker: Broker, env: dict[str, str], count: int) -> None:
        self.broker, self.env, self.count = broker, env, count
        self.procs: list[subprocess.Popen[str]] = []

    def start(self) -> None:
        self.procs = [
            subprocess.Popen(
                [PY, "-m", "jingzhi", "ingest", "mqtt", "--url", self.broker.url, "--client-id", f"bench-ing-{i}"],
                env=self.env,
                text=True,
            )
            for i in range(self.count)
        ]
        time.sleep(2.0)  # connected and subscribed

    def kill(self) -> None:
        for p in self.procs:
            p.kill()
            p.wait()

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.wait(timeout=30)


def publishers(
    broker: Broker, devices_file: Path, count: int, rate: float, n: int, tag: str, workdir: Path
) -> list[subprocess.Popen[str]]:
    per = count // n
    return [
        subprocess.Popen(
            [
                PY,
                str(ROOT / "bench" / "ingest" / "publish.py"),
                "--url",
                broker.url,
                "--devices",
                str(devices_file),
                "--count",
                str(per),
                "--rate",
                str(rate / n if rate else 0),
                "--seed",
                str(i + 1),
                "--tag",
                f"{tag}{i}",
                "--ids-out",
                str(workdir / f"{tag}{i}.ids"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]


def wait_publishers(procs: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    out = []
    for p in procs:
        stdout, _ = p.communicate(timeout=600)
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


class Observer:
    """Polls the database from its own session: when each event (with its case) became visible."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.case_latency: list[float] = []
        self.last_id = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                rows = conn.execute(
                    "SELECT id, case_id, (payload->>'sent_at')::float FROM sensing_event WHERE id > %s ORDER BY id",
                    (self.last_id,),
                ).fetchall()
                now = time.time()
                for pk, case_id, sent in rows:
                    self.last_id = max(self.last_id, pk)
                    if case_id is not None and sent is not None:
                        self.case_latency.append((now - sent) * 1000)
                time.sleep(0.02)

    def __enter__(self) -> Observer:
        with psycopg.connect(self.url) as conn:  # only events stored from now on
            self.last_id = int(conn.execute("SELECT coalesce(max(id), 0) FROM sensing_event").fetchone()[0])  # type: ignore[index]
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def count_events(url: str, prefix: str) -> int:
    with psycopg.connect(url) as conn:
        return int(
            conn.execute("SELECT count(*) FROM sensing_event WHERE event_id LIKE %s", (prefix + "%",)).fetchone()[0]
        )  # type: ignore[index]


def wait_stored(url: str, prefix: str, expected: int, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if count_events(url, prefix) >= expected:
            return time.monotonic()
        time.sleep(0.2)
    raise SystemExit(f"only {count_events(url, prefix)} of {expected} events stored after {timeout:.0f} s")


def span_rate(url: str, prefix: str) -> tuple[int, float]:
    with psycopg.connect(url) as conn:
        n, first, last = conn.execute(
            "SELECT count(*), min(received_at), max(received_at) FROM sensing_event WHERE event_id LIKE %s",
            (prefix + "%",),
        ).fetchone()  # type: ignore[misc]
    seconds = max((last - first).total_seconds(), 1e-3)
    return n, n / seconds


def baseline(broker: Broker, url: str, devices_file: Path, events: int, workdir: Path) -> float:
    """The same broker feeding a bare INSERT loop (paho QoS 1 subscriber, one INSERT per message)."""
    import paho.mqtt.client as mqtt

    sys.path.insert(0, str(ROOT / "src"))
    from jingzhi.core.mqtt import client_for

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, topic text, body jsonb)")
    conn = psycopg.connect(url, autocommit=True)
    got = {"n": 0, "first": 0.0, "last": 0.0}
    ready = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        conn.execute("INSERT INTO bench_raw (topic, body) VALUES (%s, %s)", (msg.topic, msg.payload.decode()))
        got["n"] += 1
        got["last"] = time.monotonic()
        if got["n"] == 1:
            got["first"] = got["last"]

    client, connect = client_for(broker.url, client_id="bench-baseline")
    client.on_message = on_message
    client.on_subscribe = lambda *a: ready.set()
    client.connect(**connect)
    client.subscribe("$share/base/jingzhi/v1/+/events", qos=1)
    client.loop_start()
    ready.wait(5)
    wait_publishers(publishers(broker, devices_file, events, 0, 2, "b", workdir))
    deadline = time.monotonic() + 300
    while got["n"] < events and time.monotonic() < deadline:
        time.sleep(0.1)
    client.loop_stop()
    client.disconnect()
    conn.close()
    return got["n"] / max(got["last"] - got["first"], 1e-3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=40_000, help="events in the capacity and baseline runs")
    parser.add_argument("--rate", type=float, default=2000, help="target load for the latency run (events/s)")
    parser.add_argument("--seconds", type=float, default=20, help="duration of the latency run")
    parser.add_argument("--fault-rate", type=float, default=1000)
    parser.add_argument("--fault-seconds", type=float, default=30)
    parser.add_argument("--ingesters", type=int, default=1)
    parser.add_argument("--update-doc", action="store_true")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("set DATABASE_URL=postgres://… (the database server; the run creates its own database)")

    workdir = Path(tempfile.mkdtemp(prefix="jingzhi-bench-ingest-"))
    data_dir = workdir / "data"
    say(f"preparing {DB_NAME} (demo sub-district) …")
    url, devices = prepare(base, data_dir)
    devices_file = workdir / "devices.json"
    devices_file.write_text(json.dumps(devices))
    env = env_for(url, data_dir)
    broker = Broker(workdir)
    broker.start()
    ingesters = Ingesters(broker, env, args.ingesters)
    results: dict[str, Any] = {"devices": {k: len(v) for k, v in devices.items()}}
    try:
        # 1. capacity
        ingesters.start()
        t0 = time.monotonic()
        pubs = wait_publishers(publishers(broker, devices_file, args.events, 0, 2, "c", workdir))
        publish_rate = args.events / max(p["publish_s"] for p in pubs)
        wait_stored(url, "c", args.events)
        n, rate = span_rate(url, "c")
        results["capacity"] = {"events": n, "rate": rate, "publish_rate": publish_rate, "wall_s": time.monotonic() - t0}
        say(f"capacity: {n} events, {rate:.0f}/s stored (publishers offered {publish_rate:.0f}/s)")

        # 3. latency at the target load
        with Observer(url) as observer:
            count = int(args.rate * args.seconds)
            wait_publishers(publishers(broker, devices_file, count, args.rate, 2, "l", workdir))
            wait_stored(url, "l", count)
            time.sleep(0.5)
        latencies = observer.case_latency
        n, rate = span_rate(url, "l")
        with psycopg.connect(url) as conn:
            cases = conn.execute("SELECT count(*) FROM cases_case").fetchone()[0]  # type: ignore[index]
        results["latency"] = {
            "events": n,
            "rate": rate,
            "offered": args.rate,
            "case_events": len(latencies),
            "p50": pct(latencies, 50),
            "p99": pct(latencies, 99),
            "max": max(latencies) if latencies else float("nan"),
            "cases": cases,
        }
        say(
            f"latency run: {n} events at {rate:.0f}/s; event→case p50 {pct(latencies, 50):.0f} ms, "
            f"p99 {pct(latencies, 99):.0f} ms over {len(latencies)} case events"
        )
        ingesters.stop()

        # 2. baseline
        base_rate = baseline(broker, url, devices_file, args.events, workdir)
        results["baseline"] = {"rate": base_rate}
        say(f"baseline (bare INSERT loop): {base_rate:.0f}/s")

        # 4. fault run
        results["fault"] = fault_run(broker, ingesters, url, devices_file, args, workdir)
    finally:
        for p in ingesters.procs:
            if p.poll() is None:
                p.kill()
        broker.stop()
    results["machine"] = machine()
    section = render(results, args)
    say(section)
    if args.update_doc:
        update_doc(section)


def fault_run(
    broker: Broker, ingesters: Ingesters, url: str, devices_file: Path, args: argparse.Namespace, workdir: Path
) -> dict[str, Any]:
    count = int(args.fault_rate * args.fault_seconds)
    say(f"fault run: {count} events at {args.fault_rate:.0f}/s; kill -9 the ingester, then restart the broker …")
    ingesters.start()
    procs = publishers(broker, devices_file, count, args.fault_rate, 2, "f", workdir)
    quarter = args.fault_seconds / 4
    time.sleep(quarter)
    ingesters.kill()
    say(f"  t={quarter:.0f}s ingester killed (SIGKILL)")
    time.sleep(2)
    ingesters.start()
    say("  ingester restarted")
    time.sleep(max(0.0, quarter - 2))
    broker.stop()
    say(f"  t={2 * quarter:.0f}s broker stopped (SIGTERM)")
    time.sleep(2)
    broker.start()
    say("  broker restarted")
    pubs = wait_publishers(procs)
    published: set[str] = set()
    for i in range(2):
        published |= set((workdir / f"f{i}.ids").read_text().split())
    try:
        wait_stored(url, "f", len(published), timeout=180)
    finally:
        ingesters.stop()
    with psycopg.connect(url) as conn:
        stored = [r[0] for r in conn.execute("SELECT event_id FROM sensing_event WHERE event_id LIKE 'f%'")]
        open_dupes = conn.execute(
            "SELECT count(*) FROM (SELECT incident_key FROM cases_case WHERE incident_key <> '' "
            "AND state NOT IN ('resolved', 'closed', 'rejected') GROUP BY incident_key HAVING count(*) > 1) d"
        ).fetchone()[0]  # type: ignore[index]
    result = {
        "published": len(published),
        "acked_by_broker": sum(p["acked"] for p in pubs),
        "stored": len(stored),
        "distinct": len(set(stored)),
        "missing": len(published - set(stored)),
        "unexpected": len(set(stored) - published),
        "open_case_duplicates": open_dupes,
    }
    say(f"  fault run: {result}")
    return result


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?")
    except OSError:
        model = "?"
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    mosq = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, check=False).stdout.splitlines()[:1]
    return f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}; {pg}; {' '.join(mosq)}"


def render(r: dict[str, Any], args: argparse.Namespace) -> str:
    cap, lat, base, fault = r["capacity"], r["latency"], r["baseline"], r["fault"]
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Ingest (bench/ingest)",
        "",
        f"- Machine: {r['machine']}",
        f"- Date: {now}",
        "- Command: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/ingest/run.py"
        f" --events {args.events} --rate {args.rate:.0f} --seconds {args.seconds:.0f}"
        f" --fault-rate {args.fault_rate:.0f} --fault-seconds {args.fault_seconds:.0f}`",
        f"- Setup: private Mosquitto (persistence on), {args.ingesters} `jingzhi ingest mqtt` process(es), 2 publisher"
        f" processes (paho, QoS 1), PostgreSQL on the same 2 cores; demo sub-district devices {r['devices']}."
        " Event mix: 70% gate passes (matched against the register's cards), 25% noise levels, 4% littering,"
        " 1% thrown objects (these open cases or attach to the open one).",
        "",
        "| Measure | Result |",
        "|---|---:|",
        f"| *baseline: same broker → bare `INSERT` loop (one autocommitted row per message)* | {base['rate']:,.0f} events/s |",
        f"| capacity: MQTT → validated, stored events with passes, presence and cases | {cap['rate']:,.0f} events/s"
        f" ({cap['events']:,} events; publishers offered {cap['publish_rate']:,.0f}/s) |",
        f"| latency run at {lat['offered']:,.0f} events/s offered: achieved | {lat['rate']:,.0f} events/s ({lat['events']:,} events) |",
        f"| event → case visible, p50 | {lat['p50']:,.0f} ms |",
        f"| event → case visible, p99 | {lat['p99']:,.0f} ms |",
        f"| event → case visible, max | {lat['max']:,.0f} ms ({lat['case_events']:,} case events) |",
        "",
        f"Fault run ({args.fault_rate:.0f} events/s for {args.fault_seconds:.0f} s; the ingester killed with SIGKILL at"
        " ¼ and restarted 2 s later; the broker stopped with SIGTERM at ½ and restarted 2 s later):",
        "",
        "| published | stored | distinct | missing | unexpected | duplicate open cases |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {fault['published']:,} | {fault['stored']:,} | {fault['distinct']:,} | {fault['missing']} |"
        f" {fault['unexpected']} | {fault['open_case_duplicates']} |",
        "",
        "- Latency is measured from the device's `publish()` (the `sent_at` it puts in the payload) to the moment"
        " another database session sees the event with its case (polled every 20 ms), so it includes the broker, the"
        " batch wait (≤ 50 ms), validation, the transaction and the commit.",
        "- The broker is stopped with SIGTERM (it saves its persistence file); a `kill -9` of Mosquitto itself loses"
        " what it held only in memory — run it with a short `autosave_interval` or a cluster where that matters.",
        "- Mosquitto 2.0.11 does not restore shared subscriptions from its persistence file. Checked by hand:"
        " a persistent MQTT 5 session subscribed, the broker restarted (SIGTERM), 100 messages published before"
        " the session reconnected: through `$share/g/…` it received 0 of 100, through a plain subscription"
        " 100 of 100. So `jingzhi ingest mqtt` subscribes without a group unless `--group` is given.",
    ]
    return "\n".join(lines) + "\n"


def update_doc(section: str) -> None:
    doc = ROOT / "docs" / "PERFORMANCE.md"
    text = doc.read_text()
    head = "## Ingest (bench/ingest)"
    if head in text:
        start = text.index(head)
        nxt = text.find("\n## ", start + len(head))
        text = text[:start] + section.rstrip() + "\n" + (text[nxt:] if nxt != -1 else "")
    else:
        text = text.rstrip() + "\n\n" + section.rstrip() + "\n"
    doc.write_text(text)


if __name__ == "__main__":
    main()
