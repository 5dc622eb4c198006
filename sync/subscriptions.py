"""Managing the application's one push subscription (docs/strava.md, "Webhooks"), for `runsmart strava subscription`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import requests

from sync.strava import StravaHttpSession, classify_fault


class SubscriptionError(RuntimeError):
    """A clear, operator-facing reason the subscription call did not work."""


@dataclass(frozen=True)
class Subscription:
    id: int
    callback_url: str


def check_callback(callback_url: str, verify_token: str, timeout_s: float = 2.0) -> None:
    """Do what Strava will do before it creates the subscription: the handshake GET, answered within 2 s."""
    challenge = secrets.token_hex(8)
    params = {"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
    try:
        response = requests.get(callback_url, params=params, timeout=timeout_s)
    except requests.Timeout:
        raise SubscriptionError(
            f"{callback_url} did not answer the handshake within {timeout_s:.0f} s; Strava would refuse it"
        ) from None
    except requests.RequestException as error:
        raise SubscriptionError(f"{callback_url} is not reachable: {type(error).__name__}") from None
    if response.status_code in (403, 404):
        raise SubscriptionError(
            f"{callback_url} answered {response.status_code}: is RUNSMART_STRAVA_VERIFY_TOKEN set on the API "
            "and equal to the verify token given here?"
        )
    try:
        echoed = response.json().get("hub.challenge")
    except ValueError:
        echoed = None
    if response.status_code != 200 or echoed != challenge:
        raise SubscriptionError(
            f"{callback_url} answered {response.status_code} without echoing hub.challenge as JSON"
        )


class SubscriptionManager:
    def __init__(self, *, client_id: int, client_secret: str, base_url: str, timeout_s: float = 30.0) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        # Creation blocks while Strava runs the handshake against our callback: allow more than 2 s.
        from stravalib import Client  # imported here: see sync/strava.py on its import cost

        self._client = Client(
            rate_limit_requests=False, requests_session=StravaHttpSession(base_url, timeout_s)
        )

    def _call(self, fn: Any) -> Any:
        try:
            return fn()
        except requests.RequestException as error:  # stravalib's Fault is a requests HTTPError
            raise SubscriptionError(_explain(error)) from None

    def create(self, callback_url: str, verify_token: str) -> Subscription:
        check_callback(callback_url, verify_token)
        created = self._call(
            lambda: self._client.create_subscription(
                client_id=self._client_id,
                client_secret=self._client_secret,
                callback_url=callback_url,
                verify_token=verify_token,
            )
        )
        return Subscription(id=int(created.id), callback_url=str(created.callback_url or callback_url))

    def list(self) -> list[Subscription]:
        found = self._call(
            lambda: list(
                self._client.list_subscriptions(client_id=self._client_id, client_secret=self._client_secret)
            )
        )
        return [Subscription(id=int(s.id), callback_url=str(s.callback_url)) for s in found]

    def delete(self, subscription_id: int) -> None:
        self._call(
            lambda: self._client.delete_subscription(
                subscription_id=subscription_id, client_id=self._client_id, client_secret=self._client_secret
            )
        )


def _explain(error: Exception) -> str:
    response = getattr(error, "response", None)
    try:
        errors = response.json().get("errors") if response is not None else None
    except ValueError:
        errors = None
    for item in errors or []:
        code, field = item.get("code"), item.get("field")
        if code == "already exists":
            return "this application already has a subscription (one per app): delete it first"
        if code == "not verifiable":
            return "Strava could not verify the callback URL (it must answer the handshake within 2 s)"
        if field:
            return f"Strava refused the request: {field} {code}"
    return str(classify_fault(error))
