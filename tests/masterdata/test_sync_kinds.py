"""The registry of sync kinds: one row per kind drives the order, the choices and the labels."""

from __future__ import annotations

import pytest
from django.utils.module_loading import import_string

from integrations.masterdata.models import SyncRun
from integrations.masterdata.setup.serializers import SyncStartSerializer
from integrations.masterdata.sync.mirror import MirrorList
from integrations.masterdata.sync_kinds import (
    KIND_ORDER,
    SYNC_KINDS,
    kinds_expand,
    sync_kind_for,
    sync_kind_label,
)


def test_a_sync_reads_tax_codes_before_the_accounts_that_name_them() -> None:
    assert KIND_ORDER == ("reference", "tax_codes", "accounts", "tags", "vendors")
    assert kinds_expand(["vendors", "accounts"]) == ["accounts", "vendors"]
    assert kinds_expand(["all"]) == list(KIND_ORDER)
    with pytest.raises(ValueError):
        kinds_expand(["ledgers"])


def test_a_run_of_one_kind_is_stored_as_that_kind_else_as_all() -> None:
    assert sync_kind_for(["tags"]) == "tags"
    assert sync_kind_for(["tags", "vendors"]) == "all"
    assert sync_kind_label("all") == "Everything"
    assert sync_kind_label("tax_codes") == "Tax codes"


def test_every_row_names_lists_readers_and_pushers_that_exist() -> None:
    for kind in SYNC_KINDS:
        assert kind.mirrors or kind.reader, kind.name
        for name in kind.mirrors:
            assert isinstance(import_string(name), MirrorList)
        if kind.reader is not None:
            assert callable(import_string(kind.reader))
        if kind.pusher is not None:
            assert callable(import_string(kind.pusher))


def test_the_model_and_the_api_take_their_choices_from_the_rows() -> None:
    field = SyncRun._meta.get_field("kind")
    assert [value for value, _ in field.choices] == [k.name for k in SYNC_KINDS] + ["all"]
    serializer = SyncStartSerializer(data={"kinds": [k.name for k in SYNC_KINDS]})
    assert serializer.is_valid(), serializer.errors
    assert not SyncStartSerializer(data={"kinds": ["ledgers"]}).is_valid()
