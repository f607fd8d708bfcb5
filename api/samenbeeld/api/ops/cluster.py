"""A whole federation on one machine: hub, three compute parties and N nodes, each its own
OS process on its own loopback port, started with the real ``samenbeeld <role> serve``.

Used by ``samenbeeld demo run``, the end-to-end tests and the round benchmark. ``prepare``
gives every service a key pair (files under ``<data_dir>/keys``), migrates the hub's and the
parties' databases (the nodes' come from ``demo init``), and registers every node and party
with its public key at the hub. ``start`` launches the processes, each in its own process
group with its log under ``<data_dir>/logs``; ``stop`` sends SIGTERM, then SIGKILL to what is
left. With ``database_urls`` every role database may live elsewhere (PostgreSQL).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from samenbeeld.federation.hub.members import register_member
from samenbeeld.platform import keys, migrate
from samenbeeld.platform.catalog import CATALOG_DIR_ENV
from samenbeeld.platform.db import session_scope
from samenbeeld.platform.errors import ConfigurationError
from samenbeeld.platform.registry import load_registry
from samenbeeld.platform.settings import BaseSettings, HubSettings, NodeSettings, PartySettings
from samenbeeld.platform.tokens import Signer

HOST = "127.0.0.1"
CORE = ("hub", "party-0", "party-1", "party-2")
HEALTH_SECONDS = 60.0
STOP_SECONDS = 10.0


@dataclass
class Service:
    """One service process of the cluster, and the listening socket it is handed."""

    name: str
    settings: BaseSettings
    port: int
    process: subprocess.Popen[bytes] | None = None
    listener: socket.socket | None = None
    """Bound and listening until the service's process inherits it (then closed here)."""

    def listen(self) -> socket.socket:
        """The socket to hand over: bound when the cluster was made, or bound again to the
        same port for a restart (ConfigurationError if another process took it meanwhile)."""
        if self.listener is None:
            try:
                self.listener = socket.create_server((HOST, self.port))
            except OSError as error:
                raise ConfigurationError(
                    f"{self.name}: port {self.port} was taken meanwhile ({error.strerror})"
                ) from None
        return self.listener

    @property
    def url(self) -> str:
        """The service's base URL."""
        return f"http://{HOST}:{self.port}"


@dataclass
class Cluster:
    """Hub, three parties and nodes for ``codes``, on free loopback ports under ``data_dir``."""

    data_dir: Path
    codes: Sequence[str]
    database_urls: Mapping[str, str] = field(default_factory=dict)
    """Optional database URL per service name (``hub``, ``party-0``, ``GM0758`` ...)."""
    services: dict[str, Service] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        # Every service's socket is bound here, on port 0, and handed to its process: no port
        # is probed free and bound later by someone else (a race under load).
        listeners = {name: socket.create_server((HOST, 0)) for name in CORE}
        ports = {name: listener.getsockname()[1] for name, listener in listeners.items()}
        parties = ",".join(f"http://{HOST}:{ports[f'party-{i}']}" for i in range(3))
        hub_url = f"http://{HOST}:{ports['hub']}"
        common = {"data_dir": self.data_dir, "log_level": "WARNING"}
        self._add("hub", HubSettings(**common, party_urls=parties), listeners["hub"])
        for index in range(3):
            name = f"party-{index}"
            party = PartySettings(**common, index=index, hub_url=hub_url)
            self._add(name, party, listeners[name])
        for code in self.codes:
            node = NodeSettings(**common, municipality=code, hub_url=hub_url, party_urls=parties)
            self._add(code, node, socket.create_server((HOST, 0)))

    def _add(self, name: str, settings: BaseSettings, listener: socket.socket) -> None:
        """Register a service and its bound socket, with its database URL override if any."""
        url = self.database_urls.get(name)
        if url:
            settings = type(settings).load(environ={}, **{**_fields(settings), "database_url": url})
        port = listener.getsockname()[1]
        self.services[name] = Service(name, settings, port, listener=listener)

    @property
    def hub(self) -> Service:
        """The hub service."""
        return self.services["hub"]

    def nodes(self) -> list[Service]:
        """The node services, in ``codes`` order."""
        return [self.services[code] for code in self.codes]

    def signer(self, name: str) -> Signer:
        """A signer with the key of service ``name`` (the hub's, a node's, a party's)."""
        settings = self.services[name].settings
        key = keys.read_private_key(settings.effective_key_file)
        return Signer(key, role=settings.role, member=settings.member)

    def prepare(self) -> None:
        """Keys for every service, migrated hub and party databases, the member registry."""
        names = load_registry()
        public = {name: self._ensure_key(s.settings) for name, s in self.services.items()}
        for service in self.services.values():
            if service.settings.role != "node" or service.name in self.database_urls:
                migrate.upgrade(service.settings.role, service.settings.effective_database_url)
        with session_scope(self.hub.settings.effective_database_url) as session:
            for name, service in self.services.items():
                settings = service.settings
                if settings.role == "hub":
                    continue
                label = names.get(name).name if settings.role == "node" else name
                register_member(session, settings.role, settings.member, label, public[name])

    def _ensure_key(self, settings: BaseSettings) -> keys.Ed25519PublicKey:
        """The service's public key, creating its key file the first time."""
        path = settings.effective_key_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            keys.write_private_key(path, keys.generate_private_key())
        return keys.read_private_key(path).public_key()

    def start(self, on_ready: Callable[[str], None] | None = None) -> None:
        """Start every service and wait until each answers /health; stop all on failure."""
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        try:
            for service in self.services.values():
                service.process = _spawn(service, logs)
            for service in self.services.values():
                self._wait_healthy(service)
                if on_ready is not None:
                    on_ready(service.name)
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self, service: Service) -> None:
        """Poll /health until 200; raise naming the service when it exits or times out."""
        deadline = time.monotonic() + HEALTH_SECONDS
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                assert service.process is not None
                if service.process.poll() is not None:
                    raise ConfigurationError(
                        f"{service.name} exited with code {service.process.returncode}; "
                        f"see {self.data_dir / 'logs' / (service.name + '.log')}"
                    )
                with suppress(httpx.HTTPError):
                    if client.get(f"{service.url}/health").status_code == 200:
                        return
                time.sleep(0.1)
        raise ConfigurationError(f"{service.name} did not become healthy in {HEALTH_SECONDS:g} s")

    def start_service(self, name: str) -> None:
        """(Re)start one service and wait until it is healthy (reaping the old process)."""
        service = self.services[name]
        if service.process is not None:
            self.stop([service])
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        service.process = _spawn(service, logs)
        self._wait_healthy(service)

    def stop_service(self, name: str) -> None:
        """Stop one service (SIGTERM, then SIGKILL)."""
        self.stop([self.services[name]])

    def stop(self, services: Sequence[Service] | None = None) -> None:
        """SIGTERM every service's process group, then SIGKILL whatever is still running.

        Stopping the whole cluster also closes the sockets of services never started.
        """
        if services is None:
            self.close()
        chosen = self.services.values() if services is None else services
        running = [s.process for s in chosen if s.process is not None]
        for process in running:
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in running:
            with suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            if process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def __enter__(self) -> Cluster:
        self.prepare()
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def close(self) -> None:
        """Close the sockets of services that were never started."""
        for service in self.services.values():
            if service.listener is not None:
                service.listener.close()
                service.listener = None


def _fields(settings: BaseSettings) -> dict[str, object]:
    """The settings' field values (to rebuild them with an override)."""
    return {f.name: getattr(settings, f.name) for f in dataclasses.fields(settings)}


def _environment(settings: BaseSettings) -> dict[str, str]:
    """The service's settings as SAMENBEELD_* variables (no config file needed); the
    catalog folder, an installation-wide variable rather than a setting, is passed on."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SAMENBEELD_") or k == CATALOG_DIR_ENV
    }
    for name, value in _fields(settings).items():
        env[f"SAMENBEELD_{name.upper()}"] = str(value)
    return env


def _spawn(service: Service, logs: Path) -> subprocess.Popen[bytes]:
    """Start ``samenbeeld <role> serve`` in its own process group, on the service's socket.

    The process inherits the bound, listening socket (``--fd``); the cluster closes its own
    copy once the process has it, so a stopped service refuses connections.
    """
    role = service.settings.role
    listener = service.listen()
    fd = listener.fileno()
    command = [sys.executable, "-m", "samenbeeld.api.cli", role, "serve", "--fd", str(fd)]
    if role == "party":
        command += ["--index", service.settings.member]
    if role == "node":
        command += ["--municipality", service.settings.member]
    try:
        with open(logs / f"{service.name}.log", "ab") as log:
            return subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=_environment(service.settings),
                start_new_session=True,
                pass_fds=(fd,),
            )
    finally:
        listener.close()
        service.listener = None
