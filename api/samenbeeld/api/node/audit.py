"""``GET /api/v1/audit-log``: the node's outbound uploads, newest first; hashes, never values."""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.auth import token_required
from samenbeeld.api.db import get_session
from samenbeeld.api.node.opt_ins import require_own_node
from samenbeeld.federation.node import rounds as node_service
from samenbeeld.platform.models.node import AuditEntry

blp = Blueprint(
    "audit", __name__, url_prefix="/api/v1", description="What this node sent, and to whom."
)


MAX_OFFSET = 1_000_000_000


class AuditQueryArgsSchema(ma.Schema):
    """One page of the audit log."""

    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=500))
    # Bounded so that the database never sees a number past its 64-bit integers.
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(0, MAX_OFFSET))


class AuditEntrySchema(ma.Schema):
    """One upload attempt to one compute party."""

    id = ma.fields.Integer(required=True)
    round_id = ma.fields.String(required=True)
    indicators = ma.fields.Function(lambda entry: entry.indicators.split(","), required=True)
    party_index = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True, metadata={"description": "of the bytes sent"})
    byte_count = ma.fields.Integer(required=True)
    status_code = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: no answer"}
    )
    sent_at = ma.fields.DateTime(required=True)


@blp.route("/audit-log")
class AuditLog(MethodView):
    """The outbound audit log."""

    @token_required("node")
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    def get(self, args: dict[str, int]) -> list[AuditEntry]:
        """Upload attempts, newest first, one page at a time."""
        require_own_node()
        return node_service.audit_log(get_session(), args["limit"], args["offset"])
