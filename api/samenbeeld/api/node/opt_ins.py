"""``/api/v1/opt-ins``: which catalog indicators this node contributes to rounds.

Only the node's own token (role node, member = this municipality) may read or change them.
"""

from __future__ import annotations

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from samenbeeld.api.auth import current_identity, token_required
from samenbeeld.api.config import current_settings
from samenbeeld.api.db import get_session
from samenbeeld.federation.node import rounds as node_service
from samenbeeld.platform.models.node import OptIn
from samenbeeld.platform.settings import NodeSettings
from samenbeeld.platform.tokens import require_municipality

blp = Blueprint(
    "opt_ins", __name__, url_prefix="/api/v1", description="The node's opt-ins per indicator."
)


class OptInSchema(ma.Schema):
    """An indicator this node opted in to."""

    indicator = ma.fields.String(required=True, metadata={"example": "riot_online_weekly"})
    opted_in_at = ma.fields.DateTime(required=True)


def require_own_node() -> None:
    """Refuse (403) unless the verified token is this node's own."""
    require_municipality(current_identity(), current_settings(NodeSettings).municipality)


@blp.route("/opt-ins")
class OptIns(MethodView):
    """Every opt-in of this node."""

    @token_required("node")
    @blp.response(200, OptInSchema(many=True))
    def get(self) -> list[OptIn]:
        """The indicators this node opted in to, by name."""
        require_own_node()
        return node_service.list_opt_ins(get_session())


@blp.route("/opt-ins/<indicator>")
class OptInResource(MethodView):
    """One catalog indicator's opt-in."""

    @token_required("node")
    @blp.response(200, OptInSchema)
    def put(self, indicator: str) -> OptIn | None:
        """Opt in to indicator (unchanged when already opted in); 404 when unknown."""
        require_own_node()
        return node_service.set_opt_in(get_session(), indicator, True)

    @token_required("node")
    @blp.response(204)
    def delete(self, indicator: str) -> None:
        """Opt out of indicator (nothing happens when not opted in); 404 when unknown."""
        require_own_node()
        node_service.set_opt_in(get_session(), indicator, False)
