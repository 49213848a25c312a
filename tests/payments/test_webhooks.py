"""Signed webhooks to a real HTTP receiver on 127.0.0.1: every status change is POSTed by the
worker with Gateway-Event-Id, Gateway-Timestamp and Gateway-Signature (HMAC-SHA256 of
"<timestamp>.<body>" with the subscription's secret); a failed delivery is retried after its
backoff; only https URLs (http to loopback in development) are accepted."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
import requests
from sqlalchemy import select

from gateway.persistence.models import ClientKind
from gateway.persistence.payment_models import WebhookDelivery, WebhookSubscription
from gateway.persistence.repositories import Clients
from gateway.services import webhook_targets
from gateway.worker.webhooks import verify
from tests.payments.conftest import MERCHANT, Wallet, database_of, post_operation, wallet_token, work
from tests.persistence.test_webhooks import look_misses


def subscribe(client, headers, url: str):
    return client.post("/webhooks", json={"url": url}, headers=headers)


def pay(client, headers, amount="12.50") -> dict:
    answer = post_operation(client, headers, "pay", {"amount": amount, "currency": "EUR",
                                                     "merchant": {"name": "Bakkerij de Zon", "iban": MERCHANT}})
    assert answer.status_code == 201
    return answer.json["payments"][0]


def test_status_changes_are_delivered_signed(client, wallet, app, clock, receiver):
    headers = wallet_token(client, wallet)
    subscribed = subscribe(client, headers, receiver.url)
    assert subscribed.status_code == 201, subscribed.json
    secret = subscribed.json["secret"]
    assert client.get("/webhooks", headers=headers).json["webhooks"] == [
        {"id": subscribed.json["id"], "url": receiver.url, "created_at": subscribed.json["created_at"]}]

    payment = pay(client, headers)
    done = work(app, clock)
    assert done.webhooks == 3
    events = []
    for request in receiver.received:
        assert request.path == "/hooks/gateway"
        assert request.headers["Content-Type"] == "application/json"
        timestamp = int(request.headers["Gateway-Timestamp"])
        assert timestamp == int(clock.now.timestamp())
        # the signature computed here from the documented recipe, then with the gateway's own verify
        expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
        assert request.headers["Gateway-Signature"] == f"v1={expected}"
        assert verify(secret, timestamp=timestamp, body=request.body, signature=request.headers["Gateway-Signature"],
                      now=int(clock.now.timestamp()))
        assert not verify("another secret", timestamp=timestamp, body=request.body,
                          signature=request.headers["Gateway-Signature"], now=int(clock.now.timestamp()))
        assert not verify(secret, timestamp=timestamp, body=request.body + b" ",
                          signature=request.headers["Gateway-Signature"], now=int(clock.now.timestamp()))
        assert not verify(secret, timestamp=timestamp, body=request.body,  # replayed ten minutes later
                          signature=request.headers["Gateway-Signature"], now=int(clock.now.timestamp()) + 600)
        events.append(json.loads(request.body))
    assert len({r.headers["Gateway-Event-Id"] for r in receiver.received}) == 3
    assert {e["payment_id"] for e in events} == {payment["id"]}
    assert sorted(e["status"] for e in events) == ["accepted", "booked", "sent"]
    assert all(e["type"] == "payment.status_changed" and e["end_to_end_id"] == payment["end_to_end_id"]
               for e in events)

    assert work(app, clock).webhooks == 0  # delivered once
    assert len(receiver.received) == 3


def test_a_failing_receiver_is_retried_after_the_backoff(client, wallet, app, clock, receiver):
    headers = wallet_token(client, wallet)
    secret = subscribe(client, headers, receiver.url).json["secret"]
    receiver.answers = [500, 500, 500]  # the first pass's three deliveries fail
    pay(client, headers)
    assert work(app, clock).webhooks == 3
    first = {r.headers["Gateway-Event-Id"] for r in receiver.received}
    assert len(first) == 3

    clock.advance(seconds=4)  # the first retry waits 5 s (outbox.backoff)
    assert work(app, clock).webhooks == 0
    assert len(receiver.received) == 3

    clock.advance(seconds=2)
    assert work(app, clock).webhooks == 3
    retried = receiver.received[3:]
    assert {r.headers["Gateway-Event-Id"] for r in retried} == first  # the same events, for the receiver's dedup
    for request in retried:
        timestamp = int(request.headers["Gateway-Timestamp"])
        assert timestamp == int(clock.now.timestamp())  # signed afresh, not replayed
        assert verify(secret, timestamp=timestamp, body=request.body, signature=request.headers["Gateway-Signature"],
                      now=int(clock.now.timestamp()))
    clock.advance(minutes=30)
    assert work(app, clock).webhooks == 0


def test_an_unreachable_receiver_is_retried(client, wallet, app, clock, receiver):
    headers = wallet_token(client, wallet)
    url = receiver.url
    dead = url.rsplit(":", 1)[0] + ":9/nothing-listens"  # the discard port: connection refused on loopback
    subscribe(client, headers, dead)
    pay(client, headers)
    assert work(app, clock).webhooks == 3
    clock.advance(seconds=6)
    assert work(app, clock).webhooks == 3  # tried again, still failing, never lost


def test_an_ended_subscription_receives_nothing(client, wallet, app, clock, receiver):
    headers = wallet_token(client, wallet)
    subscription = subscribe(client, headers, receiver.url).json
    ended = client.delete(f"/webhooks/{subscription['id']}", headers=headers)
    assert ended.status_code == 204 and ended.get_data() == b"" and "Content-Type" not in ended.headers
    assert client.get("/webhooks", headers=headers).json == {"webhooks": []}
    pay(client, headers)
    work(app, clock)
    assert receiver.received == []
    again = client.delete(f"/webhooks/{subscription['id']}", headers=headers)
    assert again.status_code == 404 and again.json["code"] == "webhook_not_found"
    missing = client.delete("/webhooks/nope", headers=headers)
    assert missing.status_code == 404 and missing.json["code"] == "webhook_not_found"


@pytest.mark.parametrize("url", [
    "http://example.com/hook",          # http only to loopback
    "http://10.0.0.1/hook",
    "ftp://127.0.0.1/hook",
    "https://",                         # no host
    "javascript:alert(1)",
    "127.0.0.1:8080/hook",
    "https://example.com/" + "x" * 2000,
    "https://169.254.169.254/latest/meta-data",   # the cloud's metadata service
    "https://10.1.2.3/hook",                      # private
    "https://[fd00::1]/hook",                     # unique local IPv6
    "https://0.0.0.0/hook",
    "https://user:secret@wallet.example/hook",    # credentials in the URL
    "",
    None,
    42,
])
def test_urls_that_are_not_https_are_refused(client, wallet, app, url):
    answer = client.post("/webhooks", json={"url": url}, headers=wallet_token(client, wallet))
    assert answer.status_code == 422
    assert answer.json["code"] == "invalid_webhook"
    assert answer.json["findings"][0]["field"] == "url"
    assert client.get("/webhooks", headers=wallet_token(client, wallet)).json == {"webhooks": []}


def test_a_host_that_resolves_inside_is_not_called(client, wallet, app, clock, monkeypatch):
    """A public-looking name that points at an internal address (set up so, or re-pointed after
    subscribing): the worker resolves it before each delivery and does not connect."""
    monkeypatch.setattr(webhook_targets, "_resolve", lambda host: ["93.184.215.14", "10.0.0.7"])

    def must_not_post(*args, **kwargs):
        raise AssertionError("the worker connected to a host that resolves to a private address")

    monkeypatch.setattr(requests, "post", must_not_post)
    headers = wallet_token(client, wallet)
    assert subscribe(client, headers, "https://hooks.wallet.example/in").status_code == 201
    pay(client, headers)
    assert work(app, clock).webhooks == 3
    with database_of(app).transaction() as session:
        errors = {d.last_error for d in session.scalars(select(WebhookDelivery))}
    assert errors == {"not called: hooks.wallet.example resolves to 10.0.0.7: 10.0.0.7 is not a public address "
                      "(private, link-local, reserved or multicast)"}


def test_https_urls_are_taken(client, wallet, app):
    answer = subscribe(client, wallet_token(client, wallet), "https://wallet.example/hooks?x=1")
    assert answer.status_code == 201
    assert len(answer.json["secret"]) >= 32


@pytest.mark.parametrize("body, fields", [
    ({"url": "https://wallet.example/hooks", "evnets": ["payment.status_changed"]}, ["evnets"]),
    ({"url": "https://wallet.example/hooks", "secret": "mine", "Url": "x"}, ["secret", "Url"]),
    ({"evnets": [], "url": "http://wallet.example/hooks"}, ["evnets", "url"]),   # every problem at once
])
def test_unknown_fields_are_refused_by_name(client, wallet, app, body, fields):
    """A misspelt field is not ignored: the client would believe it asked for what it never got."""
    headers = wallet_token(client, wallet)
    answer = client.post("/webhooks", json=body, headers=headers)
    assert answer.status_code == 422
    assert answer.json["code"] == "invalid_webhook"
    assert [f["field"] for f in answer.json["findings"]] == fields
    unknown = [f for f in answer.json["findings"] if f["field"] != "url"]
    assert all(f["message"].startswith(f"unknown field {f['field']!r}") and "url" in f["message"] for f in unknown)
    assert client.get("/webhooks", headers=headers).json == {"webhooks": []}


def test_a_url_with_a_lone_surrogate_is_refused_not_a_server_error(client, wallet, app):
    """JSON may spell a lone surrogate (\\ud800); no URL (no UTF-8 text) can hold one, and storing it failed."""
    headers = {**wallet_token(client, wallet), "Content-Type": "application/json"}
    answer = client.post("/webhooks", data=b'{"url": "https://wallet.example/\\ud800"}', headers=headers)
    assert answer.status_code == 422 and answer.json["code"] == "invalid_webhook", answer.get_data()
    assert answer.json["findings"][0]["field"] == "url" and "surrogate" in answer.json["findings"][0]["message"]
    assert client.get("/webhooks", headers=headers).json == {"webhooks": []}


@pytest.mark.parametrize("body", [["https://wallet.example/hooks"], "https://wallet.example/hooks", 42])
def test_a_body_that_is_not_an_object_is_refused(client, wallet, app, body):
    answer = client.post("/webhooks", json=body, headers=wallet_token(client, wallet))
    assert answer.status_code == 422 and answer.json["code"] == "invalid_webhook"
    assert "field" not in answer.json["findings"][0]


def test_a_url_is_subscribed_once_per_client(client, wallet, app):
    """A second subscription of one URL would receive every event twice, under two event ids."""
    headers = wallet_token(client, wallet)
    first = subscribe(client, headers, "https://wallet.example/hooks")
    assert first.status_code == 201
    again = subscribe(client, wallet_token(client, wallet, scope="consents"), "https://wallet.example/hooks")
    assert_already_subscribed(again, first.json["id"])
    assert [w["id"] for w in client.get("/webhooks", headers=headers).json["webhooks"]] == [first.json["id"]]

    other = subscribe(client, headers, "https://wallet.example/hooks/other")   # another URL is another receiver
    assert other.status_code == 201
    assert client.delete(f"/webhooks/{first.json['id']}", headers=headers).status_code == 204
    renewed = subscribe(client, headers, "https://wallet.example/hooks")       # ended: the URL is free again
    assert renewed.status_code == 201 and renewed.json["id"] != first.json["id"]


def assert_already_subscribed(answer, subscription_id: str) -> None:
    assert answer.status_code == 409
    assert answer.json["code"] == "webhook_already_subscribed"
    assert answer.json["subscription_id"] == subscription_id
    assert subscription_id in answer.json["detail"]
    assert [(f["field"], f["reason"]) for f in answer.json["findings"]] == [("url", "AM05")]


def test_a_url_subscribed_by_a_request_at_the_same_moment_is_refused_alike(client, wallet, app, monkeypatch):
    """Two requests at once each look for the URL before either has committed and find nothing:
    the unique index on active subscriptions refuses the second insert, and the client gets the
    409 of an ordinary repeat, naming the subscription that was stored.  Made deterministic here:
    the look misses once, as it did for the request that lost."""
    headers = wallet_token(client, wallet)
    first = subscribe(client, headers, "https://wallet.example/hooks")
    look_misses(monkeypatch, times=1)
    again = subscribe(client, headers, "https://wallet.example/hooks")
    assert_already_subscribed(again, first.json["id"])
    with database_of(app).transaction() as session:
        assert session.scalars(select(WebhookSubscription.id)).all() == [first.json["id"]]


def test_another_client_may_subscribe_the_same_url(client, wallet, app):
    with database_of(app).transaction() as session:
        made = Clients(session).create(name="Other Wallet", kind=ClientKind.WALLET_PROVIDER,
                                       redirect_uris=["https://other.example/cb"], scopes=["wallet"],
                                       actor="operator:test")
    other = Wallet(made.client.client_id, made.secret)
    assert subscribe(client, wallet_token(client, wallet), "https://hooks.example/shared").status_code == 201
    assert subscribe(client, wallet_token(client, other), "https://hooks.example/shared").status_code == 201
