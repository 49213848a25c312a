"""Where the gateway may POST a wallet provider's webhooks: public https endpoints only.

A webhook URL is chosen by a client, and the worker that calls it sits inside the
operator's network: without a check, a client could have the gateway call the cloud's
metadata service (169.254.169.254), the database's admin port or anything else on an
internal address, and read the answer's status in its delivery log.  So:

* at subscription, the URL must be https, without user name or password, and a host
  that is not a non-public address or a ``localhost`` name;
* at delivery, every address the host resolves to must be public, so a name that points
  (or later re-points) inside is refused too.  What remains is the moment between that
  resolution and the HTTP client's own: a name re-pointed within it is not caught.

``loopback``: the development profile also takes ``http://`` and ``https://`` to
127.0.0.1, ::1 and localhost, for a receiver on the developer's machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

MAX_URL = 2000
"""Bytes of a URL in UTF-8, not characters: the unique index on a client's active subscriptions
(``uq_webhook_subscriptions_active_url``) holds the URL, and PostgreSQL refuses a B-tree entry over
2,704 bytes.  Counted in characters, 2,000 non-ASCII ones were up to 8,000 bytes."""

Resolver = Callable[[str], list[str]]


def refusal(url: object, *, loopback: bool) -> str | None:
    """Why ``url`` cannot be subscribed to; None if it can."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or not parts.hostname or len(url.encode(errors="surrogatepass")) > MAX_URL:
        return f"url must be an https URL of at most {MAX_URL} bytes (UTF-8)"
    if any("\ud800" <= character <= "\udfff" for character in url):  # JSON's "\ud800": no UTF-8 text, not storable
        return "url must be text: it holds a lone surrogate (\\ud800-\\udfff), which no URL can carry"
    address = _address(parts.hostname)
    local = address.is_loopback if address else _is_loopback_name(parts.hostname)
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback and local):
        return "url must be an https URL (http only to loopback, in development)"
    if parts.username is not None or parts.password is not None:
        return "url must not carry a user name or password; authenticate the gateway's calls by their signature"
    if local and not loopback:
        return f"url must not point at this machine ({parts.hostname})"
    return _address_refusal(address, loopback=loopback) if address else None


def unsafe_destination(url: str, *, loopback: bool, resolve: Resolver | None = None) -> str | None:
    """Why the gateway must not connect to ``url`` now (an address its host resolves to is not
    public, or it does not resolve); None if every address is fine."""
    host = urlsplit(url).hostname or ""
    try:
        addresses = (resolve or _resolve)(host)
    except OSError as exc:
        return f"{host} does not resolve: {exc}"
    for text in addresses:
        why = _address_refusal(_address(text.split("%", 1)[0]), loopback=loopback)
        if why:
            return f"{host} resolves to {text}: {why}"
    return None


def _address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, loopback: bool) -> str | None:
    if address.is_loopback:
        return None if loopback else "a loopback address is not a webhook receiver"
    if not address.is_global or address.is_multicast:
        return f"{address} is not a public address (private, link-local, reserved or multicast)"
    return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address ``text`` is (an IPv4-mapped IPv6 one as the IPv4 it carries); None for a name."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    return getattr(address, "ipv4_mapped", None) or address


def _is_loopback_name(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def _resolve(host: str) -> list[str]:
    return sorted({info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)})
