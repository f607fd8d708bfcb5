"""Declarative bases with an explicit constraint naming convention."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class NodeBase(DeclarativeBase):
    """Tables of a municipality's node database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PartyBase(DeclarativeBase):
    """Tables of a compute party's database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class HubBase(DeclarativeBase):
    """Tables of the hub's database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
