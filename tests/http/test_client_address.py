"""The client address: the peer, or forwarding headers only from trusted proxies, read from the right."""

from __future__ import annotations

import ipaddress

import pytest

from prefcenter.http.client_address import resolve_client_address
from prefcenter.settings import SettingsError, trusted_proxies_from_env

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("2001:db8:ffff::/48"))


def resolve(peer, xff=None, forwarded=None, trusted=PROXIES) -> str | None:
    found = resolve_client_address(peer, xff, forwarded, trusted)
    return str(found) if found is not None else None


def test_an_untrusted_peer_is_the_client_whatever_its_headers_say():
    assert resolve("198.51.100.7", "192.0.2.1", "for=192.0.2.2") == "198.51.100.7"
    assert resolve("198.51.100.7", "192.0.2.1", trusted=()) == "198.51.100.7"
    assert resolve(None, "192.0.2.1") is None


def test_a_trusted_proxy_names_the_client_read_from_the_right():
    assert resolve("10.0.0.1", "192.0.2.1") == "192.0.2.1"
    # a client-written entry on the left is not believed: the proxy appended the real peer on the right
    assert resolve("10.0.0.1", "6.6.6.6, 192.0.2.1") == "192.0.2.1"
    # chains of trusted proxies are walked past
    assert resolve("10.0.0.1", "6.6.6.6, 192.0.2.1, 10.2.2.2, 10.3.3.3") == "192.0.2.1"
    # all hops trusted: the leftmost one
    assert resolve("10.0.0.1", "10.9.9.9, 10.8.8.8") == "10.9.9.9"
    # no header: the proxy itself
    assert resolve("10.0.0.1") == "10.0.0.1"


def test_forwarded_for_forms_of_rfc_7239():
    assert resolve("10.0.0.1", forwarded='for="[2001:db8::1]:4711";proto=https') == "2001:db8::1"
    assert resolve("10.0.0.1", forwarded="for=192.0.2.60;proto=http;by=203.0.113.43") == "192.0.2.60"
    assert resolve("10.0.0.1", forwarded='for=6.6.6.6, For="192.0.2.61:8080"') == "192.0.2.61"
    # an obfuscated or unknown hop: the last trusted hop is all that is known
    assert resolve("10.0.0.1", forwarded="for=_hidden") == "10.0.0.1"
    assert resolve("10.0.0.1", "unknown") == "10.0.0.1"
    # X-Forwarded-For wins when both are present
    assert resolve("10.0.0.1", "192.0.2.1", "for=192.0.2.2") == "192.0.2.1"


def test_ipv4_mapped_and_ipv6_peers():
    assert resolve("::ffff:10.0.0.1", "192.0.2.1") == "192.0.2.1"
    assert resolve("2001:db8:ffff::5", "2001:db8::42") == "2001:db8::42"
    assert resolve("testclient") is None


def test_trusted_proxies_setting(monkeypatch):
    monkeypatch.setenv("PREFCENTER_TRUSTED_PROXIES", " 10.0.0.1, 172.16.0.0/12 ,2001:db8::/32,")
    assert trusted_proxies_from_env() == ("10.0.0.1/32", "172.16.0.0/12", "2001:db8::/32")
    monkeypatch.setenv("PREFCENTER_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")
    with pytest.raises(SettingsError, match="proxy.internal"):
        trusted_proxies_from_env()
    monkeypatch.delenv("PREFCENTER_TRUSTED_PROXIES")
    assert trusted_proxies_from_env() == ()
