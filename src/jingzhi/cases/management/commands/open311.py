"""``jingzhi open311 key USERNAME --name CLIENT`` and ``jingzhi open311 revoke USERNAME [--name CLIENT]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhi.cases.open311 import issue_api_key, revoke_api_keys
from jingzhi.core.models import User
from jingzhi.core.scope import Actor


class Command(BaseCommand):
    help = "Open311 API keys. `key`: issue one for a user (printed once). `revoke`: revoke a user's keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        key = sub.add_parser("key", help="issue an API key acting as USERNAME; it is printed once")
        key.add_argument("username")
        key.add_argument("--name", required=True, help="the 311 client the key is for")
        revoke = sub.add_parser("revoke", help="revoke the keys of USERNAME")
        revoke.add_argument("username")
        revoke.add_argument("--name", help="only the keys of this client")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist:
            raise CommandError(f"no user {options['username']!r}") from None
        if options["action"] == "key":
            if not user.is_active:
                raise CommandError(f"user {user.username!r} is not active")
            name = options["name"].strip()
            if not name:
                raise CommandError("--name must not be empty")
            self.stdout.write(issue_api_key(user, name, actor=Actor.system()))
            self.stderr.write("Store this key now: it is not shown again.")
        else:
            count = revoke_api_keys(user, options["name"], actor=Actor.system())
            self.stdout.write(f"revoked {count} key(s) of {user.username}")
