"""The public release register, the parties' signed reports, and the privacy budgets.

Every user role reads them; none holds a released value or anything per city. The register
is paginated, cached and tagged like the trend series (:mod:`samenbeeld.api.hub.trends`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

import marshmallow as ma
from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.db import get_session
from samenbeeld.api.hub.trends import (
    CACHE_HEADERS,
    CSV_RESPONSE,
    PROBLEM,
    PageQueryArgsSchema,
    PaginationSchema,
    documented,
    reader,
    respond,
)
from samenbeeld.api.users import user_required
from samenbeeld.federation.hub import budget, register
from samenbeeld.platform.catalog import default_catalog

blp = Blueprint(
    "releases",
    __name__,
    url_prefix="/api/v1",
    description="The release register and the privacy budgets.",
)
YEAR = ma.validate.Range(1900, 9999)


class RegisterQueryArgsSchema(PageQueryArgsSchema):
    """Which releases: one indicator's, periods starting in from..to and/or in a year."""

    indicator = ma.fields.String(load_default=None, validate=ma.validate.Length(1, 64))
    year = ma.fields.Integer(load_default=None, validate=YEAR)


class RulesSchema(ma.Schema):
    """The disclosure rules the parties applied (null: released before they signed them)."""

    min_contributors = ma.fields.Integer(required=True, allow_none=True)
    dominance = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "sums only"}
    )


class BudgetYearSchema(ma.Schema):
    """A noisy indicator's budget year as of this release."""

    year = ma.fields.Integer(required=True)
    yearly_epsilon = ma.fields.Float(required=True, allow_none=True)
    spent = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"description": "epsilon spent up to and including this release's charge"},
    )
    left = ma.fields.Float(required=True, allow_none=True)


class IndicatorPrivacySchema(ma.Schema):
    """One indicator's differential-privacy parameters in a release."""

    indicator = ma.fields.String(required=True)
    mechanism = ma.fields.String(
        required=True, metadata={"description": "exact, gaussian or laplace"}
    )
    epsilon = ma.fields.Float(required=True, allow_none=True)
    delta = ma.fields.Float(required=True, allow_none=True)
    noise_sd = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "in the figure's own units"}
    )
    budget = ma.fields.Nested(BudgetYearSchema, required=True, allow_none=True)


class ReportDigestSchema(ma.Schema):
    """The SHA-256 of one party's signed result."""

    party = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True)


class RegisterEntrySchema(ma.Schema):
    """One released round: where its figures came from (never a value)."""

    round_id = ma.fields.String(required=True)
    period_start = ma.fields.Date(required=True)
    period = ma.fields.String(required=True, allow_none=True)
    program = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    indicators = ma.fields.List(ma.fields.String(), required=True)
    cohort_size = ma.fields.Integer(required=True)
    rules = ma.fields.Nested(RulesSchema, required=True)
    privacy = ma.fields.List(ma.fields.Nested(IndicatorPrivacySchema), required=True)
    attempt = ma.fields.Integer(required=True, allow_none=True)
    reports = ma.fields.List(ma.fields.Nested(ReportDigestSchema), required=True)
    released_at = ma.fields.DateTime(required=True)


class RegisterSchema(ma.Schema):
    """A page of the release register, newest first."""

    items = ma.fields.List(ma.fields.Nested(RegisterEntrySchema), required=True)
    pagination = ma.fields.Nested(PaginationSchema, required=True)


class SignedReportSchema(ma.Schema):
    """One party's signed report: check the signature with the party's public key."""

    party = ma.fields.Integer(required=True, attribute="party_index")
    attempt = ma.fields.Integer(required=True)
    result = ma.fields.String(
        required=True,
        metadata={"description": "canonical JSON: released aggregates, reasons, rules"},
    )
    signature = ma.fields.String(
        required=True, metadata={"description": "EdDSA JWS over round, attempt, result_sha256"}
    )
    sha256 = ma.fields.String(required=True, attribute="result_sha256")


class BudgetQueryArgsSchema(ma.Schema):
    """Which calendar year (by period start)."""

    year = ma.fields.Integer(load_default=None, validate=YEAR, metadata={"example": 2026})


class YearBudgetSchema(ma.Schema):
    """One noisy indicator's budget in the year."""

    indicator = ma.fields.String(required=True)
    mechanism = ma.fields.String(required=True)
    epsilon_per_release = ma.fields.Float(required=True)
    delta = ma.fields.Float(required=True, allow_none=True)
    yearly_epsilon = ma.fields.Float(required=True)
    spent = ma.fields.Float(required=True)
    left = ma.fields.Float(required=True)
    releases_left = ma.fields.Integer(required=True)


class BudgetsSchema(ma.Schema):
    """Every indicator under a noise policy, and its budget in the year."""

    year = ma.fields.Integer(required=True)
    indicators = ma.fields.List(ma.fields.Nested(YearBudgetSchema), required=True)


@blp.route("/releases")
class Releases(MethodView):
    """The release register."""

    @user_required()
    @blp.arguments(RegisterQueryArgsSchema(), location="query")
    @blp.response(200, RegisterSchema, headers=CACHE_HEADERS)
    @blp.alt_response(200, **CSV_RESPONSE)
    @documented
    def get(self, args: dict[str, Any]) -> Response:
        """Every released round, newest first: period, program, indicators, cohort size,
        rules, DP parameters and budget per indicator, the parties' report digests.

        CSV: one row per round and indicator (the page counts rounds), each party's digest
        in a column of its own.
        """
        filters = (args[key] for key in ("indicator", "start", "end", "year"))
        chosen = register.RegisterFilter(*filters)
        dump = RegisterSchema().dump
        return respond(register.register_answer(reader(), chosen, args, dump))


@blp.route("/releases/<round_id>/reports")
class SignedReports(MethodView):
    """The signed reports a release came from."""

    @user_required()
    @blp.response(200, SignedReportSchema(many=True))
    @blp.alt_response(401, **PROBLEM)
    @blp.alt_response(404, **PROBLEM)
    def get(self, round_id: str) -> list[Any]:
        """The three parties' signed reports of the released attempt (404 when unreleased)."""
        return register.signed_reports(get_session(), round_id)


@blp.route("/budgets")
class Budgets(MethodView):
    """The yearly privacy budgets."""

    @user_required()
    @blp.arguments(BudgetQueryArgsSchema(), location="query")
    @blp.response(200, BudgetsSchema)
    @blp.alt_response(401, **PROBLEM)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Per indicator under a noise policy: ε per release, yearly budget, spent, left and
        the releases that still allows (default: this calendar year)."""
        year = args["year"] or dt.datetime.now(dt.UTC).year
        found = budget.year_budgets(get_session(), year, default_catalog())
        return {"year": year, "indicators": [asdict(one) for one in found]}
