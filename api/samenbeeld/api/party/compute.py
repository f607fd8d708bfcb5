"""POST /api/v1/rounds/<id>/compute: the hub asks this party to run its part of a round.

The party closes the round for uploads (committed at once: it stays closed when the MPC
fails), runs its one-shot CrypTen process, reports the signed result to the hub and
answers with the result's sha256. The hub is reached through the app's HTTP client
(:mod:`samenbeeld.api.outbound`).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.auth import token_required
from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.errors import PROBLEM_JSON, ProblemSchema
from samenbeeld.api.outbound import http_client
from samenbeeld.federation.hub import rounds as hub_rounds
from samenbeeld.federation.party import rounds as party_service
from samenbeeld.federation.protocol import PROGRAMS
from samenbeeld.platform.catalog import CODE_PATTERN
from samenbeeld.platform.settings import MUNICIPALITY_CODE, PartySettings

blp = Blueprint(
    "compute", __name__, url_prefix="/api/v1", description="Run a round's secure aggregation."
)


class ComputeRequestSchema(ma.Schema):
    """The hub's compute request (see the round protocol)."""

    attempt = ma.fields.Integer(
        required=True, validate=ma.validate.Range(0, hub_rounds.MAX_ATTEMPT)
    )
    cohort = ma.fields.List(
        ma.fields.String(validate=ma.validate.Regexp(MUNICIPALITY_CODE)),
        required=True,
        validate=ma.validate.Length(min=1, max=hub_rounds.MAX_COHORT),
        metadata={"description": "municipality codes, in the order of the matrix rows"},
    )
    program = ma.fields.String(required=True, validate=ma.validate.OneOf(PROGRAMS))
    period_start = ma.fields.Date(required=True, metadata={"example": "2026-01-05"})
    indicators = ma.fields.List(
        ma.fields.String(validate=ma.validate.Regexp(CODE_PATTERN)),
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "the round's catalog codes, in cell order"},
    )
    cells_per_indicator = ma.fields.Integer(
        load_default=1, validate=ma.validate.Range(1, party_service.sharing.MAX_CELLS)
    )
    params = ma.fields.Dict(
        load_default=dict,
        metadata={
            "description": "only stricter rules than this party's own: min_contributors, "
            "and dominance for checked_sum"
        },
    )
    master_addr = ma.fields.String(
        load_default="127.0.0.1", validate=ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9.:-]{0,252}$")
    )
    master_port = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 65535))
    timeout = ma.fields.Float(
        load_default=60.0,
        validate=ma.validate.Range(1.0, 3600.0),
        metadata={"description": "seconds the party process may take in all; killed after"},
    )

    @ma.validates("cohort")
    def _distinct(self, cohort: list[str], **_kwargs: Any) -> None:
        """A city appears once in a cohort."""
        if len(set(cohort)) != len(cohort):
            raise ma.ValidationError("a municipality appears more than once")


class ComputeResponseSchema(ma.Schema):
    """The reported result's fingerprint (equal at all three parties when they agree)."""

    report_sha256 = ma.fields.String(
        required=True, metadata={"description": "sha256 of the canonical JSON of the result"}
    )


@blp.route("/rounds/<round_id>/compute")
class Compute(MethodView):
    """This party's part of a round's MPC."""

    @token_required("hub")
    @blp.arguments(ComputeRequestSchema)
    @blp.response(200, ComputeResponseSchema)
    @blp.alt_response(
        409,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="A cohort city has no upload here or one of another spec, the attempt "
        "ran, or this party's ledger refuses to reveal the cells again.",
    )
    @blp.alt_response(
        422,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="This party's own policy refuses the request (program, indicator, "
        "period, a rule below its own, a cohort below its minimum).",
    )
    @blp.alt_response(
        502,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description="The MPC failed or timed out, or the hub refused the report.",
    )
    def post(self, args: dict[str, Any], round_id: str) -> dict[str, str]:
        """Close the round, run its program with the other parties, report it to the hub."""
        settings = current_settings(PartySettings)
        job = party_service.compute_job(round_id, args, settings)
        session = get_session()
        matrix = party_service.prepare_round(session, job, settings.index)
        session.commit()  # the round stays closed for uploads even when the MPC fails
        digest = party_service.compute_and_report(job, matrix, settings, http_client())
        return {"report_sha256": digest}
