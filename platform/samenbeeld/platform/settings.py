"""Settings per role: defaults, then an optional TOML file, then environment variables.

Environment variables are ``SAMENBEELD_<FIELD>`` (``SAMENBEELD_DATABASE_URL``,
``SAMENBEELD_MUNICIPALITY``, ...). The TOML file (``SAMENBEELD_CONFIG`` or an explicit
path) has top-level common keys and one table per role::

    data_dir = "/var/lib/samenbeeld"
    [node]
    municipality = "GM0758"
    database_url = "postgresql+psycopg://samenbeeld@db/node_gm0758"

The embedded default is one SQLite file per role database under ``data_dir``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

from samenbeeld.federation.protocol import PROGRAMS
from samenbeeld.platform.errors import ConfigurationError

ENV_PREFIX = "SAMENBEELD_"
MUNICIPALITY_CODE = re.compile(r"^GM\d{4}$")


@dataclasses.dataclass(frozen=True)
class BaseSettings:
    """Fields every role has."""

    role: ClassVar[str] = ""
    data_dir: Path = Path("var")
    database_url: str = ""
    log_level: str = "INFO"
    key_file: str = ""
    """This service's Ed25519 private key (PEM); default ``<data_dir>/keys/<member>.pem``."""
    oidc_issuer: str = ""
    """An external OpenID Connect provider whose user tokens are accepted (empty: none)."""
    oidc_audience: str = ""
    oidc_jwks_url: str = ""
    """The provider's JWKS; default ``<oidc_issuer>/.well-known/jwks.json``."""
    oidc_role_claim: str = "samenbeeld_role"
    oidc_municipality_claim: str = "samenbeeld_municipality"

    @classmethod
    def load(
        cls,
        config_file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Self:
        """Build settings from defaults, TOML file, environment and overrides."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        path = config_file or environ.get(ENV_PREFIX + "CONFIG")
        if path:
            values.update(_read_toml(Path(path), cls.role))
        values.update(_read_env(cls, environ))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls._build(values)

    @classmethod
    def _build(cls, values: dict[str, Any]) -> Self:
        """Coerce raw values to field types and validate."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - set(fields))
        if unknown:
            raise ConfigurationError(f"unknown setting(s) for {cls.role}: {', '.join(unknown)}")
        coerced = {name: _coerce(fields[name].type, name, raw) for name, raw in values.items()}
        settings = cls(**coerced)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise ConfigurationError when a field is out of range."""

    @property
    def database_file(self) -> str:
        """File name of the embedded SQLite database for this role."""
        return f"{self.role}.sqlite3"

    @property
    def member(self) -> str:
        """This service's member code: ``GM0758``, ``0``..``2`` or ``hub``."""
        return "hub"

    @property
    def audience(self) -> str:
        """The audience tokens addressed to this service carry."""
        return audience_for(self.role, self.member)

    @property
    def effective_key_file(self) -> Path:
        """The configured key file, or ``<data_dir>/keys/<role>-<member>.pem``."""
        if self.key_file:
            return Path(self.key_file)
        return self.data_dir / "keys" / f"{self.role}-{self.member.lower()}.pem"

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / self.database_file).resolve()}"


@dataclasses.dataclass(frozen=True)
class NodeSettings(BaseSettings):
    """A municipality's node."""

    role: ClassVar[str] = "node"
    municipality: str = ""
    hub_url: str = "http://127.0.0.1:8700"
    party_urls: str = "http://127.0.0.1:8701,http://127.0.0.1:8702,http://127.0.0.1:8703"
    """The three compute parties' upload URLs, comma-separated, in index order."""

    @property
    def member(self) -> str:
        """The municipality code."""
        return self.municipality

    @property
    def parties(self) -> tuple[str, ...]:
        """The three party URLs, in index order."""
        return split_urls(self.party_urls)

    def validate(self) -> None:
        """A node must know which municipality it serves."""
        if not MUNICIPALITY_CODE.match(self.municipality):
            raise ConfigurationError(
                "node setting 'municipality' must be a CBS code like GM0758 "
                f"(set SAMENBEELD_MUNICIPALITY), got {self.municipality!r}"
            )

    @property
    def database_file(self) -> str:
        """One SQLite file per municipality, so many nodes share a data_dir."""
        return f"node-{self.municipality.lower()}.sqlite3"


@dataclasses.dataclass(frozen=True)
class PartySettings(BaseSettings):
    """One of the three compute parties."""

    role: ClassVar[str] = "party"
    index: int = 0
    hub_url: str = "http://127.0.0.1:8700"
    min_contributors: int = 5
    """This party's own disclosure floor: it reveals no cell of fewer valid cities, and
    refuses a compute request that asks for fewer (the hub can only ask for more)."""
    dominance_threshold: float = 0.6
    """This party's own dominance rule: no cell where one city holds more than this share
    (the hub can only ask for a lower threshold)."""
    programs: str = "checked_sum,histogram,spike_count"
    """The programs this party runs, comma-separated."""
    period_kinds: str = "week,month"
    """The period kinds (catalog ``period``) this party computes, comma-separated."""

    @property
    def member(self) -> str:
        """The party index as a member code."""
        return str(self.index)

    def validate(self) -> None:
        """Exactly three parties exist: index 0, 1 or 2; the disclosure policy is sane."""
        if self.index not in (0, 1, 2):
            raise ConfigurationError(f"party setting 'index' must be 0, 1 or 2, got {self.index}")
        _check_disclosure("party", self.min_contributors, self.dominance_threshold)
        unknown = set(_names(self.programs)) - set(PROGRAMS)
        if unknown or not _names(self.programs):
            raise ConfigurationError(f"party setting 'programs' must list some of {PROGRAMS}")
        if not _names(self.period_kinds) or set(_names(self.period_kinds)) - {"week", "month"}:
            raise ConfigurationError("party setting 'period_kinds' must list week and/or month")

    @property
    def allowed_programs(self) -> tuple[str, ...]:
        """The programs this party runs."""
        return _names(self.programs)

    @property
    def allowed_period_kinds(self) -> tuple[str, ...]:
        """The period kinds this party computes."""
        return _names(self.period_kinds)

    @property
    def work_dir(self) -> Path:
        """Where this party's attempts keep their share matrix and result while they run."""
        return self.data_dir / "work" / f"party-{self.index}"

    @property
    def database_file(self) -> str:
        """One SQLite file per party index."""
        return f"party-{self.index}.sqlite3"


@dataclasses.dataclass(frozen=True)
class HubSettings(BaseSettings):
    """The federation coordinator."""

    role: ClassVar[str] = "hub"
    min_contributors: int = 5
    dominance_threshold: float = 0.6
    party_urls: str = "http://127.0.0.1:8701,http://127.0.0.1:8702,http://127.0.0.1:8703"
    """The three compute parties' URLs, comma-separated, in index order."""
    mpc_master_addr: str = "127.0.0.1"
    """Where an MPC session's members meet: the rendezvous store that the hub's triple
    dealer hosts, at this hub's address on the parties' private network; the default
    serves a single host."""
    mpc_master_port: int = 0
    """The port the dealer's rendezvous store listens on; 0 lets the OS pick a free one
    for every session (no port is probed first), which serves a single host."""

    @property
    def parties(self) -> tuple[str, ...]:
        """The three party URLs, in index order."""
        return split_urls(self.party_urls)

    def validate(self) -> None:
        """Disclosure-control defaults must be sane."""
        if not 0 <= self.mpc_master_port <= 65535:
            raise ConfigurationError("hub setting 'mpc_master_port' must be 0 to 65535")
        _check_disclosure("hub", self.min_contributors, self.dominance_threshold)

    @property
    def work_dir(self) -> Path:
        """Where the hub's triple dealer of a running attempt keeps its files."""
        return self.data_dir / "work" / "hub"


def _check_disclosure(role: str, min_contributors: int, dominance_threshold: float) -> None:
    """ConfigurationError unless at least 2 contributors and a threshold in (0, 1]."""
    if min_contributors < 2:
        raise ConfigurationError(f"{role} setting 'min_contributors' must be at least 2")
    if not 0.0 < dominance_threshold <= 1.0:
        raise ConfigurationError(f"{role} setting 'dominance_threshold' must be in (0, 1]")


def _names(value: str) -> tuple[str, ...]:
    """The non-empty items of a comma-separated setting."""
    return tuple(item.strip() for item in value.split(",") if item.strip())


def audience_for(role: str, member: str) -> str:
    """The ``aud`` claim of tokens addressed to a service: ``samenbeeld:<role>:<member>``."""
    return f"samenbeeld:{role}:{member}"


def split_urls(value: str) -> tuple[str, ...]:
    """Three comma-separated base URLs, without trailing slashes."""
    urls = tuple(url.strip().rstrip("/") for url in value.split(",") if url.strip())
    if len(urls) != 3:
        raise ConfigurationError(f"party_urls must list exactly 3 URLs, got {len(urls)}")
    return urls


SETTINGS_BY_ROLE: dict[str, type[BaseSettings]] = {
    "node": NodeSettings,
    "party": PartySettings,
    "hub": HubSettings,
}


def _read_toml(path: Path, role: str) -> dict[str, Any]:
    """Common keys plus the role's own table from a TOML file."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"config file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {path} is not valid TOML: {exc}") from exc
    common = {k: v for k, v in document.items() if k not in SETTINGS_BY_ROLE}
    own = document.get(role, {})
    if not isinstance(own, dict):
        raise ConfigurationError(f"config file {path}: [{role}] must be a table")
    return {**common, **own}


def _read_env(cls: type[BaseSettings], environ: Mapping[str, str]) -> dict[str, str]:
    """The SAMENBEELD_<FIELD> variables that name a field of cls."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {
        name: environ[ENV_PREFIX + name.upper()]
        for name in names
        if ENV_PREFIX + name.upper() in environ
    }


def _coerce(annotation: object, name: str, raw: Any) -> Any:
    """Convert a TOML or environment value to the field's declared type."""
    kind = str(annotation)
    try:
        if kind == "Path":
            return Path(raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"setting {name!r}: {raw!r} is not a valid {kind}") from exc
    return str(raw)
