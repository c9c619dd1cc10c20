"""Errors that carry an HTTP status, raised by any layer below the HTTP one.

The HTTP layer renders them in the Neutron envelope (docs/compatibility.md, "Errors"); the model
layer
only picks the status that fits, without knowing about HTTP itself.

Each error also has a `type`: the name of the Neutron exception a Neutron server would
raise (`IpAddressInUse`, `NetworkNotFound`, ...), given where the model raises it, else
the class's own (`HTTPBadRequest`, ...), which is what Neutron reports for errors of its
HTTP layer. Clients that tell errors apart by Neutron's type read it in the envelope.
"""

from __future__ import annotations


class ApiError(Exception):
    status = 500
    default_type = "HTTPInternalServerError"

    def __init__(self, message: str, type: str | None = None) -> None:  # noqa: A002
        super().__init__(message)
        self.message = message
        self.type = type or self.default_type


class BadRequest(ApiError):
    status = 400
    default_type = "HTTPBadRequest"


class Unauthorized(ApiError):
    status = 401
    default_type = "HTTPUnauthorized"


class Forbidden(ApiError):
    status = 403
    default_type = "HTTPForbidden"


class NotFound(ApiError):
    status = 404
    default_type = "HTTPNotFound"


class MethodNotAllowed(ApiError):
    status = 405
    default_type = "HTTPMethodNotAllowed"


class Conflict(ApiError):
    status = 409
    default_type = "HTTPConflict"


class PreconditionFailed(ApiError):
    status = 412
    default_type = "RevisionNumberConstraintFailed"


class LengthRequired(ApiError):
    status = 411
    default_type = "HTTPLengthRequired"


class PayloadTooLarge(ApiError):
    status = 413
    default_type = "HTTPRequestEntityTooLarge"


class NotImplementedFeature(ApiError):
    status = 501
    default_type = "HTTPNotImplemented"


class BadGateway(ApiError):
    status = 502
    default_type = "HTTPBadGateway"


class ServiceUnavailable(ApiError):
    status = 503
    default_type = "HTTPServiceUnavailable"


class GatewayTimeout(ApiError):
    status = 504
    default_type = "HTTPGatewayTimeout"
