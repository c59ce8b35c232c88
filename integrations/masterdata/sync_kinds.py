"""The kinds of master data the sync covers: one row each, read by the model's choices, the sync
order, the serializers, the sync page, the setup overview and the demo.

Adding a kind: its client call and type, its mirror model and migration, a `MirrorList` in
`sync/read.py` (the client call and the mapping of a record to mirror fields), its pusher if
Pleo gets it, and one row here. Lists and pushers are named by their dotted path, so this table
can be read by `models.py` without importing the sync code (which imports the models).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils.module_loading import import_string

ALL = "all"
ALL_LABEL = "Everything"


@dataclass(frozen=True)
class SyncKind:
    name: str  # stored on SyncRun.kind
    label: str
    order: int  # position in a sync of several kinds
    # The Visma.net lists (`MirrorList`s) read into the mirror, in this order, by the one reader.
    mirrors: tuple[str, ...] = ()
    # A reader of its own, for records nested in another's answer (segments in a dimension):
    # (*, client, connection, full) -> int, run after the lists.
    reader: str | None = None
    pusher: str | None = None  # (*, pleo, connection, tally, full) -> None: the mirror to Pleo
    in_overview: bool = True  # the setup overview asks for it to have been synced

    def read(self, *, client: Any, connection: Any, full: bool) -> None:
        from integrations.masterdata.sync.mirror import mirror_read

        for name in self.mirrors:
            mirror_read(import_string(name), client=client, connection=connection, full=full)
        if self.reader is not None:
            reader: Callable[..., Any] = import_string(self.reader)
            reader(client=client, connection=connection, full=full)

    def push(self, **kwargs: Any) -> None:
        if self.pusher is not None:
            pusher: Callable[..., Any] = import_string(self.pusher)
            pusher(**kwargs)


_READ = "integrations.masterdata.sync.read"
_PUSH = "integrations.masterdata.sync.pleo_push"

# Listed in the order the pages show them; `order` is the order a sync runs them in. Tax codes
# before accounts: an account names its default tax code by external id.
SYNC_KINDS: tuple[SyncKind, ...] = (
    SyncKind("accounts", "Accounts", 3, mirrors=(f"{_READ}.ACCOUNTS",),
             pusher=f"{_PUSH}.accounts_push"),
    # The VATs before their categories: a category's reverse charge comes from its VATs.
    SyncKind("tax_codes", "Tax codes", 2, mirrors=(f"{_READ}.VATS", f"{_READ}.VAT_CATEGORIES"),
             pusher=f"{_PUSH}.tax_codes_push"),
    SyncKind("tags", "Tags", 4, reader=f"{_READ}.segments_read", pusher=f"{_PUSH}.tags_push"),
    SyncKind("vendors", "Vendors", 5,
             mirrors=(f"{_READ}.CURRENCIES_IF_NONE", f"{_READ}.SUPPLIERS"),
             pusher=f"{_PUSH}.vendors_push"),
    SyncKind("reference", "Reference data", 1,
             mirrors=tuple(f"{_READ}.{name}" for name in (
                 "CURRENCIES", "PAYMENT_METHODS", "BRANCHES", "FINANCIAL_PERIODS",
                 "SUPPLIER_CLASSES", "CREDIT_TERMS", "CASH_ACCOUNTS", "VAT_ZONES")),
             in_overview=False),
)  # fmt: skip
SYNC_KIND_BY_NAME = {kind.name: kind for kind in SYNC_KINDS}
KIND_ORDER: tuple[str, ...] = tuple(k.name for k in sorted(SYNC_KINDS, key=lambda k: k.order))
# For SyncRun.kind and the forms: every kind, then "all".
SYNC_KIND_CHOICES: list[tuple[str, str]] = [(k.name, k.label) for k in SYNC_KINDS] + [
    (ALL, ALL_LABEL)
]
OVERVIEW_KINDS: tuple[SyncKind, ...] = tuple(k for k in SYNC_KINDS if k.in_overview)


def sync_kind_label(name: str) -> str:
    if name == ALL:
        return ALL_LABEL
    kind = SYNC_KIND_BY_NAME.get(name)
    return kind.label if kind is not None else name


def kinds_expand(kinds: Iterable[str]) -> list[str]:
    """The kinds asked for ("all" is every kind), in sync order."""
    wanted = set(kinds)
    if ALL in wanted:
        return list(KIND_ORDER)
    unknown = wanted - set(KIND_ORDER)
    if unknown:
        raise ValueError(f"unknown sync kinds: {sorted(unknown)}")
    return [k for k in KIND_ORDER if k in wanted]


def sync_kind_for(kinds: Iterable[str]) -> str:
    """What a run of these kinds is stored as: the one kind, or "all"."""
    expanded = kinds_expand(kinds)
    return expanded[0] if len(expanded) == 1 else ALL


def run_covers(*, run_kind: str, run_kinds: Iterable[str] | None, kind: str) -> bool:
    """Whether a sync run stored as `run_kind` (with `run_kinds`) synced `kind`: a run of
    "all" covers every kind. The sync page's cards and the setup overview both ask this."""
    return run_kind in (kind, ALL) or kind in (run_kinds or ())
