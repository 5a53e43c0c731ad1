"""Shared API pieces: the one error shape, the fast JSON renderer, pagination without a full
count, sparse fields (`?fields=`) and fast reads. (The JSON-only parser is core.parsers, the
schema that documents the error shape core.schema.)

Every error the API answers has one body (see docs/decisions.md, "One API error shape"):

    {"code": "invalid", "detail": "Invalid input.",
     "fields": {"owner": [{"message": "…", "code": "owner_not_assignable"}]}}

`code` is stable (clients branch on it), `detail` and the messages are in the caller's
language. Services raise Django's ValidationError (400), `core.locking.StaleVersionError`
(409) or PermissionDenied (403); views never translate them by hand.
"""

import copy
import datetime

import orjson
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ForeignKey
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from rest_framework import exceptions, fields, pagination, relations, renderers, serializers, status
from rest_framework.exceptions import APIException, ErrorDetail, NotFound
from rest_framework.fields import SkipField
from rest_framework.response import Response
from rest_framework.settings import ISO_8601, api_settings
from rest_framework.utils import encoders
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .locking import StaleVersionError

NON_FIELD = "non_field_errors"


class Conflict(APIException):
    """409. `extra` members (e.g. the id of the job in the way) go into the error body."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"

    def __init__(self, detail=None, code=None, extra: dict | None = None):
        super().__init__(detail, code)
        self.extra = extra or {}


def _django_error_detail(exc: DjangoValidationError) -> dict:
    """A Django ValidationError as DRF's {field: [ErrorDetail(message, code)]}, codes kept."""

    def details(errors) -> list:
        out = []
        for error in errors:
            for message in error:  # iterating a single error formats its params
                out.append(ErrorDetail(str(message), code=error.code or "invalid"))
        return out

    if hasattr(exc, "error_dict"):
        return {(NON_FIELD if field == "__all__" else field): details(errs) for field, errs in exc.error_dict.items()}
    return {NON_FIELD: details(exc.error_list)}


def _translate(exc):
    """Django's and the services' exceptions as the DRF exception with the right status."""
    if isinstance(exc, StaleVersionError):
        messages = _django_error_detail(exc)[NON_FIELD]
        return Conflict(detail={"version": messages}, code="stale")
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(_django_error_detail(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):  # a service's reason is kept (it says what to do)
        return exceptions.PermissionDenied(str(exc) if exc.args else None)
    return exc


def _flatten(detail, prefix: str, into: dict) -> None:
    """Nested serializer errors ({"rows": [{}, {"amount": [...]}]}) as "rows.1.amount"."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == NON_FIELD and prefix:  # a nested list's or object's own error: named by it
                _flatten(value, prefix, into)
            else:
                _flatten(value, f"{prefix}.{key}" if prefix else str(key), into)
    elif isinstance(detail, list) and detail and all(isinstance(d, ErrorDetail | str) for d in detail):
        into.setdefault(prefix or NON_FIELD, []).extend(
            {"message": str(d), "code": getattr(d, "code", None) or "invalid"} for d in detail
        )
    elif isinstance(detail, list):
        for index, value in enumerate(detail):
            if value:
                _flatten(value, f"{prefix}.{index}" if prefix else str(index), into)
    else:
        into.setdefault(prefix or NON_FIELD, []).append(
            {"message": str(detail), "code": getattr(detail, "code", None) or "invalid"}
        )


def error_body(exc: APIException) -> dict:
    fields: dict[str, list] = {}
    if isinstance(exc, exceptions.ValidationError):
        _flatten(exc.detail, "", fields)
        firsts = [errs[0] for errs in fields.values() if errs]
        only_non_field = list(fields) == [NON_FIELD]
        code = firsts[0]["code"] if len(firsts) == 1 and only_non_field else "invalid"
        detail = firsts[0]["message"] if only_non_field and firsts else _("Invalid input.")
    elif isinstance(exc.detail, dict):  # e.g. a conflict naming the field
        _flatten(exc.detail, "", fields)
        first = next(iter(fields.values()))[0]
        code, detail = first["code"], first["message"]
    else:
        detail = str(exc.detail)
        code = getattr(exc.detail, "code", None) or exc.default_code
    body = {"code": code, "detail": detail, "fields": fields}
    body.update(getattr(exc, "extra", {}))
    return body


def exception_handler(exc, context):
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every error answer in the one shape."""
    exc = _translate(exc)
    # Imported here: rest_framework.views reads DEFAULT_RENDERER_CLASSES, which names this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(exc)
    return response


# --- the error shape in the OpenAPI schema ---------------------------------------------------


class _VersionBody(serializers.Serializer):
    version = serializers.IntegerField(required=False, allow_null=True)


def body_version(request) -> int | None:
    """The optional `version` of an action's JSON body (optimistic locking), validated: a body
    that is not an object, or a version that is not a whole number, is a 400, never a 500."""
    body = _VersionBody(data=request.data if request.data is not None else {})
    body.is_valid(raise_exception=True)
    return body.validated_data.get("version")


class ApiDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField for every model DateTimeField of the API (core.apps puts it in
    ModelSerializer's field mapping) and for declared ones: a moment before 1901 is refused. No
    CRM record is that old, and before 1901 the local time zone's offset is local mean time
    (+08:05:43), which no client reads as an RFC 3339 date-time."""

    EARLIEST = datetime.datetime(1901, 1, 1, tzinfo=datetime.UTC)
    default_error_messages = {"too_early": gettext_lazy("Use a moment after 1900.")}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        too_early = moment < self.EARLIEST if timezone.is_aware(moment) else moment.year < self.EARLIEST.year
        if too_early:
            self.fail("too_early")
        return moment


class FieldErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    code = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable error code: invalid, stale, not_found, permission_denied, …")
    detail = serializers.CharField(help_text="What went wrong, in the caller's language.")
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        help_text='Messages per field ("rows.3.amount" inside lists; "non_field_errors" for the whole).',
    )


# --- fast JSON --------------------------------------------------------------------------------
_encoder = encoders.JSONEncoder()
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


class FastJSONRenderer(renderers.JSONRenderer):
    """JSON by orjson (several times faster than the standard library's encoder), with DRF's
    encoder deciding anything orjson does not know (lazy translations, Decimal, dates as DRF
    writes them). Indented output (the browsable API) stays with DRF's renderer."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        body = orjson.dumps(data, default=_encoder.default, option=_ORJSON_OPTIONS)
        # as DRF does: JSON that is also a strict JavaScript subset
        if b"\xe2\x80\xa8" in body or b"\xe2\x80\xa9" in body:
            body = body.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
        return body


# --- pagination -------------------------------------------------------------------------------
class ApiPagination(pagination.PageNumberPagination):
    """Pages without counting every matching row: one row more than the page tells whether there
    is a next page. `?count=true` adds `count`, which stops at COUNT_CAP (then `count_capped` is
    true), as the list pages count. `?page_size=` up to 200."""

    page_size_query_param = "page_size"
    max_page_size = 200
    COUNT_CAP = 10_000
    # no list has this many pages; a larger number is "no such page" (404), not an OFFSET beyond
    # what the database takes (a 500)
    MAX_PAGE = 1_000_000

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size_now = self.get_page_size(request)
        try:
            self.number = int(request.query_params.get(self.page_query_param) or 1)
        except (TypeError, ValueError):
            self.number = 0
        if not 1 <= self.number <= self.MAX_PAGE:
            raise NotFound(_("Invalid page."))
        offset = (self.number - 1) * self.page_size_now
        rows = list(queryset[offset : offset + self.page_size_now + 1])
        if not rows and self.number > 1:
            raise NotFound(_("Invalid page."))
        self.has_next = len(rows) > self.page_size_now
        self.count = None
        if request.query_params.get("count", "").lower() in {"1", "true", "yes"}:
            if self.number == 1 and not self.has_next:
                self.count = len(rows)  # the whole list is on this page
            else:
                self.count = queryset.order_by()[: self.COUNT_CAP + 1].count()
        return rows[: self.page_size_now]

    def get_paginated_response(self, data):
        body = {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        if self.count is not None:
            body = {"count": min(self.count, self.COUNT_CAP), "count_capped": self.count > self.COUNT_CAP, **body}
        return Response(body)

    def get_next_link(self):
        if not self.has_next:
            return None
        return replace_query_param(self.request.build_absolute_uri(), self.page_query_param, self.number + 1)

    def get_previous_link(self):
        if self.number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_html_context(self):
        return {"previous_url": self.get_previous_link(), "next_url": self.get_next_link(), "page_links": []}

    def get_paginated_response_schema(self, schema):
        base = super().get_paginated_response_schema(schema)
        base["required"] = ["results"]
        base["properties"]["count"]["description"] = "Only with ?count=true; at most 10,000."
        base["properties"]["count_capped"] = {"type": "boolean", "description": "The count stopped at 10,000."}
        return base

    def _documented(self, parameter: dict) -> dict:
        if parameter["name"] == self.page_query_param:
            return {
                **parameter,
                "description": f"A page number, 1 to {self.MAX_PAGE:,}; a page past the end is a 404.",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.MAX_PAGE},
            }
        if parameter["name"] == self.page_size_query_param:
            return {
                **parameter,
                "description": f"Rows per page (default {self.page_size}); more than {self.max_page_size} "
                f"gives {self.max_page_size}.",
            }
        return parameter

    def get_schema_operation_parameters(self, view):
        return [
            *(self._documented(parameter) for parameter in super().get_schema_operation_parameters(view)),
            {
                "name": "count",
                "required": False,
                "in": "query",
                "description": "true: also answer how many rows match (counting stops at 10,000).",
                "schema": {"type": "boolean"},
            },
        ]


# --- sparse fields ----------------------------------------------------------------------------
class SparseFieldsMixin:
    """`?fields=id,name,tier` on a list or detail GET answers only those fields (unknown names
    are a 400). The viewset side (SparseFieldsViewMixin) reads only their columns."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        wanted = requested_fields(self.context.get("request"))
        if wanted is None:
            return
        unknown = wanted - set(self.fields)
        if unknown:
            raise serializers.ValidationError(
                {"fields": [_("Unknown fields: %(names)s.") % {"names": ", ".join(sorted(unknown))}]}
            )
        for name in set(self.fields) - wanted:
            self.fields.pop(name)


def requested_fields(request) -> set[str] | None:
    if request is None or request.method != "GET":
        return None
    raw = request.query_params.get("fields", "") if hasattr(request, "query_params") else ""
    names = {n.strip() for n in raw.split(",") if n.strip()}
    return names or None


class SparseFieldsViewMixin:
    """Reads only the columns the `?fields=` asked for, when each is a plain column of the model
    (anything else: the whole row, as without `?fields=`)."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        wanted = requested_fields(self.request)
        if not wanted:
            return queryset
        serializer_fields = self.get_serializer_class()().fields
        columns = {f.name: f.attname for f in queryset.model._meta.concrete_fields}
        sources = set()
        for name in wanted:
            field = serializer_fields.get(name)
            source = getattr(field, "source", None)
            if source not in columns:
                return queryset
            sources.add(source)
        return queryset.select_related(None).prefetch_related(None).only("pk", *sources)


# --- fast reads -------------------------------------------------------------------------------
_PLAIN = (
    fields.CharField,
    fields.EmailField,
    fields.URLField,
    fields.SlugField,
    fields.ChoiceField,
    fields.IntegerField,
    fields.BooleanField,
)


class FastReadMixin:
    """A serializer's output as DRF writes it, with less work per row: the readable fields are
    looked at once per serializer (not once per row and field), plain columns are read straight
    from the instance and a foreign key's id from its `_id` attribute. Any other field goes
    through DRF's own `get_attribute` / `to_representation`.

    A ModelSerializer works out its fields from the model on every instance (every request);
    here that is done once per class and each instance gets a copy, as DRF copies declared
    fields: the fields depend on the class and the model only, never on the instance — and on
    the language (DRF formats a few messages, e.g. "already exists", when it builds the field)."""

    _field_prototypes: dict = {}

    def get_fields(self):
        key = (type(self), get_language())
        prototype = FastReadMixin._field_prototypes.get(key)
        if prototype is None:
            prototype = FastReadMixin._field_prototypes[key] = super().get_fields()
        return copy.deepcopy(prototype)

    def to_representation(self, instance):
        plan = self.__dict__.get("_fast_plan")
        if plan is None:
            plan = self._fast_plan = [_compile(field) for field in self._readable_fields]
        ret = {}
        for name, read in plan:
            try:
                ret[name] = read(instance)
            except SkipField:
                continue
        return ret


def _compile(field):
    attrs = field.source_attrs
    name = field.field_name
    if len(attrs) == 1 and type(field) in _PLAIN and not isinstance(field, fields.MultipleChoiceField):
        attr = attrs[0]
        convert = str if isinstance(field, fields.CharField) else None
        if isinstance(field, fields.ChoiceField):  # DRF maps the stored value through the choices

            def read_choice(instance, attr=attr, lookup=field.choice_strings_to_values):
                value = getattr(instance, attr)
                if value in ("", None):
                    return value
                return lookup.get(str(value), value)

            return name, read_choice
        if isinstance(field, fields.IntegerField):
            convert = int

        def read_plain(instance, attr=attr, convert=convert):
            value = getattr(instance, attr)
            return None if value is None else (convert(value) if convert else value)

        return name, read_plain
    if (
        len(attrs) == 1
        and type(field) in (fields.DateTimeField, ApiDateTimeField)
        and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
        and _field_timezone(field) is not None
    ):
        # as DateTimeField writes it: in the current time zone, ISO 8601, UTC as "Z"
        tz = _field_timezone(field)

        def read_datetime(instance, attr=attrs[0], tz=tz):
            value = getattr(instance, attr)
            if not value:
                return None
            text = value.astimezone(tz).isoformat() if timezone.is_aware(value) else value.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return name, read_datetime
    if (
        len(attrs) == 1
        and isinstance(field, relations.PrimaryKeyRelatedField)
        and field.pk_field is None
        and isinstance(_model_field(field), ForeignKey)
    ):
        attname = _model_field(field).attname
        return name, lambda instance, attname=attname: getattr(instance, attname)

    def read_drf(instance, field=field):
        attribute = field.get_attribute(instance)
        check_for_none = attribute.pk if isinstance(attribute, relations.PKOnlyObject) else attribute
        return None if check_for_none is None else field.to_representation(attribute)

    return name, read_drf


def _field_timezone(field):
    return field.timezone if hasattr(field, "timezone") else field.default_timezone()


def _model_field(field):
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None:
        return None
    try:
        return model._meta.get_field(field.source_attrs[0])
    except Exception:  # not a model field (a property, a method)
        return None
