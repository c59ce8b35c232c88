"""The JSON configuration API: read and change a connection's export settings, account mapping,
tag settings and category mappings, and start a master data sync, so a team can keep its
configuration in code.

Same services (validation, all-or-nothing saves, history with the API user) as the pages.
Session or token authentication; finance staff write, finance or support staff read.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations.connections.models import Connection, ExportSettings
from integrations.core.access import ConnectionMember
from integrations.core.errors import ApiError
from integrations.masterdata.models import (
    CategoryMapping,
    SegmentSetting,
    SyncRun,
)
from integrations.masterdata.setup import selectors, services
from integrations.masterdata.setup import validation as v
from integrations.masterdata.setup.export_settings import (
    export_settings_facts_refresh,
    export_settings_save,
)
from integrations.masterdata.setup.permissions import FinanceWritesSupportReads
from integrations.masterdata.setup.serializers import (
    AccountMappingSerializer,
    CategoryMappingSerializer,
    CategoryMappingsResultSerializer,
    CategoryMappingsSerializer,
    ExportSettingsSerializer,
    SyncRunSerializer,
    SyncStartSerializer,
    TagSettingsResultSerializer,
    TagSettingsSerializer,
)
from integrations.masterdata.setup.sync_bridge import sync_queue

TAG = "configuration"
FORBIDDEN = OpenApiResponse(description="Not finance (writes) or finance/support (reads).")
INVALID = OpenApiResponse(description="Refused values: field → reasons.")


def _invalid(exc: DjangoValidationError) -> ValidationError:
    return ValidationError(detail=exc.message_dict)


def _user(request: Request) -> AbstractBaseUser:
    return request.user  # type: ignore[return-value]


class ConnectionAPIView(APIView):
    # Membership first: a non-member learns nothing, not even that writes are refused.
    permission_classes = [ConnectionMember, FinanceWritesSupportReads]

    def connection(self, connection_id: int) -> Connection:
        return get_object_or_404(Connection, pk=connection_id)


# -- export settings -------------------------------------------------------------------------


def _export_settings_data(settings: ExportSettings) -> dict[str, Any]:
    return ExportSettingsSerializer(settings).data


class ExportSettingsAPI(ConnectionAPIView):
    @extend_schema(tags=[TAG], responses={200: ExportSettingsSerializer, 403: FORBIDDEN})
    def get(self, request: Request, connection_id: int) -> Response:
        connection = self.connection(connection_id)
        settings = selectors.export_settings_for_connection(
            connection=connection
        ) or ExportSettings(connection=connection)
        return Response(_export_settings_data(settings))

    @extend_schema(
        tags=[TAG],
        request=ExportSettingsSerializer,
        responses={200: ExportSettingsSerializer, 400: INVALID, 403: FORBIDDEN},
        description="Replace the export settings. The purchase-invoice options (auto-release, "
        "payment method) can change only while card expenses are booked as purchase invoices.",
    )
    def put(self, request: Request, connection_id: int) -> Response:
        connection = self.connection(connection_id)
        serializer = ExportSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        # Judged by the mirror, as the page and the setup overview judge; a list the mirror
        # lacks is read from Visma.net into it first.
        export_settings_facts_refresh(
            connection=connection, invoices=values["card_expenses_as_invoices"], always=False
        )
        try:
            settings = export_settings_save(connection=connection, by=_user(request), values=values)
        except DjangoValidationError as exc:
            raise _invalid(exc) from exc
        except ApiError as exc:
            raise ValidationError(
                detail={
                    "invoice_payment_method": [
                        f"Visma.net did not list the payment methods: {exc.message}"
                    ]
                }
            ) from exc
        return Response(_export_settings_data(settings))


# -- account mapping -------------------------------------------------------------------------


class AccountMappingAPI(ConnectionAPIView):
    @extend_schema(tags=[TAG], responses={200: AccountMappingSerializer, 403: FORBIDDEN})
    def get(self, request: Request, connection_id: int) -> Response:
        connection = self.connection(connection_id)
        mapping = selectors.account_mapping_for_connection(connection=connection)
        if mapping is None:
            data: dict[str, Any] = {
                "wallet_accounts": {},
                "tax_account": "",
                "out_of_pocket_account": "",
                "output_vat_account": "",
                "default_vendor_number": "",
            }
        else:
            data = AccountMappingSerializer(mapping).data
        return Response(data)

    @extend_schema(
        tags=[TAG],
        request=AccountMappingSerializer,
        responses={200: AccountMappingSerializer, 400: INVALID, 403: FORBIDDEN},
        description="Replace the account mapping. Accounts must be active Visma.net accounts; "
        "wallet and tax accounts balance-sheet accounts, a wallet account in its currency.",
    )
    def put(self, request: Request, connection_id: int) -> Response:
        connection = self.connection(connection_id)
        serializer = AccountMappingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            mapping = services.account_mapping_update(
                connection=connection,
                data=services.AccountMappingInput(
                    wallet_accounts={k.upper(): val for k, val in data["wallet_accounts"].items()},
                    tax_account=data["tax_account"],
                    out_of_pocket_account=data["out_of_pocket_account"],
                    output_vat_account=data["output_vat_account"],
                    default_vendor_number=data["default_vendor_number"],
                ),
                user=_user(request),
                reason="Changed through the API",
            )
        except DjangoValidationError as exc:
            raise _invalid(exc) from exc
        return Response(AccountMappingSerializer(mapping).data)


# -- tag settings ----------------------------------------------------------------------------


def _tag_settings_data(connection: Connection) -> dict[str, Any]:
    segments = v.subaccount_segments(connection=connection)
    settings = {s.segment_id: s for s in SegmentSetting.objects.filter(connection=connection)}
    rows = []
    for segment in segments:
        setting = settings.get(segment.pk)
        rows.append(
            {
                "segment_id": segment.segment_id,
                "description": segment.description,
                "synced": bool(setting and setting.synced),
                "default_value": setting.default_value if setting else "",
                "pleo_tag_group_id": (setting.pleo_tag_group_id if setting else "")
                or segment.pleo_id,
            }
        )
    return {"segments": rows}


class TagSettingsAPI(ConnectionAPIView):
    @extend_schema(tags=[TAG], responses={200: TagSettingsSerializer, 403: FORBIDDEN})
    def get(self, request: Request, connection_id: int) -> Response:
        return Response(_tag_settings_data(self.connection(connection_id)))

    @extend_schema(
        tags=[TAG],
        request=TagSettingsSerializer,
        responses={200: TagSettingsResultSerializer, 400: INVALID, 403: FORBIDDEN},
        description="Change the segments given (others stay). A change queues a tags sync.",
    )
    def put(self, request: Request, connection_id: int) -> Response:
        connection = self.connection(connection_id)
        serializer = TagSettingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = [
            services.SegmentSettingInput(
                segment_id=row["segment_id"],
                synced=row["synced"],
                default_value=row["default_value"],
            )
            for row in serializer.validated_data["segments"]
        ]
        try:
            result = services.segment_settings_update(
                connection=connection,
                items=items,
                user=_user(request),
                reason="Changed through the API",
            )
        except DjangoValidationError as exc:
            raise _invalid(exc) from exc
        data = _tag_settings_data(connection)
        data.update(sync_run_id=result.sync_run_id, sync_error=result.sync_error)
        return Response(data)


# -- category mappings -----------------------------------------------------------------------


def _category_mappings_data(connection: Connection) -> list[dict[str, Any]]:
    return [
        CategoryMappingSerializer(m).data
        for m in CategoryMapping.objects.filter(connection=connection).order_by(
            "pleo_account_code", "pleo_account_name", "pleo_account_id"
        )
    ]


class CategoryMappingsAPI(ConnectionAPIView):
    @extend_schema(tags=[TAG], responses={200: CategoryMappingsSerializer, 403: FORBIDDEN})
    def get(self, request: Request, connection_id: int) -> Response:
        return Response({"mappings": _category_mappings_data(self.connection(connection_id))})

    @extend_schema(
        tags=[TAG],
        request=CategoryMappingsSerializer,
        responses={200: CategoryMappingsResultSerializer, 400: INVALID, 403: FORBIDDEN},
        description="Change the categories given (others stay; a blank account removes a "
        "mapping). Each changed default tax code is then written to Pleo; Pleo failures are "
        "listed in pleo_errors and leave the saved mapping in place.",
    )
    def put(self, request: Request, connection_id: int) -> Response:
        connection = self.connection(connection_id)
        serializer = CategoryMappingsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        items = [
            services.CategoryMappingInput(**row) for row in serializer.validated_data["mappings"]
        ]
        try:
            result = services.category_mappings_update(
                connection=connection,
                items=items,
                user=_user(request),
                reason="Changed through the API",
            )
        except DjangoValidationError as exc:
            raise _invalid(exc) from exc
        return Response(
            {
                "mappings": _category_mappings_data(connection),
                "removed": result.removed,
                "pleo_updated": result.pleo_updated,
                "pleo_errors": result.pleo_errors,
            }
        )


# -- syncs -----------------------------------------------------------------------------------


class SyncRunsAPI(ConnectionAPIView):
    @extend_schema(tags=[TAG], responses={200: SyncRunSerializer(many=True), 403: FORBIDDEN})
    def get(self, request: Request, connection_id: int) -> Response:
        connection = self.connection(connection_id)
        runs = SyncRun.objects.filter(connection=connection).order_by("-queued_at", "-id")[:50]
        return Response(SyncRunSerializer(runs, many=True).data)

    @extend_schema(
        tags=[TAG],
        request=SyncStartSerializer,
        responses={202: SyncRunSerializer, 400: INVALID, 403: FORBIDDEN},
        description="Queue a master data sync; follow it with GET …/syncs/{id}/.",
    )
    def post(self, request: Request, connection_id: int) -> Response:
        connection = self.connection(connection_id)
        serializer = SyncStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            run_id = sync_queue(
                connection=connection,
                kinds=serializer.validated_data["kinds"],
                full=serializer.validated_data["full"],
                user=_user(request),
            )
        except ValueError as exc:
            raise ValidationError(detail={"kinds": [str(exc)]}) from exc
        run = SyncRun.objects.get(pk=run_id)
        return Response(SyncRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SyncRunDetailAPI(ConnectionAPIView):
    @extend_schema(tags=[TAG], responses={200: SyncRunSerializer, 403: FORBIDDEN})
    def get(self, request: Request, connection_id: int, run_id: int) -> Response:
        connection = self.connection(connection_id)
        run = get_object_or_404(SyncRun, pk=run_id, connection=connection)
        return Response(SyncRunSerializer(run).data)
