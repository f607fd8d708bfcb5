"""One error shape for every service: RFC 7807 ``application/problem+json``.

Every error response has the body ``{type, title, status, detail}``, plus ``errors``
for request validation::

    SamenbeeldError (samenbeeld.platform.errors)   status from STATUS_BY_ERROR
    werkzeug HTTPException (404, 405, 413, 503..)  its own status, type "about:blank"
    webargs validation (@blp.arguments)           422, field messages in "errors"
    any other exception                           500, detail "internal error" only

A 500 never shows the exception's text, which might hold a value; it is logged by type
and location only (log_internal_error).
"""

from __future__ import annotations

import logging
import re
import traceback

import marshmallow as ma
from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException, InternalServerError

from samenbeeld.platform.errors import (
    AuthenticationError,
    ConflictError,
    DisclosureRefusedError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    SamenbeeldError,
    UpstreamFailedError,
)

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:samenbeeld:problem:"
INTERNAL_ERROR = "internal error"
logger = logging.getLogger(__name__)

# The nearest class in an error's MRO decides its status; subclasses such as
# ConfigurationError and DefinitionError (InvalidInputError) follow their parent.
# DisclosureRefusedError is 409, not 403: the caller may ask, but the stored state
# (too few contributors, a dominant city, a spent privacy budget, an earlier release)
# forbids the answer, and 403 would read as a permission problem.
# A new error class of samenbeeld.platform.errors gets its status here, in one line.
STATUS_BY_ERROR: dict[type[SamenbeeldError], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    DisclosureRefusedError: 409,
    InvalidInputError: 422,
    UpstreamFailedError: 502,
    SamenbeeldError: 400,
}


class ProblemSchema(ma.Schema):
    """An RFC 7807 problem: documents every error response in the OpenAPI spec."""

    type = ma.fields.String(required=True, metadata={"description": "problem type URI"})
    title = ma.fields.String(required=True, metadata={"description": "short summary"})
    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status"})
    detail = ma.fields.String(required=True, metadata={"description": "what went wrong"})
    errors = ma.fields.Dict(metadata={"description": "request validation messages by field"})


def init_app(app: Flask) -> None:
    """Send Samenbeeld's own errors through the one handler (HTTP errors come via Api)."""
    app.register_error_handler(SamenbeeldError, handle_error)


def handle_error(error: SamenbeeldError | HTTPException) -> Response:
    """The one error handler: a problem+json response for error."""
    if isinstance(error, SamenbeeldError):
        return _samenbeeld_problem(error)
    return _http_problem(error)


def _samenbeeld_problem(error: SamenbeeldError) -> Response:
    """Status, type and title from the nearest mapped class; the message is the detail."""
    mapped = next(cls for cls in type(error).__mro__ if cls in STATUS_BY_ERROR)
    name = "bad request" if mapped is SamenbeeldError else _words(mapped.__name__[:-5])
    return problem(STATUS_BY_ERROR[mapped], name.capitalize(), str(error), _type_uri(name))


def _http_problem(error: HTTPException) -> Response:
    """A werkzeug error as a problem; webargs' messages become "errors"."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if status == 500 or isinstance(error, InternalServerError):
        return problem(500, "Internal Server Error", INTERNAL_ERROR)
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    headers += list((data.get("headers") or {}).items())
    if "messages" in data:
        detail, type_uri = "the request did not validate", _type_uri("invalid input")
        return problem(status, "Invalid input", detail, type_uri, data["messages"], headers)
    return problem(status, error.name, error.description or error.name, headers=headers)


def problem(
    status: int,
    title: str,
    detail: str,
    type_uri: str = "about:blank",
    errors: object = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """An application/problem+json response."""
    body: dict[str, object] = {"type": type_uri, "title": title, "status": status}
    body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    response = Response(json.dumps(body, sort_keys=False), status=status, mimetype=PROBLEM_JSON)
    response.headers.extend(headers or [])
    return response


def log_internal_error(error: BaseException) -> None:
    """Log an unhandled exception by type and where it was raised, never its text."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else ""
    rule = request.url_rule.rule if request.url_rule else "?"
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    logger.error("internal error: %s%s (%s %s)", kind, where, request.method, rule)


def _words(camel: str) -> str:
    """'DisclosureRefused' -> 'disclosure refused'."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", camel).lower()


def _type_uri(name: str) -> str:
    """'invalid input' -> 'urn:samenbeeld:problem:invalid-input'."""
    return PROBLEM_TYPE_PREFIX + name.replace(" ", "-")


DISCLOSURE_REFUSED = _type_uri("disclosure refused")
"""The problem type of a DisclosureRefusedError (e.g. a privacy budget that is spent)."""
