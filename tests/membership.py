"""Most page and admin tests play a one-company install: the users they create are members of
the connections they create, whichever is made first. Access per connection itself is tested
in `tests/test_rights.py` and `tests/connections/test_access.py`."""

from __future__ import annotations

from django.contrib.auth.models import User

from integrations.connections.models import Connection, ConnectionMembership


def user_joins_every_connection(user: User) -> User:
    ConnectionMembership.objects.bulk_create(
        [ConnectionMembership(connection=c, user=user) for c in Connection.objects.all()],
        ignore_conflicts=True,
    )
    return user


def connection_admits_every_user(connection: Connection) -> Connection:
    ConnectionMembership.objects.bulk_create(
        [
            ConnectionMembership(connection=connection, user=u)
            for u in User.objects.filter(is_superuser=False)
        ],
        ignore_conflicts=True,
    )
    return connection
