"""``jingzhi devices mosquitto`` / ``token CODE``: Mosquitto accounts for devices, token rotation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhi.core.scope import Actor
from jingzhi.sensing.models import Device
from jingzhi.sensing.mosquitto import write_auth_files
from jingzhi.sensing.services.devices import device_rotate_token

INGESTER_PASSWORD_ENV = "JINGZHI_MQTT_INGESTER_PASSWORD"  # noqa: S105 (the variable's name)


class Command(BaseCommand):
    help = "Device accounts: Mosquitto's password and ACL files, and device token rotation."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        mosquitto = sub.add_parser(
            "mosquitto",
            help="write Mosquitto's password file (device code:token hash, plus the ingester) and ACL file",
            description=f"The ingester's password is read from ${INGESTER_PASSWORD_ENV}.",
        )
        mosquitto.add_argument("--password-file", type=Path, required=True, help="Mosquitto's password_file")
        mosquitto.add_argument("--acl-file", type=Path, required=True, help="Mosquitto's acl_file")
        mosquitto.add_argument(
            "--ingester-user", required=True, help="the ingester's username (the user in its MQTT_URL)"
        )
        token = sub.add_parser("token", help="give a device a new token (HTTP and MQTT) and print it once")
        token.add_argument("code", help="the device's code")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "mosquitto":
            self._mosquitto(options)
        else:
            self._token(options["code"])

    def _mosquitto(self, options: dict[str, Any]) -> None:
        password = os.environ.get(INGESTER_PASSWORD_ENV, "")
        if not password:
            raise CommandError(
                f"set {INGESTER_PASSWORD_ENV} to the ingester's MQTT password (the password in its MQTT_URL)"
            )
        password_file, acl_file = options["password_file"], options["acl_file"]
        for path in (password_file, acl_file):
            if not path.parent.is_dir():
                raise CommandError(f"{path.parent} is not a directory")
        try:
            count = write_auth_files(
                password_file, acl_file, ingester_user=options["ingester_user"], ingester_password=password
            )
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{count} device account{'' if count == 1 else 's'} and the ingester ({options['ingester_user']}) "
            f"written to {password_file}; ACL written to {acl_file}"
        )
        missing = Device.objects.filter(active=True, mqtt_password_hash="").count()
        if missing:
            self.stderr.write(
                f"{missing} active device{'' if missing == 1 else 's'} without an MQTT password "
                "(registered before MQTT accounts): `jingzhi devices token CODE` gives one a new token."
            )
        self.stdout.write("Reload Mosquitto to apply: kill -HUP $(pidof mosquitto)  (or: systemctl reload mosquitto)")

    def _token(self, code: str) -> None:
        device = Device.objects.filter(code=code).first()
        if device is None:
            raise CommandError(f"no device with code {code!r}")
        token = device_rotate_token(actor=Actor.system(), device=device)
        self.stdout.write(token)
        self.stderr.write(
            f"Keep this token: it is shown only now. The old token of {code} no longer works over HTTP; "
            "for MQTT run `jingzhi devices mosquitto …` and reload Mosquitto."
        )
