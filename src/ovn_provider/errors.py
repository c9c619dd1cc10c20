"""Errors that carry an HTTP status, raised by any layer below the HTTP one.

The HTTP layer renders them in the Neutron envelope (docs/compatibility.md, "Errors"); the model
layer
only picks the status that fits, without knowing about HTTP itself.
"""

from __future__ import annotations


class ApiError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    status = 409


class PreconditionFailed(ApiError):
    status = 412


class LengthRequired(ApiError):
    status = 411


class PayloadTooLarge(ApiError):
    status = 413


class NotImplementedFeature(ApiError):
    status = 501


class BadGateway(ApiError):
    status = 502


class ServiceUnavailable(ApiError):
    status = 503


class GatewayTimeout(ApiError):
    status = 504
