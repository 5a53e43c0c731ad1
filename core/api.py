"""Shared API pieces: the one error shape, the JSON-only parser, and the schema that documents both.

Every error the API answers has one body (see docs/decisions.md, "One API error shape"):

    {"code": "invalid", "detail": "Invalid input.",
     "fields": {"owner": [{"message": "…", "code": "owner_not_assignable"}]}}

`code` is stable (clients branch on it), `detail` and the messages are in the caller's
language. Services raise Django's ValidationError (400), `core.locking.StaleVersionError`
(409) or PermissionDenied (403); views never translate them by hand.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.exceptions import APIException, ErrorDetail
from rest_framework.views import exception_handler as drf_exception_handler

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
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    return exc


def _flatten(detail, prefix: str, into: dict) -> None:
    """Nested serializer errors ({"rows": [{}, {"amount": [...]}]}) as "rows.1.amount"."""
    if isinstance(detail, dict):
        for key, value in detail.items():
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
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = error_body(exc)
    return response


# --- the error shape in the OpenAPI schema ---------------------------------------------------


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
