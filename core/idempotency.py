"""`Idempotency-Key` for every create endpoint of the API.

A client that may send a create twice (a timeout, a retry, a crashed integration) sends a key
of its choosing in the `Idempotency-Key` header. The first request with that key runs and its
answer is stored with a hash of the request; the same key with the same request answers the
stored response again (with `Idempotent-Replayed: true`) and creates nothing; the same key with
a different request is refused with 422. Keys belong to the user who sent them and expire after
`IDEMPOTENCY_KEY_TTL_HOURS` (24 by default). Only successful answers are stored: a request
refused with 400 can be corrected and sent again with the same key.

Concurrent requests with one key are serialised by the unique index on (user, key): the second
waits for the first to commit and then answers its stored response.

Use `IdempotentCreateMixin` on a viewset (it wraps `create`), or `@idempotent` on an extra
create action such as a bulk push.
"""

import datetime
import functools
import hashlib
import json

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = _(
        "This Idempotency-Key was already used for a different request. Send a new key for a new request."
    )


def _ttl() -> datetime.timedelta:
    return datetime.timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 24))


def request_hash(request) -> str:
    """The request as the server understood it: method, path, query and body (canonical JSON)."""
    try:
        body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError):
        body = repr(request.data)
    raw = "\n".join([request.method, request.path, request.META.get("QUERY_STRING", ""), body])
    return hashlib.sha256(raw.encode()).hexdigest()


def _replay(row: IdempotencyKey) -> Response:
    return Response(row.response, status=row.status_code, headers={"Idempotent-Replayed": "true"})


def idempotent_response(request, produce) -> Response:
    """Run `produce()` (which answers a DRF Response) at most once per user and key."""
    key = request.headers.get(HEADER, "").strip()
    user = getattr(request, "user", None)
    if not key or user is None or not user.is_authenticated:
        return produce()
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationError({HEADER: [_("At most %(n)s characters.") % {"n": MAX_KEY_LENGTH}]})
    fingerprint = request_hash(request)
    now = timezone.now()
    with transaction.atomic():
        IdempotencyKey.objects.filter(user=user, key=key, expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    request_hash=fingerprint,
                    path=request.path[:300],
                    status_code=0,
                    expires_at=now + _ttl(),
                )
        except IntegrityError:  # answered before (or just now, by a concurrent request)
            row = IdempotencyKey.objects.get(user=user, key=key)
            if row.request_hash != fingerprint:
                raise IdempotencyKeyReused() from None
            return _replay(row)
        response = produce()
        if 200 <= response.status_code < 300:
            row.status_code = response.status_code
            row.response = response.data
            row.save(update_fields=["status_code", "response"])
        else:
            row.delete()
        return response


#: the header and the 422 in the OpenAPI schema of every create that honours the key
KEY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string of yours (at most 255 characters): a retry with the same key and "
    "the same request answers the first response again and creates nothing; a different request "
    "with the same key answers 422. Keys are per user and expire after 24 hours.",
)
KEY_RESPONSES = {422: OpenApiResponse(description="The Idempotency-Key was used for a different request.")}


def idempotent(view_method):
    """Decorator for a viewset action that creates: `@idempotent` under `@action(...)`."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        return idempotent_response(request, lambda: view_method(self, request, *args, **kwargs))

    return wrapper


class IdempotentCreateMixin:
    """Put before `CreateModelMixin` (or any viewset with `create`): POSTs honour `Idempotency-Key`."""

    @extend_schema(parameters=[KEY_PARAMETER])
    def create(self, request, *args, **kwargs):
        return idempotent_response(request, lambda: super(IdempotentCreateMixin, self).create(request, *args, **kwargs))


def idempotency_keys_purge(*, now: datetime.datetime | None = None) -> int:
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
