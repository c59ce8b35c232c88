from __future__ import annotations

from django.urls import URLPattern, path

from integrations.sandbox.common import control_urlpatterns
from integrations.sandbox.visma import (
    attachments,
    connect,
    control,
    invoices,
    journals,
)
from integrations.sandbox.visma import (
    views_master as m,
)

urlpatterns: list[URLPattern] = [
    # Visma Connect
    path("connect/token", connect.token, name="sandbox-visma-token"),
    path("connect/authorize", connect.authorize, name="sandbox-visma-authorize"),
    # Master data
    path("v1/account", m.accounts),
    path("v1/account/<str:number>", m.account),
    path("v1/organization", m.organizations),
    path("v1/organization/<str:number>", m.organization),
    path("v1/vatCategory", m.vat_categories),
    path("v1/vatCategory/<str:category_id>", m.vat_category),
    path("v1/vat", m.vats),
    path("v1/vat/<str:vat_id>", m.vat),
    path("v1/vatZone", m.vat_zones),
    path("v1/vatZone/<str:zone_id>", m.vat_zone),
    path("v1/dimension", m.dimensions),
    path("v1/dimension/<str:dimension_id>", m.dimension),
    path("v1/dimension/<str:dimension_id>/<int:segment_id>", m.dimension_segment),
    path("v1/subaccount", m.subaccounts),
    path("v1/supplier", m.suppliers),
    path("v1/supplier/supplierClass", m.supplier_classes),
    path("v1/supplier/supplierClass/<str:item_id>", m.supplier_class),
    path("v1/supplier/<str:number>", m.supplier),
    path("v1/paymentmethod", m.payment_methods),
    path("v1/paymentmethod/<str:item_id>", m.payment_method),
    path("v1/creditTerm", m.credit_terms),
    path("v1/cashaccount", m.cash_accounts),
    path("v1/cashaccount/<str:item_id>", m.cash_account),
    path("v1/branch", m.branches),
    path("v1/branch/<str:item_id>", m.branch),
    path("v1/financialPeriod", m.financial_periods),
    path("v1/financialPeriod/<str:item_id>", m.financial_period),
    path("v1/currency", m.currencies),
    path("v1/currency/<str:item_id>", m.currency),
    # Journal transactions
    path("v2/journaltransaction", journals.journal_transactions),
    path("v2/journaltransaction/<str:number>", journals.journal_transaction),
    path("v2/journaltransaction/<str:number>/action/release", journals.journal_release),
    path(
        "v2/journaltransaction/module/<str:module>/<str:number>/attachment",
        attachments.journal_attach,
    ),
    path(
        "v2/journaltransaction/module/<str:module>/<str:number>/<int:line_number>/attachment",
        attachments.journal_line_attach,
    ),
    # Supplier invoices
    path("v1/supplierInvoice", invoices.supplier_invoices),
    path(
        "v1/supplierInvoice/documentType/<str:document_type>/<str:number>/attachment",
        attachments.invoice_attach,
    ),
    path(
        "v1/supplierInvoice/<str:document_type>/<str:number>/action/release",
        invoices.supplier_invoice_release,
    ),
    path("v1/supplierInvoice/<str:document_type>/<str:number>", invoices.supplier_invoice),
    path("v1/supplierInvoice/<str:number>", invoices.supplier_invoice),
    path("v1/attachment/<str:attachment_id>", attachments.attachment),
    # Control API
    *control_urlpatterns("visma"),
    path("_control/reset", control.reset, name="sandbox-visma-control-reset"),
    path("_control/seed", control.seed, name="sandbox-visma-control-seed"),
    path("_control/state", control.state, name="sandbox-visma-control-state"),
    path("_control/records/<str:kind>/<path:key>", control.record_change),
]
