"""``POST /api/v1/rounds/<round_id>/contribute``: the hub asks this node for its shares."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.auth import token_required
from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.outbound import http_client, own_signer
from samenbeeld.federation.node import rounds as node_service
from samenbeeld.federation.protocol import PROGRAMS
from samenbeeld.platform.catalog import CODE_PATTERN
from samenbeeld.platform.settings import NodeSettings

MAX_INDICATORS = 40
"""Keeps the comma-joined names within the audit log's 2000 characters."""

blp = Blueprint(
    "node_rounds", __name__, url_prefix="/api/v1", description="This node's part in rounds."
)


class ContributeRequestSchema(ma.Schema):
    """The round's indicators (catalog names, in vector order), its period and program."""

    indicators = ma.fields.List(
        ma.fields.String(validate=ma.validate.Regexp(CODE_PATTERN)),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_INDICATORS),
    )
    period_start = ma.fields.Date(required=True, metadata={"example": "2026-01-05"})
    program = ma.fields.String(
        load_default="checked_sum",
        validate=ma.validate.OneOf(PROGRAMS),
        metadata={"description": "values, one-hot buckets, or 0/1 spike flags"},
    )


class PartyUploadSchema(ma.Schema):
    """How one compute party answered."""

    party = ma.fields.Integer(required=True)
    outcome = ma.fields.String(
        required=True, metadata={"enum": ["accepted", "duplicate", "failed"]}
    )
    status_code = ma.fields.Integer(required=True, allow_none=True)
    sha256 = ma.fields.String(required=True)


class ContributionReportSchema(ma.Schema):
    """Whether the node contributed; why not; each party's answer."""

    round_id = ma.fields.String(required=True)
    contributed = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, allow_none=True)
    parties = ma.fields.List(ma.fields.Nested(PartyUploadSchema), required=True)


@blp.route("/rounds/<round_id>/contribute")
class Contribute(MethodView):
    """This node's contribution to a round."""

    @token_required("hub")
    @blp.arguments(ContributeRequestSchema)
    @blp.response(200, ContributionReportSchema)
    def post(self, body: dict[str, Any], round_id: str) -> node_service.ContributionReport:
        """Upload the node's shares to the three parties, unless it has not opted in."""
        return node_service.contribute(
            get_session(),
            current_settings(NodeSettings),
            own_signer(),
            http_client(),
            round_id,
            body["indicators"],
            body["period_start"],
            program=body["program"],
        )
