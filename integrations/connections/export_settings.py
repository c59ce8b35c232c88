"""Export settings: one validation (`export_settings_problems`), then saved at once, with history
(who changed what). The rules judge by the lists they are given; `masterdata.setup.export_settings`
gives them the mirror's, refreshed from Visma.net on demand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import requests
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction

from integrations.connections.clients import connection_visma_client
from integrations.connections.models import AccountMapping, Connection, ExportSettings
from integrations.core import errors
from integrations.core.context import call_links
from integrations.visma.types import CashAccount, PaymentMethod

# Visma.net's "means of payment" for card payments (PaymentMethodDto.meansOfPayment enum).
CARD_MEANS_OF_PAYMENT = "CreditCard"
MAX_JOURNAL_LINES = 10_000
# Remote calls of one export run under way at once (ExportSettings.export_concurrency).
MIN_EXPORT_CONCURRENCY = 1
MAX_EXPORT_CONCURRENCY = 16


@dataclass(frozen=True)
class PaymentMethodChoice:
    id: str
    description: str
    active: bool
    use_in_ap: bool
    means_of_payment: str | None

    @classmethod
    def from_visma(cls, method: PaymentMethod) -> PaymentMethodChoice:
        return cls(
            id=method.id,
            description=method.description,
            active=method.active,
            use_in_ap=method.use_in_ap,
            means_of_payment=method.means_of_payment,
        )

    @property
    def is_pleo_method(self) -> bool:
        return "pleo" in f"{self.id} {self.description}".lower()

    @property
    def may_pay_twice(self) -> bool:
        """True when Visma.net's payment run would pay an invoice Pleo has already paid."""
        if self.is_pleo_method:
            return False
        return self.use_in_ap and self.means_of_payment != CARD_MEANS_OF_PAYMENT

    @property
    def warning(self) -> str:
        if not self.may_pay_twice:
            return ""
        return (
            f"Payment method {self.id} is used in supplier payments and is not a card method: "
            "Visma.net could pay these invoices a second time, although Pleo has paid them. "
            "Choose the Pleo card payment method."
        )


def payment_methods_for_connection(
    *, connection: Connection, session: requests.Session | None = None
) -> list[PaymentMethodChoice]:
    client = connection_visma_client(connection=connection, session=session)
    with call_links(connection_id=connection.pk):
        methods = client.payment_methods_list()
    return sorted((PaymentMethodChoice.from_visma(m) for m in methods), key=lambda m: m.id)


def cash_accounts_for_connection(
    *, connection: Connection, session: requests.Session | None = None
) -> list[CashAccount]:
    client = connection_visma_client(connection=connection, session=session)
    with call_links(connection_id=connection.pk):
        # Reference: GET /v1/cashaccount (CashAccount_GetAll)
        return client.cash_accounts_list()


def _wallet_accounts(connection: Connection) -> dict[str, str]:
    mapping = AccountMapping.objects.filter(connection=connection).first()
    return (
        {str(k): str(v) for k, v in (mapping.wallet_accounts or {}).items() if v} if mapping else {}
    )


def wallet_cash_account_problems(
    *, connection: Connection, cash_accounts: Sequence[CashAccount]
) -> list[str]:
    """Each Pleo Wallet account must be a Visma.net cash account in its currency: a purchase
    invoice names it as `cashAccount`, the account it was paid from (DESIGN §5)."""
    wallets = _wallet_accounts(connection)
    known = {c.number: c for c in cash_accounts}
    problems: list[str] = []
    for currency, number in sorted(wallets.items()):
        cash = known.get(number)
        if cash is None:
            problems.append(
                f"The Pleo Wallet account for {currency}, {number}, is not a cash account in "
                "Visma.net, and purchase invoices name it as the account they were paid from: "
                f"create cash account {number} in Visma.net (Cash accounts, CA202000) or choose "
                "a Pleo Wallet account that is one on the Accounts page."
            )
        elif cash.currency and cash.currency != currency:
            problems.append(
                f"Cash account {number} is in {cash.currency}, not {currency}: choose the Pleo "
                f"Wallet account for {currency} on the Accounts page."
            )
    return problems


def invoice_payment_method_problem(
    *, payment_method_id: str, payment_methods: Sequence[PaymentMethodChoice]
) -> str | None:
    """Why purchase invoices cannot name this Visma.net payment method, or None."""
    method = next((m for m in payment_methods if m.id == payment_method_id), None)
    if method is None:
        return f"Payment method {payment_method_id} does not exist in Visma.net."
    if not method.active:
        return f"Payment method {payment_method_id} is inactive in Visma.net."
    if not method.use_in_ap:
        return (
            f"Payment method {payment_method_id} is not enabled for accounts payable in "
            "Visma.net, so purchase invoices cannot use it."
        )
    return None


def export_settings_problems(
    *,
    connection: Connection,
    transfer_attachments: bool,
    one_journal_per_export: bool,
    card_expenses_as_invoices: bool,
    auto_release_invoices: bool,
    invoice_payment_method: str,
    closed_period_policy: str,
    payment_methods: Sequence[PaymentMethodChoice] | None = None,
    journal_batch_max_lines: int | None = None,
    cash_accounts: Sequence[CashAccount] | None = None,
    export_concurrency: int | None = None,
    read_missing: bool = True,
) -> dict[str, list[str]]:
    """The one validation of the export settings: field → why the value cannot be saved.

    The export settings page, the JSON API (through `export_settings_update`) and the setup
    overview (on the stored values) all call it. The two invoice options only apply to purchase
    invoices: with invoices off they cannot be changed. The payment method must be an active
    Visma.net method enabled for accounts payable. With invoices on, each Pleo Wallet account
    must be a cash account in its currency. `payment_methods` and `cash_accounts` are what the
    rules judge by (the mirror); when one is None it is read from Visma.net (`read_missing`)
    or, for the overview, that rule gives no verdict.
    """
    problems: dict[str, list[str]] = {}
    invoice_payment_method = invoice_payment_method.strip()
    if closed_period_policy not in ExportSettings.ClosedPeriodPolicy.values:
        problems.setdefault("closed_period_policy", []).append(
            "Choose what happens to expenses dated in a closed period."
        )
    if (
        journal_batch_max_lines is not None
        and not 1 <= journal_batch_max_lines <= MAX_JOURNAL_LINES
    ):
        problems.setdefault("journal_batch_max_lines", []).append(
            f"A journal transaction holds between 1 and {MAX_JOURNAL_LINES} lines."
        )
    if export_concurrency is not None and not (
        MIN_EXPORT_CONCURRENCY <= export_concurrency <= MAX_EXPORT_CONCURRENCY
    ):
        problems.setdefault("export_concurrency", []).append(
            f"Between {MIN_EXPORT_CONCURRENCY} and {MAX_EXPORT_CONCURRENCY} remote calls of an "
            "export may be under way at once."
        )
    current = ExportSettings.objects.filter(connection=connection).first()
    stored_release = current.auto_release_invoices if current else False
    stored_method = current.invoice_payment_method if current else ""
    if not card_expenses_as_invoices:
        # Both options are disabled while invoices are off: they keep their stored values (so
        # switching invoices off and on again does not lose them), and cannot be changed.
        if auto_release_invoices != stored_release:
            problems.setdefault("auto_release_invoices", []).append(
                "Auto-release applies only when card expenses are booked as purchase invoices: "
                "switch those on to change it."
            )
        if invoice_payment_method != stored_method:
            problems.setdefault("invoice_payment_method", []).append(
                "The payment method applies only when card expenses are booked as purchase "
                "invoices: switch those on to change it."
            )
    elif not invoice_payment_method:
        problems.setdefault("invoice_payment_method", []).append(
            "Choose the payment method for purchase invoices (the Pleo card method), so "
            "Visma.net does not pay them again."
        )
    else:
        if payment_methods is None and read_missing:
            payment_methods = payment_methods_for_connection(connection=connection)
        if payment_methods is not None:
            problem = invoice_payment_method_problem(
                payment_method_id=invoice_payment_method, payment_methods=payment_methods
            )
            if problem:
                problems.setdefault("invoice_payment_method", []).append(problem)
    if card_expenses_as_invoices and _wallet_accounts(connection):
        found: list[str] = []
        try:
            if cash_accounts is None and read_missing:
                cash_accounts = cash_accounts_for_connection(connection=connection)
        except errors.ApiError as exc:
            found = [f"Visma.net did not list the cash accounts: {exc.message}"]
        else:
            if cash_accounts is not None:
                found = wallet_cash_account_problems(
                    connection=connection, cash_accounts=cash_accounts
                )
        if found:
            problems["card_expenses_as_invoices"] = found
    return problems


def export_settings_update(
    *,
    connection: Connection,
    by: AbstractBaseUser | AnonymousUser | None,
    transfer_attachments: bool,
    one_journal_per_export: bool,
    card_expenses_as_invoices: bool,
    auto_release_invoices: bool,
    invoice_payment_method: str,
    closed_period_policy: str,
    payment_methods: Sequence[PaymentMethodChoice] | None = None,
    journal_batch_max_lines: int | None = None,
    cash_accounts: Sequence[CashAccount] | None = None,
    export_concurrency: int | None = None,
) -> ExportSettings:
    """Validate every value (`export_settings_problems`), then save all of them or none
    (raises `ValidationError`). A list not given is read from Visma.net."""
    invoice_payment_method = invoice_payment_method.strip()
    problems = export_settings_problems(
        connection=connection,
        transfer_attachments=transfer_attachments,
        one_journal_per_export=one_journal_per_export,
        card_expenses_as_invoices=card_expenses_as_invoices,
        auto_release_invoices=auto_release_invoices,
        invoice_payment_method=invoice_payment_method,
        closed_period_policy=closed_period_policy,
        payment_methods=payment_methods,
        journal_batch_max_lines=journal_batch_max_lines,
        cash_accounts=cash_accounts,
        export_concurrency=export_concurrency,
    )
    if problems:
        raise ValidationError(problems)

    with transaction.atomic():
        settings, _ = ExportSettings.objects.select_for_update().get_or_create(
            connection=connection
        )
        settings.transfer_attachments = transfer_attachments
        settings.one_journal_per_export = one_journal_per_export
        settings.card_expenses_as_invoices = card_expenses_as_invoices
        settings.auto_release_invoices = auto_release_invoices
        settings.invoice_payment_method = invoice_payment_method
        settings.closed_period_policy = closed_period_policy
        if journal_batch_max_lines is not None:
            settings.journal_batch_max_lines = journal_batch_max_lines
        if export_concurrency is not None:
            settings.export_concurrency = export_concurrency
        if by is not None and by.is_authenticated:
            # Outside a request (API tokens, commands) the history middleware cannot tell who.
            settings._history_user = by  # type: ignore[attr-defined]
        settings.save()
    return settings
