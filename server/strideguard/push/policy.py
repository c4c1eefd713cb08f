"""Push endpoint policy: which URLs the server may POST a push message to (SSRF guard).

A push subscription's endpoint comes from the browser, i.e. from the user, and the server
later sends an HTTP request to it. Without a policy a runner could make the server call
``http://169.254.169.254/`` or an internal admin port. The same check runs when a
subscription is stored and again before every send (DNS answers change).

Rules (``check_endpoint``):

* The URL is at most 1024 characters, ASCII, without whitespace, backslashes, a fragment,
  or userinfo (``https://fcm.googleapis.com@127.0.0.1/`` is refused).
* The scheme is ``https``. ``http`` is accepted only for a loopback address whose exact
  ``host:port`` is on the allowlist (how tests point the app at a local push service).
* The host is on the allowlist. Entries are

  - ``name``            that host on the default port (443) only;
  - ``*.suffix``        any subdomain of ``suffix`` (not ``suffix`` itself), port 443;
  - ``name:port``       exactly that host and port. Only this form may resolve to private,
    loopback or link-local addresses, and only it allows a non-default port
    (IPv6 literals are written ``[::1]:8443``).

* The host is a DNS name or a canonical IP literal. Numeric spellings that some resolvers
  accept (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``) are refused, and so is any
  name whose last label is numeric.
* Every address the host resolves to is public: not private, loopback, link-local,
  unspecified, multicast, reserved, shared (CGNAT 100.64.0.0/10), nor an IPv6 form that
  embeds one of those (6to4, Teredo, NAT64); IPv4-mapped IPv6 (``::ffff:a.b.c.d``) is
  refused outright — unless the exact host:port entry is listed.

The resolver is injectable (``resolver=socket.getaddrinfo``) so tests never need real DNS.
The checked addresses are returned in ``EndpointOK.addresses``; the sender connects only to
those, so a second DNS answer cannot slip a private address in between check and connect.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

# The push services of the major browsers (Chrome/Edge/Opera/Samsung: FCM; Firefox: Mozilla
# autopush; Safari: Apple; Edge on Windows: WNS). STRIDEGUARD_PUSH_ALLOWED_HOSTS replaces it.
DEFAULT_ALLOWED_HOSTS: tuple[str, ...] = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "push.services.mozilla.com",
    "web.push.apple.com",
    "*.notify.windows.com",
    "*.push.apple.com",
)

MAX_URL_LENGTH = 1024
DEFAULT_PORTS = {"https": 443, "http": 80}

Resolver = Callable[..., Sequence[tuple[Any, ...]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAME_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
_NUMERIC_LABEL_RE = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_BAD_CHARS_RE = re.compile(r"[\x00-\x20\x7f\\]")
_SHARED_V4 = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class EndpointRefused(ValueError):
    """The endpoint is not allowed; ``reason`` is a short machine-readable word."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class EndpointUnresolvable(EndpointRefused):
    """The host did not resolve. Refuse at subscribe time; retry later at send time."""


@dataclass(frozen=True, slots=True)
class EndpointOK:
    """An endpoint that passed the policy, with the addresses it may be reached at."""

    url: str
    scheme: str
    host: str  # lower-case name or IP literal without brackets
    port: int
    origin: str  # scheme://host[:port] — the VAPID ``aud``
    addresses: tuple[str, ...]
    exempt: bool  # True when the exact host:port entry allowed non-public addresses


@dataclass(frozen=True, slots=True)
class Allowlist:
    """A parsed allowlist (build once with ``Allowlist.parse`` and reuse)."""

    names: frozenset[str]
    suffixes: tuple[str, ...]  # ".notify.windows.com" for "*.notify.windows.com"
    exact: frozenset[tuple[str, int]]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "Allowlist":
        """Parse entries such as ``fcm.googleapis.com``, ``*.push.apple.com``, ``127.0.0.1:8123``.

        Raises ``ValueError`` for an entry that is none of the documented forms.
        """
        names: set[str] = set()
        suffixes: list[str] = []
        exact: set[tuple[str, int]] = set()
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            if entry.startswith("*."):
                suffix = entry[2:]
                if not _NAME_RE.match(suffix) or "." not in suffix:
                    raise ValueError(f"bad wildcard allowlist entry: {raw!r}")
                suffixes.append("." + suffix)
                continue
            host, port = _split_entry(entry, raw)
            if port is None:
                names.add(host)
            else:
                exact.add((host, port))
        return cls(frozenset(names), tuple(suffixes), frozenset(exact))

    def host_allowed(self, host: str, port: int, default_port: int) -> tuple[bool, bool]:
        """Return (allowed, exempt) for host and port; exempt = exact host:port entry."""
        if (host, port) in self.exact:
            return True, True
        if port != default_port:
            return False, False
        if host in self.names or any(host.endswith(s) for s in self.suffixes):
            return True, False
        return False, False


def _split_entry(entry: str, raw: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        close = entry.find("]")
        if close < 0:
            raise ValueError(f"bad allowlist entry: {raw!r}")
        host, rest = entry[1:close], entry[close + 1 :]
        port_text = rest[1:] if rest.startswith(":") else None
        if rest and port_text is None:
            raise ValueError(f"bad allowlist entry: {raw!r}")
    elif entry.count(":") == 1:
        host, port_text = entry.split(":")
    else:
        host, port_text = entry, None
    if _ip_literal(host) is None and not _NAME_RE.match(host):
        raise ValueError(f"bad allowlist entry: {raw!r}")
    if port_text is None:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in allowlist entry: {raw!r}")
    return host, int(port_text)


def _ip_literal(host: str) -> IPAddress | None:
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id:
        return None
    return addr


DEFAULT_ALLOWLIST = Allowlist.parse(DEFAULT_ALLOWED_HOSTS)


def parse_allowed_hosts(value: str | Iterable[str] | None) -> Allowlist:
    """Build the allowlist from ``STRIDEGUARD_PUSH_ALLOWED_HOSTS`` (comma or space separated).

    ``None`` or an empty value gives the default list of browser push services.
    """
    if value is None:
        return DEFAULT_ALLOWLIST
    items = re.split(r"[\s,]+", value) if isinstance(value, str) else list(value)
    items = [i for i in items if i.strip()]
    return Allowlist.parse(items) if items else DEFAULT_ALLOWLIST


def is_public_address(addr: IPAddress) -> bool:
    """True when ``addr`` is a globally routable unicast address (see module docstring)."""
    if isinstance(addr, ipaddress.IPv6Address):
        embedded = addr.ipv4_mapped or addr.sixtofour
        if embedded is None and addr.teredo is not None:
            embedded = addr.teredo[1]
        if embedded is None and addr in _NAT64:
            embedded = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(embedded):
            return False
    if isinstance(addr, ipaddress.IPv4Address) and addr in _SHARED_V4:
        return False
    return not (
        addr.is_private
        or addr.is_loopback
        or addr.is_link_local
        or addr.is_unspecified
        or addr.is_multicast
        or addr.is_reserved
        or not addr.is_global
    )


def _check_host_spelling(host: str) -> IPAddress | None:
    """Return the IP for a canonical literal, None for a DNS name; refuse anything else."""
    if not host:
        raise EndpointRefused("no_host")
    addr = _ip_literal(host)
    if addr is not None:
        if isinstance(addr, ipaddress.IPv4Address) and str(addr) != host:
            raise EndpointRefused("odd_ip_form", host)
        return addr
    labels = host.split(".")
    if _NUMERIC_LABEL_RE.match(labels[-1]):
        # 2130706433, 0177.0.0.1, 0x7f.1, 127.1, a.b.0x1 — all "numeric but not canonical"
        raise EndpointRefused("odd_ip_form", host)
    if not _NAME_RE.match(host):
        raise EndpointRefused("bad_host", host)
    return None


def _resolve(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise EndpointUnresolvable("unresolvable", f"{host}: {exc}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        sockaddr = info[4]
        try:
            addr = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError as exc:
            raise EndpointRefused("bad_address", str(sockaddr[0])) from exc
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise EndpointUnresolvable("unresolvable", host)
    return addresses


def check_endpoint(
    url: str,
    allowed_hosts: Allowlist | Iterable[str] | None = None,
    resolver: Resolver = socket.getaddrinfo,
    *,
    host_cache: dict[tuple[str, str, int], Any] | None = None,
) -> EndpointOK:
    """Check a push endpoint URL against the policy; raise ``EndpointRefused`` if it fails.

    ``allowed_hosts``: an ``Allowlist`` (preferred: parse once), an iterable of entries, or
    None for ``DEFAULT_ALLOWED_HOSTS``. ``resolver`` has ``socket.getaddrinfo``'s signature.
    ``EndpointUnresolvable`` (a subclass) means DNS gave no answer. ``host_cache`` (a dict
    the caller keeps for one batch) remembers the verdict on each scheme, host and port, so
    a batch of many endpoints on one push service checks and resolves that host once; the
    checks of the URL itself still run for every endpoint.
    """
    allow = allowed_hosts if isinstance(allowed_hosts, Allowlist) else parse_allowed_hosts(allowed_hosts)
    if not isinstance(url, str) or not url:
        raise EndpointRefused("not_a_url")
    if len(url) > MAX_URL_LENGTH:
        raise EndpointRefused("too_long", f"{len(url)} > {MAX_URL_LENGTH}")
    if not url.isascii() or _BAD_CHARS_RE.search(url):
        raise EndpointRefused("bad_characters")
    try:
        parts = urlsplit(url)
        port_or_none = parts.port
    except ValueError as exc:
        raise EndpointRefused("malformed", str(exc)) from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise EndpointRefused("scheme", scheme or "none")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise EndpointRefused("userinfo")
    if parts.fragment or "#" in url:
        raise EndpointRefused("fragment")
    host = (parts.hostname or "").lower()
    default_port = DEFAULT_PORTS[scheme]
    port = default_port if port_or_none is None else port_or_none
    key = (scheme, host, port)
    verdict = host_cache.get(key) if host_cache is not None else None
    if verdict is None:
        try:
            verdict = _check_host(scheme, host, port, allow, resolver)
        except EndpointRefused as exc:
            verdict = exc
        if host_cache is not None:
            host_cache[key] = verdict
    if isinstance(verdict, EndpointRefused):
        raise type(verdict)(verdict.reason, verdict.detail)
    origin, addresses, exempt = verdict
    return EndpointOK(
        url=url,
        scheme=scheme,
        host=host,
        port=port,
        origin=origin,
        addresses=addresses,
        exempt=exempt,
    )


def _check_host(
    scheme: str, host: str, port: int, allow: Allowlist, resolver: Resolver
) -> tuple[str, tuple[str, ...], bool]:
    """The host part of the policy: (origin, addresses, exempt) or ``EndpointRefused``."""
    literal = _check_host_spelling(host)
    default_port = DEFAULT_PORTS[scheme]
    allowed, exempt = allow.host_allowed(host, port, default_port)
    if not allowed:
        reason = "port_not_allowed" if allow.host_allowed(host, default_port, default_port)[0] else "host_not_allowed"
        raise EndpointRefused(reason, f"{host}:{port}")
    addresses = [literal] if literal is not None else _resolve(host, port, resolver)
    if scheme == "http":
        # http only for an exactly listed host:port that is loopback through and through.
        if not exempt or not all(a.is_loopback or _mapped_loopback(a) for a in addresses):
            raise EndpointRefused("scheme", "http is only allowed for a listed loopback host:port")
    elif not exempt:
        for addr in addresses:
            if not is_public_address(addr):
                raise EndpointRefused("private_address", f"{host} -> {addr}")
    netloc_host = f"[{host}]" if ":" in host else host
    origin = f"{scheme}://{netloc_host}" + ("" if port == default_port else f":{port}")
    return origin, tuple(str(a) for a in addresses), exempt


def _mapped_loopback(addr: IPAddress) -> bool:
    return isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None and addr.ipv4_mapped.is_loopback
