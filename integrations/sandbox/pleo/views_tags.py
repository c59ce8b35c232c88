"""Tag groups and tags (dimensions and their values) of the Pleo sandbox.

Reference: ../shared/specs/pleo/pleo-tag-groups-api-openapi.yml and
pleo-tags-api-openapi.yml. Codes are matched case-insensitively, as Pleo's sync guide says.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from integrations.sandbox.pleo.api import (
    ApiError,
    body_object,
    check_company,
    check_type,
    methods,
    no_content,
    paginate,
    parse_uuid,
    pleo_api,
    query_bool,
    require,
    respond,
)
from integrations.sandbox.pleo.models import Company, Tag, TagGroup
from integrations.sandbox.pleo.shapes import tag_group_shape, tag_shape

GROUP_NOT_FOUND = ("TAG_GROUP_NOT_FOUND", "Tag group not found.")
TAG_NOT_FOUND = ("TAG_NOT_FOUND", "Tag not found.")


def _group_for(company: Company, group_id: str) -> TagGroup:
    key = parse_uuid(group_id, not_found=GROUP_NOT_FOUND)
    try:
        return TagGroup.objects.get(pk=key, company=company)
    except TagGroup.DoesNotExist as exc:
        raise ApiError(404, *GROUP_NOT_FOUND) from exc


def _tag_for(company: Company, tag_id: str) -> Tag:
    key = parse_uuid(tag_id, not_found=TAG_NOT_FOUND)
    try:
        return Tag.objects.select_related("group").get(pk=key, group__company=company)
    except Tag.DoesNotExist as exc:
        raise ApiError(404, *TAG_NOT_FOUND) from exc


def _group_fields(data: dict[str, Any], *, update: bool) -> dict[str, Any]:
    require(data, "code", "name", "archived", *(("metadata",) if update else ()))
    check_type(data, "code", str)
    check_type(data, "name", str)
    check_type(data, "archived", bool)
    check_type(data, "metadata", dict)
    return {
        "code": data["code"],
        "name": data["name"],
        "archived": data["archived"],
        "metadata": data.get("metadata") or {},
    }


def _group_code_free(company: Company, code: str, *, exclude: TagGroup | None = None) -> None:
    clash = TagGroup.objects.filter(company=company, code__iexact=code)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ApiError(409, "TAG_GROUP_CODE_ALREADY_EXISTS", f"A tag group {code!r} exists.")


def _groups_list(request: HttpRequest, company: Company) -> HttpResponse:
    company_id = request.GET.get("company_id")
    organization_id = request.GET.get("organization_id")
    if not company_id and not organization_id:
        raise ApiError(
            400, "VALIDATION_FAILED", "Either company_id or organization_id must be provided."
        )
    check_company(company, company_id)
    rows = TagGroup.objects.filter(company=company)
    if not query_bool(request, "include_archived"):
        rows = rows.filter(archived=False)
    with_count = bool(query_bool(request, "include_tags_count"))
    return respond({"data": [tag_group_shape(g, tags_count=with_count) for g in rows]})


def _groups_create(request: HttpRequest, company: Company) -> HttpResponse:
    check_company(company, request.GET.get("company_id"))
    fields = _group_fields(body_object(request), update=False)
    _group_code_free(company, fields["code"])
    group = TagGroup.objects.create(company=company, **fields)
    return respond({"data": tag_group_shape(group)}, status=201)


tag_groups = pleo_api(methods(get=_groups_list, post=_groups_create))


def _group_get(request: HttpRequest, company: Company, group_id: str) -> HttpResponse:
    return respond({"data": tag_group_shape(_group_for(company, group_id))})


def _group_put(request: HttpRequest, company: Company, group_id: str) -> HttpResponse:
    group = _group_for(company, group_id)
    fields = _group_fields(body_object(request), update=True)
    _group_code_free(company, fields["code"], exclude=group)
    for key, value in fields.items():
        setattr(group, key, value)
    group.save()
    return respond({"data": tag_group_shape(group)})


def _group_delete(request: HttpRequest, company: Company, group_id: str) -> HttpResponse:
    _group_for(company, group_id).delete()
    return no_content()


tag_group_detail = pleo_api(methods(get=_group_get, put=_group_put, delete=_group_delete))


def _tag_fields(data: dict[str, Any]) -> dict[str, Any]:
    require(data, "code", "archived")
    check_type(data, "code", str)
    check_type(data, "name", str)
    check_type(data, "archived", bool)
    return {"code": data["code"], "name": data.get("name"), "archived": data["archived"]}


def _tag_code_free(group: TagGroup, code: str, *, exclude: Tag | None = None) -> None:
    clash = group.tags.filter(code__iexact=code)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        raise ApiError(409, "TAG_CODE_ALREADY_EXISTS", f"A tag {code!r} exists in this group.")


def _tags_list(request: HttpRequest, company: Company, group_id: str) -> HttpResponse:
    group = _group_for(company, group_id)
    rows = group.tags.all()
    if not query_bool(request, "include_archived"):
        rows = rows.filter(archived=False)
    return respond(paginate(request, rows, tag_shape))


def _tags_create(request: HttpRequest, company: Company, group_id: str) -> HttpResponse:
    group = _group_for(company, group_id)
    fields = _tag_fields(body_object(request))
    _tag_code_free(group, fields["code"])
    tag = Tag.objects.create(group=group, **fields)
    return respond({"data": tag_shape(tag)}, status=201)


group_tags = pleo_api(methods(get=_tags_list, post=_tags_create))


def _tag_get(request: HttpRequest, company: Company, tag_id: str) -> HttpResponse:
    return respond({"data": tag_shape(_tag_for(company, tag_id))})


def _tag_put(request: HttpRequest, company: Company, tag_id: str) -> HttpResponse:
    tag = _tag_for(company, tag_id)
    fields = _tag_fields(body_object(request))
    _tag_code_free(tag.group, fields["code"], exclude=tag)
    for key, value in fields.items():
        setattr(tag, key, value)
    tag.save()
    return respond({"data": tag_shape(tag)})


def _tag_delete(request: HttpRequest, company: Company, tag_id: str) -> HttpResponse:
    _tag_for(company, tag_id).delete()
    return no_content()


tag_detail = pleo_api(methods(get=_tag_get, put=_tag_put, delete=_tag_delete))
