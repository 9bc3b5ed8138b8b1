"""The MQTT broker as the telemetry subscriber meets it: keep-alive, the error when it cannot be reached, and
ending a persistent session."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from carbon.errors import CarbonError

__all__ = ["KEEPALIVE", "BrokerUnavailable", "discard_session"]

KEEPALIVE = 60  # [s] between pings to the broker


class BrokerUnavailable(CarbonError, ConnectionError):
    """The MQTT broker could not be reached, or refused the connection or the subscription."""


def discard_session(client_id: str, *, host: str = "127.0.0.1", port: int = 1883, timeout: float = 5.0) -> None:
    """End a subscriber's persistent session on the broker, dropping what the broker holds for it.

    For retiring a subscriber (or a test's session). Raises :class:`BrokerUnavailable` when the broker does not
    answer within ``timeout`` [s].
    """
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    try:
        client.connect(host, port, keepalive=KEEPALIVE, clean_start=True)  # session expiry 0: ends on disconnect
    except OSError as error:
        raise BrokerUnavailable(f"cannot reach the broker at {host}:{port}: {error}") from error
    client.loop_start()
    try:
        if not connected.wait(timeout):
            raise BrokerUnavailable(f"the broker at {host}:{port} did not answer within {timeout:g} s")
    finally:
        client.disconnect()
        client.loop_stop()
