"""Which webhook URLs the gateway takes and which addresses it calls: public https only
(loopback too in development).  Expected verdicts are by hand from RFC 1918 (10/8, 172.16/12,
192.168/16), RFC 3927 (169.254/16), RFC 4193 (fc00::/7), RFC 6598 (100.64/10) and RFC 5737
(192.0.2/24, documentation)."""

from __future__ import annotations

import pytest

from gateway.services.webhook_targets import MAX_URL, refusal, unsafe_destination

TAKEN = ["https://wallet.example/hooks", "https://wallet.example:8443/h?x=1", "https://93.184.215.14/h",
         "https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/h"]
REFUSED = ["http://wallet.example/h", "https://10.0.0.1/h", "https://172.16.5.4/h", "https://192.168.1.1/h",
           "https://169.254.169.254/latest", "https://100.64.0.1/h", "https://192.0.2.10/h", "https://[fd12::1]/h",
           "https://[fe80::1]/h", "https://[::ffff:10.0.0.1]/h", "https://224.0.0.1/h", "https://0.0.0.0/h",
           "https://user:pw@wallet.example/h", "https://user@wallet.example/h", "https://", "wallet.example/h",
           None, 7, "https://wallet.example/" + "x" * 2000]
LOOPBACK = ["https://127.0.0.1/h", "http://127.0.0.1:8000/h", "https://[::1]/h", "http://localhost/h",
            "https://api.localhost/h", "https://127.1.2.3/h", "https://[::ffff:127.0.0.1]/h"]


@pytest.mark.parametrize("url", TAKEN)
def test_public_https_urls_are_taken(url):
    assert refusal(url, loopback=False) is None
    assert refusal(url, loopback=True) is None


@pytest.mark.parametrize("url", REFUSED)
def test_other_urls_are_refused_in_every_profile(url):
    assert refusal(url, loopback=False)
    assert refusal(url, loopback=True)


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_only_in_development(url):
    assert refusal(url, loopback=False)
    assert refusal(url, loopback=True) is None


def test_the_length_is_bounded_in_utf8_bytes():
    """The URL is in the unique index of active subscriptions, and PostgreSQL's B-tree takes an
    entry of at most 2,704 bytes: 2,000 characters were up to 8,000 bytes."""
    base = "https://wallet.example/"
    assert refusal(base + "x" * (MAX_URL - len(base)), loopback=False) is None
    assert refusal(base + "é" * ((MAX_URL - len(base)) // 2), loopback=False) is None
    assert "2000 bytes" in refusal(base + "é" * ((MAX_URL - len(base)) // 2 + 1), loopback=False)


@pytest.mark.parametrize(("addresses", "safe"), [
    (["93.184.215.14"], True),
    (["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"], True),
    (["93.184.215.14", "10.0.0.7"], False),          # one inside is enough
    (["169.254.169.254"], False),
    (["fe80::1%eth0"], False),                          # scoped link-local, as getaddrinfo gives it
    (["::ffff:192.168.0.1"], False),
    (["127.0.0.1"], False),
])
def test_every_resolved_address_must_be_public(addresses, safe):
    verdict = unsafe_destination("https://hooks.example/x", loopback=False, resolve=lambda host: addresses)
    assert (verdict is None) is safe


def test_a_name_that_does_not_resolve_is_not_called():
    def fails(host):
        raise OSError("Name or service not known")

    assert "does not resolve" in unsafe_destination("https://nowhere.example/x", loopback=False, resolve=fails)


def test_loopback_resolution_is_fine_in_development():
    assert unsafe_destination("http://localhost:9/x", loopback=True, resolve=lambda host: ["127.0.0.1", "::1"]) is None
