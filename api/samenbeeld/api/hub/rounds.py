"""Rounds at the hub: open, compute, party reports, released cells."""

from __future__ import annotations

import datetime as dt
from typing import Any

import marshmallow as ma
from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api import db
from samenbeeld.api.auth import current_identity, token_required
from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.hub.keys import registry_keys
from samenbeeld.api.outbound import http_client, own_signer
from samenbeeld.federation.hub import compute as hub_compute
from samenbeeld.federation.hub import reports
from samenbeeld.federation.hub import rounds as hub_rounds
from samenbeeld.federation.protocol import PROGRAMS, ROUND_ID, PartyResult
from samenbeeld.platform.catalog import RELEASE_MECHANISMS
from samenbeeld.platform.models.hub import Round
from samenbeeld.platform.settings import HubSettings

NOISE_MECHANISMS = tuple(m for m in RELEASE_MECHANISMS if m != "exact")
blp = Blueprint("rounds", __name__, url_prefix="/api/v1/rounds", description="Aggregation rounds.")


class RoundOpenSchema(ma.Schema):
    """What an operator opens a round for."""

    id = ma.fields.String(required=True, validate=ma.validate.Regexp(ROUND_ID))
    indicators = ma.fields.List(
        ma.fields.String(), required=True, validate=ma.validate.Length(1, 64)
    )
    period_start = ma.fields.Date(required=True)
    cells_per_indicator = ma.fields.Integer(
        load_default=1, validate=ma.validate.Range(1, hub_rounds.MAX_CELLS)
    )
    program = ma.fields.String(
        load_default="checked_sum",
        validate=ma.validate.OneOf(PROGRAMS),
        metadata={"description": "sums per cell, one-hot bucket counts, or spike-flag counts"},
    )


class RoundSchema(ma.Schema):
    """A round's state (the cohort as a count, never names)."""

    id = ma.fields.String()
    indicators = ma.fields.Function(lambda row: row.indicators.split(","))
    period_start = ma.fields.Date()
    cells_per_indicator = ma.fields.Integer()
    program = ma.fields.String()
    state = ma.fields.String()
    attempt = ma.fields.Integer()
    failure = ma.fields.String(allow_none=True)


class AppliedNoiseSchema(ma.Schema):
    """The noise a party added to one indicator's released cells."""

    mechanism = ma.fields.String(required=True, validate=ma.validate.OneOf(NOISE_MECHANISMS))
    epsilon = ma.fields.Float(required=True)
    delta = ma.fields.Float(required=True, allow_none=True)
    noise_sd = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "in the figure's own units"}
    )


class AppliedRulesSchema(ma.Schema):
    """The disclosure rules a party applied."""

    min_contributors = ma.fields.Integer(
        required=True, validate=ma.validate.Range(1, hub_rounds.MAX_COHORT)
    )
    dominance = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "sums only; null for counts"}
    )
    noise = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(AppliedNoiseSchema),
        required=True,
        metadata={"description": "per indicator under a noise policy"},
    )


class PartyResultSchema(ma.Schema):
    """What a party says the session revealed, and by which rules."""

    values = ma.fields.List(ma.fields.Float(allow_none=True, allow_nan=False), required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True)
    invalid = ma.fields.List(ma.fields.String(), required=True)
    contributors = ma.fields.Integer(
        required=True, validate=ma.validate.Range(0, hub_rounds.MAX_COHORT)
    )
    rules = ma.fields.Nested(AppliedRulesSchema, required=True)


class ReportSchema(ma.Schema):
    """A party's signed report of one attempt."""

    attempt = ma.fields.Integer(
        required=True, validate=ma.validate.Range(1, hub_rounds.MAX_ATTEMPT)
    )
    result = ma.fields.Nested(PartyResultSchema, required=True)
    signature = ma.fields.String(required=True, validate=ma.validate.Length(1, 4096))


class ReleaseSchema(ma.Schema):
    """One released (or suppressed) cell."""

    indicator = ma.fields.String()
    cell = ma.fields.String()
    period_start = ma.fields.Date()
    value = ma.fields.Float(allow_none=True)
    suppressed_reason = ma.fields.String(allow_none=True)
    version = ma.fields.Integer()
    cohort_size = ma.fields.Integer()
    mechanism = ma.fields.String(
        metadata={"description": "exact, or the differential-privacy mechanism of the noise"}
    )
    epsilon = ma.fields.Float(allow_none=True, metadata={"description": "epsilon it cost"})
    delta = ma.fields.Float(allow_none=True)
    noise_sd = ma.fields.Float(
        allow_none=True, metadata={"description": "the noise's standard deviation, in units"}
    )
    min_contributors = ma.fields.Integer(allow_none=True)
    dominance = ma.fields.Float(allow_none=True)
    attempt = ma.fields.Integer(
        allow_none=True, metadata={"description": "the attempt whose signed reports it is"}
    )


@blp.route("")
class Rounds(MethodView):
    """Open a round."""

    @token_required("hub")
    @blp.arguments(RoundOpenSchema)
    @blp.response(201, RoundSchema)
    def post(self, body: dict[str, Any]) -> Round:
        """Open a round of a program for a list of indicators and a period."""
        period: dt.date = body["period_start"]
        return hub_rounds.open_round(
            get_session(), body["id"], body["indicators"], period,
            body["cells_per_indicator"], body["program"],
        )  # fmt: skip


@blp.route("/<round_id>")
class RoundById(MethodView):
    """One round."""

    @token_required("hub")
    @blp.response(200, RoundSchema)
    def get(self, round_id: str) -> Round:
        """The round's state."""
        return hub_rounds.get_round(get_session(), round_id)


@blp.route("/<round_id>/reports")
class Reports(MethodView):
    """Signed party reports."""

    @token_required("party")
    @blp.arguments(ReportSchema)
    @blp.response(201, RoundSchema)
    def post(self, body: dict[str, Any], round_id: str) -> Round:
        """Keep the calling party's first report of an attempt; release when all agree."""
        party = int(current_identity().member)
        result = PartyResult.from_document(body["result"])
        session = get_session()
        return reports.store_report(
            session, registry_keys(), round_id, party, body["attempt"], result, body["signature"]
        )


class ComputeRequestSchema(ma.Schema):
    """How long the parties may take (the rules are the parties' own, see disclosure)."""

    timeout = ma.fields.Float(load_default=120.0, validate=ma.validate.Range(min=1, max=3600))


@blp.route("/<round_id>/compute")
class Compute(MethodView):
    """Run one attempt of a round."""

    @token_required("hub")
    @blp.arguments(ComputeRequestSchema)
    @blp.response(200, RoundSchema)
    def post(self, body: dict[str, Any], round_id: str) -> Round:
        """Cohort, quorum, dealer, three parties, verdict; returns the round's new state."""
        get_session().commit()  # the attempt runs its own transactions (parties report meanwhile)
        return hub_compute.compute_round(
            current_app.extensions[db.EXTENSION].sessionmaker(),
            current_settings(HubSettings),
            http_client(),
            own_signer(),
            round_id,
            timeout=body["timeout"],
        )


class CohortSchema(ma.Schema):
    """How many municipalities every party holds an upload of, and the quorum (counts)."""

    size = ma.fields.Integer()
    quorum = ma.fields.Integer()


@blp.route("/<round_id>/cohort")
class Cohort(MethodView):
    """The round's cohort so far, as a count."""

    @token_required("hub")
    @blp.response(200, CohortSchema)
    def get(self, round_id: str) -> dict[str, int]:
        """Ask the three parties which uploads they hold; count the common ones."""
        hub_rounds.get_round(get_session(), round_id)
        settings = current_settings(HubSettings)
        codes = hub_compute.party_cohort(http_client(), own_signer(), settings.parties, round_id)
        return {"size": len(codes), "quorum": settings.min_contributors}


@blp.route("/<round_id>/releases")
class Releases(MethodView):
    """The released cells of a round."""

    @token_required("hub")
    @blp.response(200, ReleaseSchema(many=True))
    def get(self, round_id: str) -> list[Any]:
        """Released cells in order; suppressed ones carry the reason and no value."""
        return reports.releases(get_session(), round_id)
