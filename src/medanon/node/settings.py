"""What ``medanon serve`` is asked to do: one frozen settings object, checked once."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from medanon.errors import ConfigurationError

#: AE titles: up to 16 characters of the default repertoire, no backslash, not all spaces.
_AE_TITLE = re.compile(r"^[\x20-\x5b\x5d-\x7e]{1,16}$")
#: Associations to the destination at once: archives store one instance per association at
#: a time, so two roughly double the rate (bench/node); more mostly load the archive.
MAX_ASSOCIATIONS = 8
_DESTINATION = re.compile(
    r"^(?P<ae>[^@]{1,16})@(?P<host>[^:@]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})$")


def check_ae_title(title: str, what: str) -> str:
    """The AE title, stripped, or a ConfigurationError naming ``what`` was wrong."""
    if not _AE_TITLE.match(title) or not title.strip():
        raise ConfigurationError(f"{what}: an AE title is 1 to 16 printable ASCII characters "
                                 "without a backslash")
    return title.strip()


def check_port(port: int, what: str) -> int:
    """A TCP port number, or a ConfigurationError."""
    if not 0 < port < 65536:
        raise ConfigurationError(f"{what}: a port is a number from 1 to 65535")
    return port


def is_loopback(host: str) -> bool:
    """True for a loopback address or the name ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Destination:
    """Where de-identified instances are forwarded by C-STORE."""

    ae_title: str
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Destination:
        """Read ``AE@HOST:PORT``; raise ConfigurationError naming the expected form."""
        match = _DESTINATION.match(text.strip())
        if match is None:
            raise ConfigurationError("--forward: expected AE@HOST:PORT, for example "
                                     "ORTHANC@127.0.0.1:4242")
        return cls(check_ae_title(match["ae"], "--forward"), match["host"].strip("[]"),
                   check_port(int(match["port"]), "--forward"))

    def describe(self) -> str:
        """``AE@HOST:PORT``, for log lines."""
        return f"{self.ae_title}@{self.host}:{self.port}"


@dataclass(frozen=True)
class ServeSettings:
    """Everything the service needs; the recipe and key are passed beside it.

    Exactly one of ``forward`` and ``out`` is set. With an empty ``allow``, only loopback
    peers can reach the service: it listens on a loopback address only.
    """

    ae_title: str
    port: int
    state_dir: Path
    forward: Destination | None = None
    out: Path | None = None
    allow: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    reserve_bytes: int = 256 * 1024**2
    max_backoff: float = 60.0
    summary_every: float = 60.0
    associations: int = 2

    def __post_init__(self) -> None:
        check_ae_title(self.ae_title, "--ae")
        check_port(self.port, "--port")
        if (self.forward is None) == (self.out is None):
            raise ConfigurationError("give exactly one of --forward AE@HOST:PORT and --out DIR")
        for title in self.allow:
            check_ae_title(title, "--allow")
        if not self.allow and not is_loopback(self.host):
            raise ConfigurationError("without --allow, serve accepts loopback peers only: "
                                     "listen on 127.0.0.1, or name the calling AE titles "
                                     "to accept with --allow")
        if not 1 <= self.associations <= MAX_ASSOCIATIONS:
            raise ConfigurationError(f"--associations: from 1 to {MAX_ASSOCIATIONS}")
        if self.max_backoff <= 0 or self.summary_every <= 0:
            raise ConfigurationError("--max-backoff and --summary-every must be positive")
