"""The client's address behind a reverse proxy, and who may read the operator's endpoints.

``X-Forwarded-For`` is honoured only on requests whose socket peer is one of the proxies the
server trusts: ``STRIDEGUARD_FORWARDED_ALLOW_IPS``, the same list ``strideguard serve`` hands
to gunicorn as ``--forwarded-allow-ips`` (where it decides the scheme from
``X-Forwarded-Proto``). For those requests werkzeug's ``ProxyFix`` replaces ``REMOTE_ADDR``
with the address that proxy saw (the last entry of ``X-Forwarded-For``: one proxy hop); any
other client is known by its socket address whatever headers it sends. Everything that keys
on ``request.remote_addr`` (Flask-Limiter's sign-in throttle, the access log) then sees the
real client. A request without an IP peer (a UNIX socket) is trusted, as gunicorn does.

``/metrics`` and ``/readyz`` (:func:`operator_only`) answer a bearer token
(``STRIDEGUARD_METRICS_TOKEN``) when one is set, else only clients at
``STRIDEGUARD_PROBE_ALLOW_IPS`` (loopback by default) that did not come through a proxy.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from flask import current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from strideguard.errors import DomainError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Headers a proxy adds: a request carrying one came through a proxy (or pretends to).
FORWARDING_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-Ip")


def parse_networks(entries: Iterable[str], setting: str) -> tuple[Network, ...] | None:
    """Addresses or CIDR networks as networks; ``None`` for ``*`` (everyone). A bad entry
    raises ValueError naming the setting (``strideguard serve`` shows it and stops)."""
    entries = [entry.strip() for entry in entries if entry and entry.strip()]
    if "*" in entries:
        return None
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"STRIDEGUARD_{setting}: not an IP address or network: {entry!r}") from None
    return tuple(networks)


def address_in(address: str | None, networks: tuple[Network, ...] | None) -> bool:
    """Whether ``address`` is one of ``networks`` (``None``: all). A missing or unparsable
    address is not in any list."""
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


class TrustedProxyFix:
    """WSGI middleware: ``ProxyFix(x_for=1)`` for requests from a trusted proxy only."""

    def __init__(self, wsgi_app: Callable, trusted: Iterable[str]) -> None:
        self.direct = wsgi_app
        self.proxied = ProxyFix(wsgi_app, x_for=1, x_proto=0, x_host=0, x_port=0, x_prefix=0)
        self.trusted = parse_networks(trusted, "FORWARDED_ALLOW_IPS")

    def trusts(self, peer: str | None) -> bool:
        return not peer or address_in(peer, self.trusted)

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Any:
        if self.trusts(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        return self.direct(environ, start_response)


class OperatorOnly(DomainError):
    status, code = 403, "operators_only"


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    networks = current_app.extensions.get("strideguard.probe_networks")
    if networks is None:
        networks = parse_networks(current_app.config["PROBE_ALLOW_IPS"], "PROBE_ALLOW_IPS")
        current_app.extensions["strideguard.probe_networks"] = networks
    if any(name in request.headers for name in FORWARDING_HEADERS):
        return False  # through a proxy: the public internet, whatever address it resolves to
    return address_in(request.remote_addr, networks)


def require_operator() -> None:
    """401 without the right bearer token when one is set; else 403 for anyone outside
    ``PROBE_ALLOW_IPS`` or whose request came through a proxy."""
    if _allowed():
        return
    if current_app.config.get("METRICS_TOKEN"):
        raise NotAuthorized("Send the metrics token as Authorization: Bearer <token>.")
    raise OperatorOnly(
        "This endpoint answers local clients only. Ask from this host, or set "
        "STRIDEGUARD_METRICS_TOKEN and send it as a bearer token."
    )


def operator_only(view: Callable) -> Callable:
    """Decorator: :func:`require_operator` before the view (``/readyz``)."""

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        require_operator()
        return view(*args, **kwargs)

    return guarded


class NotAuthorized(DomainError):
    status, code = 401, "not_authorized"
