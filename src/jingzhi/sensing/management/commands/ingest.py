"""``jingzhi ingest mqtt``: the MQTT ingester (see jingzhi.sensing.ingester)."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhi.sensing.ingester import Ingester


class Command(BaseCommand):
    help = "Ingest device events from the MQTT broker (QoS 1, persistent session, shared subscription)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="transport", required=True)
        mqtt = sub.add_parser("mqtt", help="subscribe to jingzhi/v1/+/events and …/status")
        mqtt.add_argument("--url", default=None, help="broker URL (default: MQTT_URL)")
        mqtt.add_argument(
            "--client-id",
            default=None,
            help="stable client id: the broker keeps this ingester's session while it restarts "
            "(default: jingzhi-ingest-<host>)",
        )
        mqtt.add_argument(
            "--group",
            default=None,
            help="share the stream with the other ingesters of this group (MQTT 5 shared subscription "
            "$share/<group>/…); without it, one ingester takes every message",
        )
        mqtt.add_argument("--batch", type=int, default=500, help="largest batch per transaction")
        mqtt.add_argument("--max-wait", type=float, default=0.05, help="seconds to gather a batch")
        mqtt.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
        mqtt.add_argument("--stats", action="store_true", help="print a JSON line of counters at exit")

    def handle(self, *args: Any, **options: Any) -> None:
        url = options["url"] or settings.MQTT_URL
        if not url:
            raise CommandError("set MQTT_URL (e.g. mqtt://127.0.0.1:1883) or pass --url")
        logging.basicConfig(level=logging.INFO if options["verbosity"] > 1 else logging.WARNING)
        client_id = options["client_id"] or f"jingzhi-ingest-{socket.gethostname()}-{os.getuid()}"
        ingester = Ingester(
            url, client_id=client_id, group=options["group"], batch_size=options["batch"], max_wait=options["max_wait"]
        )
        ingester.install_signal_handlers()
        until = time.monotonic() + options["duration"] if options["duration"] else None
        if options["verbosity"] > 0:
            share = f"shared group {options['group']}" if options["group"] else "no shared group"
            self.stderr.write(f"ingesting from {url} as {client_id} ({share})")
        stats = ingester.run(until=until)
        if options["stats"]:
            self.stdout.write(json.dumps(stats.as_dict()))
