"""The SSRF endpoint policy, with an injected resolver (no real DNS)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from strideguard.push.policy import (
    DEFAULT_ALLOWED_HOSTS,
    Allowlist,
    EndpointRefused,
    EndpointUnresolvable,
    check_endpoint,
    parse_allowed_hosts,
)

PUBLIC_V4 = "142.250.74.42"
PUBLIC_V6 = "2a00:1450:4001:82a::200a"


def resolver(table: dict[str, Sequence[str]]) -> Callable[..., list[tuple[Any, ...]]]:
    """A getaddrinfo stand-in answering from ``table``; unknown names fail like DNS."""
    calls: list[str] = []

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        out = []
        for ip in table[host]:
            if ":" in ip:
                out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)))
            else:
                out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)))
        return out

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


PUBLIC_DNS = resolver(
    {
        "fcm.googleapis.com": [PUBLIC_V4, PUBLIC_V6],
        "updates.push.services.mozilla.com": ["34.117.65.55"],
        "push.services.mozilla.com": ["34.117.65.55"],
        "web.push.apple.com": ["17.188.128.1"],
        "api.push.apple.com": ["17.188.128.2"],
        "wns2-par02p.notify.windows.com": ["20.43.132.130"],
        "push.internal.test": ["10.0.0.5"],
        "localhost": ["127.0.0.1", "::1"],
        "mixed.local.test": ["127.0.0.1", "10.0.0.1"],
    }
)


def test_default_allowlist_is_the_documented_list() -> None:
    assert DEFAULT_ALLOWED_HOSTS == (
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        "push.services.mozilla.com",
        "web.push.apple.com",
        "*.notify.windows.com",
        "*.push.apple.com",
    )


@pytest.mark.parametrize(
    ("url", "extra", "origin", "exempt"),
    [
        ("https://fcm.googleapis.com/fcm/send/abc:def", (), "https://fcm.googleapis.com", False),
        ("https://FCM.GoogleAPIs.com/fcm/send/abc", (), "https://fcm.googleapis.com", False),
        ("https://fcm.googleapis.com:443/fcm/send/abc", (), "https://fcm.googleapis.com", False),
        ("https://updates.push.services.mozilla.com/wpush/v2/gAAA", (), "https://updates.push.services.mozilla.com", False),
        ("https://push.services.mozilla.com/wpush/v1/x", (), "https://push.services.mozilla.com", False),
        ("https://web.push.apple.com/QGuk2", (), "https://web.push.apple.com", False),
        ("https://api.push.apple.com/3/device/x", (), "https://api.push.apple.com", False),
        ("https://wns2-par02p.notify.windows.com/w/?token=BQYAAA", (), "https://wns2-par02p.notify.windows.com", False),
        ("http://127.0.0.1:8123/push/s1", ("127.0.0.1:8123",), "http://127.0.0.1:8123", True),
        ("http://localhost:8123/push/s1", ("localhost:8123",), "http://localhost:8123", True),
        ("http://[::1]:8123/push/s1", ("[::1]:8123",), "http://[::1]:8123", True),
        ("https://push.internal.test:8443/p/1", ("push.internal.test:8443",), "https://push.internal.test:8443", True),
    ],
)
def test_allowed_endpoints(url: str, extra: tuple[str, ...], origin: str, exempt: bool) -> None:
    ok = check_endpoint(url, DEFAULT_ALLOWED_HOSTS + extra, resolver=PUBLIC_DNS)
    assert ok.origin == origin
    assert ok.exempt is exempt
    assert ok.addresses


def test_checked_addresses_are_returned_for_the_connection() -> None:
    ok = check_endpoint("https://fcm.googleapis.com/x", None, resolver=PUBLIC_DNS)
    assert ok.addresses == (PUBLIC_V4, PUBLIC_V6)
    assert (ok.host, ok.port, ok.scheme) == ("fcm.googleapis.com", 443, "https")


@pytest.mark.parametrize(
    ("url", "extra", "reason"),
    [
        # scheme
        ("http://fcm.googleapis.com/fcm/send/x", (), "scheme"),
        ("ftp://fcm.googleapis.com/x", (), "scheme"),
        ("file:///etc/passwd", (), "scheme"),
        ("//fcm.googleapis.com/x", (), "scheme"),
        # allowlist
        ("https://evil.example.com/push", (), "host_not_allowed"),
        ("https://notify.windows.com/x", (), "host_not_allowed"),  # wildcard needs a subdomain
        ("https://fcm.googleapis.com.evil.example/x", (), "host_not_allowed"),
        ("https://evilfcm.googleapis.com/x", (), "host_not_allowed"),
        ("https://127.0.0.1/push", (), "host_not_allowed"),
        ("http://127.0.0.1:9999/push/s1", ("127.0.0.1:8123",), "host_not_allowed"),
        # ports
        ("https://fcm.googleapis.com:8443/x", (), "port_not_allowed"),
        ("https://fcm.googleapis.com:0/x", (), "port_not_allowed"),
        ("https://api.push.apple.com:2197/x", (), "port_not_allowed"),
        ("https://fcm.googleapis.com:99999/x", (), "malformed"),
        # userinfo tricks
        ("https://fcm.googleapis.com@127.0.0.1/", (), "userinfo"),
        ("https://user:pw@fcm.googleapis.com/x", (), "userinfo"),
        ("https://fcm.googleapis.com:443@evil.example/x", (), "userinfo"),
        ("https://@fcm.googleapis.com/x", (), "userinfo"),
        ("https://fcm.googleapis.com\\@127.0.0.1/", (), "bad_characters"),
        ("https://fcm.googleapis.com /x", (), "bad_characters"),
        ("https://fcm.googleapis.com/x\r\nHost: evil", (), "bad_characters"),
        ("https://fcm.googleapis.c\u00f6m/x", (), "bad_characters"),
        ("https://fcm.googleapis.com/x#frag", (), "fragment"),
        ("", (), "not_a_url"),
        ("https://fcm.googleapis.com/" + "a" * 1000, (), "too_long"),
        # odd IP spellings, refused even when "listed"
        ("https://2130706433/", ("2130706433",), "odd_ip_form"),
        ("https://0177.0.0.1/", (), "odd_ip_form"),
        ("https://0x7f.1/", (), "odd_ip_form"),
        ("https://0x7f000001/", (), "odd_ip_form"),
        ("https://127.1/", (), "odd_ip_form"),
        ("https://127.000.000.001/", (), "odd_ip_form"),
        ("https://fcm.googleapis.com.0x1/", (), "odd_ip_form"),
        ("https://fcm.googleapis.com./x", (), "bad_host"),
        ("https://-bad-.example/x", (), "bad_host"),
        # private addresses as IP literals, even when the bare IP is listed
        ("https://169.254.169.254/latest/meta-data/", ("169.254.169.254",), "private_address"),
        ("https://10.1.2.3/", ("10.1.2.3",), "private_address"),
        ("https://[::1]/", ("::1",), "private_address"),
        ("https://[::ffff:127.0.0.1]/", ("::ffff:127.0.0.1",), "private_address"),
        ("https://[::ffff:7f00:1]/", ("::ffff:7f00:1",), "private_address"),
        # http only for an exactly listed loopback host:port
        ("http://push.internal.test:8080/p", ("push.internal.test:8080",), "scheme"),
        ("http://mixed.local.test:8080/p", ("mixed.local.test:8080",), "scheme"),
        ("http://127.0.0.1/push", ("127.0.0.1",), "scheme"),
    ],
)
def test_refused_endpoints(url: str, extra: tuple[str, ...], reason: str) -> None:
    with pytest.raises(EndpointRefused) as info:
        check_endpoint(url, DEFAULT_ALLOWED_HOSTS + extra, resolver=PUBLIC_DNS)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "127.255.255.254",
        "169.254.169.254",
        "100.64.0.1",  # CGNAT
        "100.127.255.254",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.10",  # documentation
        "198.18.0.1",  # benchmarking
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "2002:7f00:1::1",  # 6to4 wrapping 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 wrapping 10.0.0.1
        "2001:db8::1",  # documentation
        "::ffff:142.250.74.42",  # no push service answers on a mapped address: refused
    ],
)
def test_dns_rebinding_to_a_private_address_is_refused(address: str) -> None:
    dns = resolver({"fcm.googleapis.com": [address]})
    with pytest.raises(EndpointRefused) as info:
        check_endpoint("https://fcm.googleapis.com/fcm/send/x", None, resolver=dns)
    assert info.value.reason == "private_address"


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    dns = resolver({"fcm.googleapis.com": [PUBLIC_V4, "10.0.0.7", PUBLIC_V6]})
    with pytest.raises(EndpointRefused, match="10.0.0.7"):
        check_endpoint("https://fcm.googleapis.com/x", None, resolver=dns)


@pytest.mark.parametrize("address", ["142.250.74.42", "100.63.255.255", "100.128.0.1", "2a00:1450::1"])
def test_public_boundary_addresses_pass(address: str) -> None:
    dns = resolver({"fcm.googleapis.com": [address]})
    assert check_endpoint("https://fcm.googleapis.com/x", None, resolver=dns).addresses == (address,)


def test_exactly_listed_host_port_may_resolve_privately() -> None:
    ok = check_endpoint("https://push.internal.test:8443/x", ["push.internal.test:8443"], resolver=PUBLIC_DNS)
    assert ok.addresses == ("10.0.0.5",) and ok.exempt


def test_listing_a_name_without_port_does_not_exempt_private_addresses() -> None:
    with pytest.raises(EndpointRefused) as info:
        check_endpoint("https://push.internal.test/x", ["push.internal.test"], resolver=PUBLIC_DNS)
    assert info.value.reason == "private_address"


def test_unresolvable_host_is_its_own_refusal() -> None:
    with pytest.raises(EndpointUnresolvable) as info:
        check_endpoint("https://web.push.apple.com/x", ["web.push.apple.com"], resolver=resolver({}))
    assert info.value.reason == "unresolvable"


def test_ip_literals_are_not_sent_to_the_resolver() -> None:
    dns = resolver({})
    check_endpoint("http://127.0.0.1:8123/p", ["127.0.0.1:8123"], resolver=dns)
    assert dns.calls == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "names", "suffixes", "exact"),
    [
        ("a.example, b.example", {"a.example", "b.example"}, (), set()),
        ("127.0.0.1:8123 *.push.example", set(), (".push.example",), {("127.0.0.1", 8123)}),
        ("[::1]:9000,localhost:80", set(), (), {("::1", 9000), ("localhost", 80)}),
        ("  A.Example  ", {"a.example"}, (), set()),
    ],
)
def test_parse_allowed_hosts(value: str, names: set[str], suffixes: tuple[str, ...], exact: set[tuple[str, int]]) -> None:
    allow = parse_allowed_hosts(value)
    assert allow.names == names and allow.suffixes == suffixes and allow.exact == exact


@pytest.mark.parametrize("value", [None, "", " , "])
def test_empty_allowlist_setting_means_the_default(value: str | None) -> None:
    assert parse_allowed_hosts(value) == Allowlist.parse(DEFAULT_ALLOWED_HOSTS)


@pytest.mark.parametrize("entry", ["*.com", "*.", "host:port", "host:0", "host:70000", "bad_host!", "[::1", "a..b"])
def test_bad_allowlist_entries_raise(entry: str) -> None:
    with pytest.raises(ValueError):
        Allowlist.parse([entry])


def test_a_batch_checks_each_host_once_and_every_url_fully() -> None:
    calls: list[str] = []

    def counting(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        return PUBLIC_DNS(host, port, *args, **kwargs)

    cache: dict = {}
    urls = [f"https://fcm.googleapis.com/fcm/send/{i}" for i in range(50)]
    oks = [check_endpoint(url, None, resolver=counting, host_cache=cache) for url in urls]
    assert calls == ["fcm.googleapis.com"]  # resolved once for the batch
    assert [ok.url for ok in oks] == urls and {ok.origin for ok in oks} == {"https://fcm.googleapis.com"}
    # A cached good host does not excuse a bad URL on it.
    for bad, reason in [("https://fcm.googleapis.com/x#frag", "fragment"),
                        ("https://user@fcm.googleapis.com/x", "userinfo"),
                        ("https://fcm.googleapis.com/x\x00", "bad_characters")]:
        with pytest.raises(EndpointRefused) as refused:
            check_endpoint(bad, None, resolver=counting, host_cache=cache)
        assert refused.value.reason == reason
    # A refused host stays refused for the rest of the batch, with its reason.
    dns = resolver({"fcm.googleapis.com": ["10.0.0.7"]})
    private: dict = {}
    for _ in range(2):
        with pytest.raises(EndpointRefused) as refused:
            check_endpoint("https://fcm.googleapis.com/y", None, resolver=dns, host_cache=private)
        assert refused.value.reason == "private_address"
    with pytest.raises(EndpointUnresolvable):
        check_endpoint("https://nowhere.push.example/x", ["nowhere.push.example"], resolver=dns, host_cache=private)
