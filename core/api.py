"""Shared API pieces: turn service errors into 400/409 answers with field messages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException

from .locking import StaleVersionError


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "stale"


def call_service(fn, **kwargs):
    """Run a service; its Django ValidationError becomes a DRF 400 (or 409 for a stale version)."""
    try:
        return fn(**kwargs)
    except StaleVersionError as exc:
        raise Conflict(detail={"version": exc.messages}) from exc
    except DjangoValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise serializers.ValidationError(detail) from exc
