"""Samenbeeld's exception tree; one handler per edge (CLI, HTTP) maps it to a message.

    SamenbeeldError
    ├── AuthenticationError    (no valid service token: HTTP 401)
    ├── NotFoundError
    ├── ConflictError
    ├── PermissionDeniedError
    ├── InvalidInputError
    │   ├── ConfigurationError
    │   └── DefinitionError        (a YAML content file is invalid)
    ├── DisclosureRefusedError
    ├── UpstreamFailedError        (another service failed: HTTP 502)
    └── VerificationFailedError    (a stored release is not what the parties signed)

Messages never carry a municipality's value: only codes, line numbers, field names
and reasons.
"""


class SamenbeeldError(Exception):
    """Base class of every error Samenbeeld raises on purpose."""


class AuthenticationError(SamenbeeldError):
    """A service token is missing, malformed, forged, expired or replayed.

    The message names the reason only, never the token or a key.
    """


class NotFoundError(SamenbeeldError):
    """A named thing (municipality, indicator, round) does not exist."""


class ConflictError(SamenbeeldError):
    """The request contradicts stored state (duplicate, already released)."""


class PermissionDeniedError(SamenbeeldError):
    """The caller may not do this."""


class InvalidInputError(SamenbeeldError):
    """Input failed validation; nothing was changed."""


class ConfigurationError(InvalidInputError):
    """Settings are missing or malformed."""


class DefinitionError(InvalidInputError):
    """A content file (registry, catalog, template) is invalid.

    The message names the file, the field and the reason.
    """

    def __init__(self, path: str, errors: dict[str, object] | str) -> None:
        self.path = path
        self.errors = errors
        super().__init__(f"{path}: {format_errors(errors)}")


class DisclosureRefusedError(SamenbeeldError):
    """Releasing this would break disclosure control or the privacy budget."""


class UpstreamFailedError(SamenbeeldError):
    """Another service failed: it did not answer, answered with an error that is not the
    caller's doing or with something malformed, or (an MPC) produced no result in time."""


class VerificationFailedError(SamenbeeldError):
    """A stored release does not match the compute parties' signed reports: a signature that
    does not verify, digests that differ, or a release row unlike the signed result. The
    message names the party, or the cell and the field, never a value."""


def format_errors(errors: object, prefix: str = "") -> str:
    """Flatten marshmallow's nested error dict into 'field.sub: reason; ...'."""
    if isinstance(errors, dict):
        parts = [
            format_errors(v, f"{prefix}{k}." if prefix or k != "_schema" else "")
            for k, v in errors.items()
        ]
        return "; ".join(parts)
    if isinstance(errors, list):
        reasons = ", ".join(str(e) for e in errors)
        return f"{prefix.rstrip('.')}: {reasons}" if prefix else reasons
    return f"{prefix.rstrip('.')}: {errors}" if prefix else str(errors)
