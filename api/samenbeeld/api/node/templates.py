"""``/api/v1/templates`` on a node: adopt a published pilot template, list what was adopted.

Adopting is for a municipality user of this node's own municipality. The node fetches the
version from the hub, opts in to its indicators, records the adoption and reports it to the
hub, all in the request's transaction: when the hub refuses (403, 404, 409, 422, passed on
with the hub's reason) or does not answer (502), nothing on the node changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.api.hub.templates import UtcDateTime
from samenbeeld.api.outbound import http_client, own_signer
from samenbeeld.api.users import current_user, user_required
from samenbeeld.federation.node import templates as node_templates
from samenbeeld.platform.models.node import TemplateAdoption
from samenbeeld.platform.settings import NodeSettings
from samenbeeld.platform.template_schemas import VERSION_PATTERN

blp = Blueprint(
    "node_templates",
    __name__,
    url_prefix="/api/v1/templates",
    description="Pilot templates this node's municipality adopted.",
)


class AdoptRequestSchema(ma.Schema):
    """The published version to adopt."""

    version = ma.fields.String(
        required=True, validate=ma.validate.Regexp(VERSION_PATTERN), metadata={"example": "1.0.0"}
    )


class NodeAdoptionSchema(ma.Schema):
    """A template version this node adopted and the indicators it opted in to."""

    template = ma.fields.String(metadata={"example": "digikamer"})
    version = ma.fields.String()
    indicators = ma.fields.Function(lambda row: row.indicators.split(","))
    adopted_at = UtcDateTime()


@blp.route("/<slug>/adopt")
class Adopt(MethodView):
    """Adoption of one template."""

    @user_required("municipality")
    @blp.arguments(AdoptRequestSchema)
    @blp.response(201, NodeAdoptionSchema)
    def post(self, body: dict[str, Any], slug: str) -> TemplateAdoption:
        """Adopt a published version here: opt in to its indicators; the hub records it too."""
        settings = current_settings(NodeSettings)
        current_user().require_municipality(settings.municipality)
        return node_templates.adopt_template(
            get_session(), settings, own_signer(), http_client(), slug, body["version"]
        )


@blp.route("/adopted")
class Adopted(MethodView):
    """What this node adopted."""

    @user_required()
    @blp.response(200, NodeAdoptionSchema(many=True))
    def get(self) -> Sequence[TemplateAdoption]:
        """Every template version adopted on this node, oldest first."""
        return node_templates.list_adoptions(get_session())
