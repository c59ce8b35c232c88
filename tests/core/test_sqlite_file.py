"""The embedded default's SQLite file, opened as the settings open it (`SQLITE_OPTIONS`): the
web server, the sandboxes and the worker share it, so a reader must not hold up a writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper


@pytest.fixture(autouse=True)
def _own_files(django_db_blocker: Any) -> Any:
    """These tests open files of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


def _open(path: Path, **options: Any) -> DatabaseWrapper:
    wrapper = DatabaseWrapper(
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(path),
            "OPTIONS": {**settings.SQLITE_OPTIONS, **options},
            "TIME_ZONE": None,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": False,
            "AUTOCOMMIT": True,
            "ATOMIC_REQUESTS": False,
        },
        alias="sqlite-file",
    )
    wrapper.ensure_connection()
    return wrapper


def test_the_file_keeps_a_write_ahead_log_and_syncs_every_commit(tmp_path: Path) -> None:
    db = _open(tmp_path / "app.sqlite3")
    try:
        with db.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            # FULL (2): a committed export step survives a power cut.
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2
    finally:
        db.close()


def test_a_commit_goes_through_while_another_connection_reads(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite3"
    reader, writer = _open(path), _open(path, timeout=0.5)
    try:
        with writer.cursor() as cursor:
            cursor.execute("CREATE TABLE step (id INTEGER PRIMARY KEY, name TEXT)")
            cursor.execute("INSERT INTO step (name) VALUES ('fetched')")
        # The reader's transaction holds its view of the file (a long page render, say).
        raw = reader.connection
        raw.execute("BEGIN")
        assert raw.execute("SELECT count(*) FROM step").fetchone()[0] == 1
        # With a rollback journal this commit waits for the reader, then fails as locked.
        with writer.cursor() as cursor:
            cursor.execute("INSERT INTO step (name) VALUES ('posted')")
        assert raw.execute("SELECT count(*) FROM step").fetchone()[0] == 1
        raw.execute("COMMIT")
        assert raw.execute("SELECT count(*) FROM step").fetchone()[0] == 2
    finally:
        reader.close()
        writer.close()
