"""A round's share uploads at a compute party: nodes PUT theirs once, the hub lists who did."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.auth import current_identity, token_required
from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.errors import PROBLEM_JSON, ProblemSchema
from samenbeeld.federation.party import rounds as party_service
from samenbeeld.federation.protocol import PROGRAMS, RoundSpec
from samenbeeld.platform.catalog import CODE_PATTERN
from samenbeeld.platform.settings import PartySettings

blp = Blueprint(
    "shares", __name__, url_prefix="/api/v1", description="Cities' additive shares per round."
)

SHARE_BODY = {
    "required": True,
    "description": "The payload bytes of `sharing.encode_payload(shares, i)` for this party i.",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


class RoundSpecQuerySchema(ma.Schema):
    """The round spec the node computed its vector for (see ``protocol.RoundSpec``)."""

    program = ma.fields.String(required=True, validate=ma.validate.OneOf(PROGRAMS))
    period_start = ma.fields.Date(required=True, metadata={"example": "2026-01-05"})
    indicators = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(rf"^{CODE_PATTERN[1:-1]}(,{CODE_PATTERN[1:-1]}){{0,199}}$"),
        metadata={"description": "catalog codes in cell order, comma-separated"},
    )
    cells_per_indicator = ma.fields.Integer(
        load_default=1, validate=ma.validate.Range(1, party_service.sharing.MAX_CELLS)
    )


class UploadReceiptSchema(ma.Schema):
    """What a party stored for a node's upload."""

    round_id = ma.fields.String(required=True, metadata={"example": "weekly-2026-01-05-a1"})
    municipality = ma.fields.String(required=True, metadata={"example": "GM0758"})
    sha256 = ma.fields.String(required=True, metadata={"description": "of the payload bytes"})


class UploadListSchema(ma.Schema):
    """Who uploaded a share for a round (codes only, never payloads)."""

    municipalities = ma.fields.List(ma.fields.String(), required=True)


def _problem(status: int, description: str) -> dict[str, Any]:
    """alt_response arguments of a problem+json error."""
    return {
        "status_code": status,
        "schema": ProblemSchema,
        "content_type": PROBLEM_JSON,
        "description": description,
    }


@blp.route("/rounds/<round_id>/shares")
class Shares(MethodView):
    """The shares of one round held by this party."""

    @token_required("node")
    @blp.arguments(RoundSpecQuerySchema, location="query")
    @blp.doc(requestBody=SHARE_BODY)
    @blp.response(201, UploadReceiptSchema)
    @blp.alt_response(**_problem(409, "Already uploaded, the round is closed, or another spec."))
    @blp.alt_response(
        **_problem(422, "Bad round id or spec, or a malformed or misaddressed payload.")
    )
    def put(self, query: dict[str, Any], round_id: str) -> dict[str, str]:
        """Store the calling node's share payload for this round and its spec, once."""
        municipality = current_identity().member
        upload = party_service.store_upload(
            get_session(),
            round_id,
            municipality,
            request.get_data(),
            RoundSpec.from_query(query),
            current_settings(PartySettings),
        )
        return {"round_id": round_id, "municipality": municipality, "sha256": upload.sha256}

    @token_required("hub")
    @blp.response(200, UploadListSchema)
    def get(self, round_id: str) -> dict[str, list[str]]:
        """The municipalities that uploaded a share for this round, sorted."""
        codes = party_service.uploaded_municipalities(get_session(), round_id)
        return {"municipalities": codes}
