"""The OpenAPI schema documents the one error shape on every operation (DEFAULT_SCHEMA_CLASS)."""

from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from .api import ErrorSerializer


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


def _model_allows_blank(field) -> bool:
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not isinstance(field.source, str) or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).blank)
    except FieldDoesNotExist:
        return False


def _decimal_pattern(field) -> str | None:
    """The text a DecimalField takes (sent as a string): at least one digit, no more whole digits
    and places than it keeps, no sign when it takes no negative, a non-zero digit when it takes
    only positive amounts, and no more whole digits than its maximum has (a conservative subset
    when the maximum is not a power of ten: the description gives the exact bounds).
    drf-spectacular's own pattern takes "", "." and "-" (400s) and any sign whatever the minimum."""
    places, whole = field.decimal_places, field.max_whole_digits
    if places is None or whole is None or field.localize:
        return None
    minimum, maximum = field.min_value, field.max_value
    if maximum is not None and maximum >= 1:
        whole = min(whole, len(str(int(maximum))) - 1)
    fraction = rf"(?:\.\d{{0,{places}}})?" if places else ""
    if whole < 1 and not places:
        return None
    if minimum is not None and minimum > 0:
        if minimum > Decimal(1).scaleb(-places) or whole < 1:
            return None  # a minimum above the smallest step: no pattern says it
        parts = [rf"[1-9]\d{{0,{whole - 1}}}{fraction}"]
        if places:
            nonzero = "|".join(
                "0" * k + "[1-9]" + (rf"\d{{0,{places - 1 - k}}}" if k < places - 1 else "") for k in range(places)
            )
            parts.append(rf"0?\.(?:{nonzero})")
        return "^(?:" + "|".join(parts) + ")$"
    sign = "" if minimum is not None and minimum >= 0 else "-?"
    digits = [rf"\d{{1,{whole}}}{fraction}"] if whole else ["0?" + fraction]
    if places:
        digits.append(rf"\.\d{{1,{places}}}")
    return f"^{sign}(?:" + "|".join(digits) + ")$"


def _bounds(field) -> str:
    low, high = field.min_value, field.max_value
    if low is not None and high is not None:
        return f"From {low:,} to {high:,}."
    if low is not None:
        return f"At least {low:,}."
    return f"At most {high:,}." if high is not None else ""


class CrmAutoSchema(AutoSchema):
    """Documents the answers every endpoint can give besides its success: the error shape."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "request"  # answers keep drf-spectacular's pattern: stored amounts may predate a rule
            and isinstance(field, serializers.DecimalField)
            and schema.get("format") == "decimal"
            and "pattern" in schema
        ):
            pattern = _decimal_pattern(field)
            if pattern is not None:
                schema["pattern"] = pattern
            bounds = _bounds(field)
            if bounds:
                schema["description"] = f"{schema['description']} {bounds}" if schema.get("description") else bounds
        # DRF drops `allow_blank` from a model choice field listed in read_only_fields, so the
        # enum would leave out the "" that a blank=True column answers (an opportunity's
        # close_reason before it closes): say so
        if (
            isinstance(field, serializers.ChoiceField)
            and not isinstance(field, serializers.MultipleChoiceField)
            and field.read_only
            and "" not in schema.get("enum", [""])
            and _model_allows_blank(field)
        ):
            choices = [choice for choice in schema["enum"] if choice is not None]
            schema["enum"] = [*choices, "", *([None] if None in schema["enum"] else [])]
        return schema

    def get_operation(self, *args, **kwargs):
        from .idempotency import HEADER, KEY_RESPONSES  # it declares its parameter with this module's tools

        operation = super().get_operation(*args, **kwargs)
        # a create that honours Idempotency-Key answers 422 to a key reused for another request
        if operation and any(p.get("name") == HEADER for p in operation.get("parameters", [])):
            responses = operation["responses"]
            if "422" not in responses:
                responses["422"] = self._get_response_for_code(
                    _error(KEY_RESPONSES[422].description), "422", direction="response"
                )
        return operation

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        extra = {
            "400": "Invalid input (field messages) or bad query parameters.",
            "401": "No or bad credentials.",
            "403": "Signed in, but your role may not do this.",
            "429": "Too many requests; retry later.",
        }
        extra["404"] = "Not found, or not visible to you (or no such page of a list)."
        if method in ("POST", "PUT", "PATCH"):
            extra["415"] = "The body is not JSON."
        if method in ("PUT", "PATCH", "POST", "DELETE"):
            extra["409"] = "Conflict: a stale version, or a request in the way of another."
        for code, description in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(_error(description), code, direction=direction)
        return responses


def link_creates_to_their_objects(result, generator, request, public):
    """drf-spectacular postprocessing hook: OpenAPI links from each create to the operations on
    the object it made. A POST to `/api/<things>/` that answers the object (201, or 200 where an
    idempotent replay answers the existing one) links to every operation under
    `/api/<things>/{id}/`, passing the answer's `id`, so that clients and schemathesis' stateful
    run can chain create -> read -> update -> delete -> actions. Routes added later are linked
    the day they appear."""
    paths = result.get("paths", {})
    for collection, item in paths.items():
        create = item.get("post")
        if create is None:
            continue
        prefix = f"{collection}{{id}}/"
        targets = [
            (method, operation)
            for path, path_item in sorted(paths.items())
            if path.startswith(prefix)
            for method, operation in path_item.items()
            if isinstance(operation, dict) and "operationId" in operation
        ]
        if not targets:
            continue
        for code in ("201", "200"):
            answer = create.get("responses", {}).get(code)
            if answer is None or "content" not in answer:
                continue
            links = answer.setdefault("links", {})
            for method, operation in targets:
                links[operation["operationId"]] = {
                    "operationId": operation["operationId"],
                    "parameters": {"id": "$response.body#/id"},
                    "description": f"{method.upper()} the object this request made or answered.",
                }
    return result
