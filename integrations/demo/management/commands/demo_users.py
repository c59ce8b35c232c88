"""Create the demo's users (admin, finance, support) and print their passwords."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from integrations.core.roles import FINANCE, SUPPORT, roles_sync

USERS = (
    # username, group, is_staff, is_superuser
    ("admin", None, True, True),
    ("finance", FINANCE, False, False),
    ("support", SUPPORT, True, False),
)


class Command(BaseCommand):
    help = "Create or reset the demo users and print their passwords."

    def handle(self, *args: Any, **options: Any) -> None:
        roles_sync()
        path = settings.LOCAL_DIR / "demo-users.txt"
        stored: dict[str, str] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                name, _, password = line.partition(" ")
                stored[name] = password.strip()
        User = get_user_model()
        lines = []
        for username, group, is_staff, is_superuser in USERS:
            password = stored.get(username) or secrets.token_urlsafe(9)
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = is_staff
            user.is_superuser = is_superuser
            user.set_password(password)
            user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            stored[username] = password
            lines.append(f"  {username:<8} {password}")
        settings.LOCAL_DIR.mkdir(exist_ok=True)
        path.write_text("".join(f"{k} {v}\n" for k, v in stored.items()))
        path.chmod(0o600)
        self.stdout.write("Demo users (username, password):\n" + "\n".join(lines))
