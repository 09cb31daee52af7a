"""A benchmark publisher: N contract events at a paced rate over MQTT, QoS 1, as devices do.

    python bench/ingest/publish.py --url mqtt://127.0.0.1:18830 --devices devices.json \
        --count 30000 --rate 1000 --seed 1 --ids-out ids.txt

``devices.json`` is ``{"cameras": [...], "gates": [...], "meters": [...], "cards": [...]}``.
Each payload carries ``sent_at`` (epoch seconds) so the run can measure event-to-case latency.
The client keeps a persistent session and reconnects by itself: messages not acknowledged by
the broker are sent again after a broker restart. Prints one JSON line of counters at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from jingzhi.core.mqtt import client_for  # noqa: E402
from jingzhi.sensing.contract import events_topic  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=8))


def events(devices: dict[str, list[str]], count: int, rng: random.Random, tag: str):  # type: ignore[no-untyped-def]
    for n in range(count):
        roll = rng.random()
        if roll < 0.70:
            device, kind = rng.choice(devices["gates"]), "access.pass"
            card = rng.choice(devices["cards"]) if rng.random() < 0.8 else f"X{rng.randrange(10**8):08d}"
            payload = {"direction": rng.choice(["in", "out"]), "credential_kind": "card", "credential_ref": card}
        elif roll < 0.95:
            device, kind = rng.choice(devices["meters"]), "noise.level"
            payload = {"laeq": round(rng.uniform(45, 72), 1), "period_s": 1}
        elif roll < 0.99:
            device, kind = rng.choice(devices["cameras"]), "litter.detected"
            payload = {"confidence": round(rng.uniform(0.6, 0.95), 2)}
        else:
            device, kind = rng.choice(devices["cameras"]), "throw.detected"
            payload = {"floor": rng.randrange(3, 20), "column": rng.randrange(0, 4), "confidence": 0.9}
        yield (
            device,
            {
                "event_id": f"{tag}-{n}",
                "device": device,
                "type": kind,
                "occurred_at": dt.datetime.now(TZ).isoformat(),
                "payload": payload,
            },
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--devices", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rate", type=float, default=0, help="events per second (0: as fast as possible)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tag", default="p")
    parser.add_argument("--ids-out", default="")
    parser.add_argument("--drain-timeout", type=float, default=120)
    args = parser.parse_args()

    devices = json.loads(Path(args.devices).read_text())
    rng = random.Random(args.seed)
    client, connect = client_for(args.url, client_id=f"bench-pub-{args.tag}", session_expiry_s=3600)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(1000)
    client.reconnect_delay_set(min_delay=1, max_delay=2)
    acked: set[int] = set()
    client.on_publish = lambda c, u, mid, reason, props: acked.add(mid)
    client.connect(**connect)
    client.loop_start()
    mids = []
    ids = []
    start = time.monotonic()
    for n, (device, doc) in enumerate(events(devices, args.count, rng, args.tag)):
        if args.rate:
            due = start + n / args.rate
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        doc["payload"]["sent_at"] = time.time()
        # Published while the broker is away, the message waits in the client's queue (persistent session).
        mids.append(client.publish(events_topic(device), json.dumps(doc), qos=1).mid)
        ids.append(doc["event_id"])
    published_s = time.monotonic() - start
    deadline = time.monotonic() + args.drain_timeout
    while time.monotonic() < deadline and len(acked) < len(mids):
        time.sleep(0.1)
    client.loop_stop()
    client.disconnect()
    if args.ids_out:
        Path(args.ids_out).write_text("\n".join(ids))
    print(json.dumps({"published": len(ids), "acked": len(acked), "publish_s": round(published_s, 2)}))


if __name__ == "__main__":
    main()
