"""Typed SQLAlchemy models, one declarative base (and one migration history) per role."""

from samenbeeld.platform.models import hub, node, party
from samenbeeld.platform.models.base import HubBase, NodeBase, PartyBase

BASES = {"node": NodeBase, "party": PartyBase, "hub": HubBase}

__all__ = ["BASES", "HubBase", "NodeBase", "PartyBase", "hub", "node", "party"]
