"""The API's server (webhooks/server.py): Nagle's algorithm is off on every connection it accepts, and the app
loads without the packages its libraries would load for nothing."""

from __future__ import annotations

import socket

from tests.unit.fresh_interpreter import printed_by
from webhooks.server import NoDelayConfig


def test_connections_accepted_by_the_api_socket_have_nagle_off() -> None:
    listener = NoDelayConfig("webhooks.app:create_app", factory=True, host="127.0.0.1", port=0).bind_socket()
    listener.listen()  # as uvicorn does at start-up
    client = socket.create_connection(listener.getsockname()[:2], timeout=5)
    accepted, _ = listener.accept()
    try:
        # The accepted socket is what asyncio writes responses to; it inherits the option from the listener.
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        for sock in (accepted, client, listener):
            sock.close()


def test_the_proxies_set_in_the_settings_are_the_ones_uvicorn_trusts() -> None:
    from webhooks.server import server_config

    behind_proxy = server_config("127.0.0.1", 0, 1, proxies="10.0.0.7")
    assert behind_proxy.forwarded_allow_ips == "10.0.0.7"
    direct = server_config("127.0.0.1", 0, 1)
    assert direct.forwarded_allow_ips != behind_proxy.forwarded_allow_ips


def test_the_api_loads_its_app_without_yaml_and_still_publishes_json() -> None:
    # A fresh interpreter, as each API server process is: the app imported and built where uvicorn does it.
    code = (
        "import sys; from webhooks.server import server_config; config = server_config('127.0.0.1', 0, 1);"
        "config.load(); from kombu.serialization import registry;"
        "print('yaml' in sys.modules, registry.dumps({'ok': 1}, serializer='json')[0]);"
        "import yaml; print(yaml.safe_load('ok: 1'))"
    )
    assert printed_by(code) == ["False application/json", "{'ok': 1}"]
