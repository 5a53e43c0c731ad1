"""The OpenAPI schema documents the one error shape on every operation (DEFAULT_SCHEMA_CLASS)."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from .api import ErrorSerializer


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


class CrmAutoSchema(AutoSchema):
    """Documents the answers every endpoint can give besides its success: the error shape."""

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
