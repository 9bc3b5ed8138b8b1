"""Real-time meter telemetry over MQTT: a subscriber that feeds 15-minute readings into the pipeline.

Meters publish to ``{prefix}/{enterprise}/{meter}``; what a message holds and how it is read is
:mod:`carbon.ingest.telemetry`. This module receives the messages (QoS 1, a persistent MQTT 5 session), queues
them with back-pressure, and writes them in batches through :func:`carbon.ingest.pipeline.ingest_readings`,
retrying while the database is transiently unavailable and keeping what cannot be stored as malformed messages.
How a message travels, what is acknowledged when, and what happens when the broker or the database fails:
``docs/telemetry.md``.

References
----------
GB/T 38692-2020 用能单位能耗在线监测技术要求 (15-minute sampling; FACTS §6). MQTT Version 5.0, OASIS Standard
(2019): QoS 1, Clean Start, Session Expiry Interval.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from carbon.ingest.broker import KEEPALIVE, BrokerUnavailable, discard_session
from carbon.ingest.pipeline import ingest_readings
from carbon.ingest.telemetry import (
    DEFAULT_PREFIX,
    POINT_FIELDS,
    PendingBatch,
    PointBuffer,
    TelemetryMessage,
    check_prefix,
    parse_telemetry,
    telemetry_topic,
)
from carbon.store import Store, database_errors, now_iso, transient_errors

__all__ = [
    "DEFAULT_PREFIX", "POINT_FIELDS", "BrokerUnavailable", "TelemetryMessage", "TelemetrySubscriber",
    "discard_session", "parse_telemetry", "telemetry_topic",
]

log = logging.getLogger(__name__)

# Broker-wide count of messages the broker dropped (queue or in-flight limits); Mosquitto publishes it.
DROPPED_TOPIC = "$SYS/broker/publish/messages/dropped"

# Operational settings (not published values).
RECONNECT_MIN, RECONNECT_MAX = 1, 60  # [s] reconnect backoff, doubling
SESSION_EXPIRY = 86_400  # [s] the broker keeps the session (and queues messages) this long while we are away
QUEUE_SIZE = 10_000  # [messages] between the network thread and the writer
QUEUE_WAIT = 1.0  # [s] one wait of the network thread on a full queue
ABANDON_GRACE = 5.0  # [s] for a thread to notice that stop() gave up on it
RETRY_MIN, RETRY_MAX = 0.5, 30.0  # [s] backoff of a failing database write, doubling
UNEXPECTED_ATTEMPTS = 3  # attempts at a batch failing with a non-operational error before it is set aside
RECENT_REJECTIONS = 100  # rejected points remembered in stats()


# -- the subscriber -----------------------------------------------------------------------------------------

_STOP = object()  # the writer's last queue item


class TelemetrySubscriber:
    """Subscribe to meter telemetry and store it through the ingestion pipeline.

    Parameters
    ----------
    db_path : str
        The SQLite database (the writer thread opens its own connection).
    host, port : str, int
        The MQTT broker.
    prefix : str
        Topic prefix; the subscriber listens to ``{prefix}/#`` and expects ``{prefix}/{enterprise}/{meter}``.
    qos : int
        Subscription QoS, 1 or 2 (0 would lose what is sent while the subscriber is away).
    batch_size : int
        Points per batch (one pipeline call, one transaction); a batch is written when it is full …
    flush_seconds : float
        … or this long [s] after its first message arrived, whichever comes first.
    client_id : str, optional
        Identifies the persistent session; by default derived from the prefix, so a restarted subscriber
        resumes the same session. Two subscribers with one client id take the session from each other.
    queue_size : int
        Messages held between the network thread and the writer.
    session_expiry : int
        How long [s] the broker keeps the session, and queues messages, while the subscriber is away.
    source : str, optional
        Batch source recorded with every batch; ``mqtt:{host}:{port}/{prefix}`` by default.

    Examples
    --------
    >>> subscriber = TelemetrySubscriber("data/carbon.db")  # doctest: +SKIP
    >>> subscriber.start()  # doctest: +SKIP
    >>> subscriber.stats()["stored"]  # doctest: +SKIP
    {'accepted': 96, 'unchanged': 0, 'revised': 0, 'rejected': 0, 'repeated': 0}
    >>> subscriber.stop()  # doctest: +SKIP
    """

    def __init__(self, db_path: str, *, host: str = "127.0.0.1", port: int = 1883, prefix: str = DEFAULT_PREFIX,
                 qos: int = 1, batch_size: int = 5000, flush_seconds: float = 2.0, client_id: str | None = None,
                 queue_size: int = QUEUE_SIZE, session_expiry: int = SESSION_EXPIRY,
                 source: str | None = None) -> None:
        if qos not in (1, 2):
            raise ValueError(f"qos must be 1 or 2 (got {qos}); QoS 0 loses what is sent while away")
        if batch_size < 1 or flush_seconds <= 0 or queue_size < 1:
            raise ValueError("batch_size and queue_size must be at least 1 and flush_seconds above 0")
        self.db_path = str(db_path)
        self.host, self.port = host, int(port)
        self.prefix = check_prefix(prefix)
        self.qos = qos
        self.batch_size = batch_size
        self.flush_seconds = flush_seconds
        self.client_id = client_id or "carbon-" + hashlib.sha1(self.prefix.encode()).hexdigest()[:16]
        self.session_expiry = session_expiry
        self.source = source or f"mqtt:{host}:{port}/{self.prefix}"

        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._lock = threading.Lock()
        self._stop_lock = threading.Lock()
        self._subscribed = threading.Event()
        self._closing = threading.Event()  # stop() has begun: disconnects are expected
        self._abandon = threading.Event()  # stop() ran out of time: give up waiting on the queue and the database
        self._stop_requested = threading.Event()  # ends run_forever()
        self._network: threading.Thread | None = None
        self._writer: threading.Thread | None = None
        self._stopped = False
        self._store: Store | None = None  # the writer thread's connection
        self._counts: dict[str, Any] = {
            "received": 0, "points": 0, "malformed": 0, "batches": 0, "retries": 0, "stalls": 0, "reconnects": 0,
            "unsaved": 0, "set_aside": 0, "buffered": 0,
        }
        self._stored = {"accepted": 0, "unchanged": 0, "revised": 0, "rejected": 0, "repeated": 0}
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_REJECTIONS)
        self._last_error: str | None = None
        self._last_error_at: str | None = None
        self._connected = False
        self._dropped_first: int | None = None
        self._dropped_last: int | None = None
        self._client = self._make_client()

    # -- public ---------------------------------------------------------------------------------------------

    def start(self, timeout: float | None = 10.0) -> None:
        """Connect, subscribe and start the network and writer threads.

        Parameters
        ----------
        timeout : float or None
            Wait this long [s] for the subscription to be in place; None returns at once and keeps trying to
            connect in the background (a service that must come up before its broker).

        Raises
        ------
        BrokerUnavailable
            When the subscription is not in place within ``timeout`` (the threads are stopped again).
        """
        if self._writer is not None:
            raise RuntimeError("this subscriber was started already; create a new one to start again")
        Store(self.db_path).close()  # a wrong path or an unmigratable database fails here, not in a thread
        self._writer = threading.Thread(target=self._write_loop, name="carbon-mqtt-writer", daemon=True)
        self._writer.start()
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.session_expiry
        self._client.connect_async(self.host, self.port, keepalive=KEEPALIVE, clean_start=False,
                                   properties=properties)
        self._network = threading.Thread(target=self._network_loop, name="carbon-mqtt-network", daemon=True)
        self._network.start()
        if timeout is not None and not self._subscribed.wait(timeout):
            error = self._last_error or "no answer"
            self.stop(timeout=5.0)
            raise BrokerUnavailable(f"not subscribed to {self.prefix}/# at {self.host}:{self.port} within "
                                    f"{timeout:g} s ({error}); is the broker running and reachable?")

    def stop(self, timeout: float = 30.0) -> dict[str, Any]:
        """Disconnect, store everything received, and end the threads; return the final :meth:`stats`.

        Messages still on the broker stay in the session for the next start. When the database keeps failing
        past ``timeout`` [s], what is left is counted in ``unsaved`` and logged as an error.
        """
        with self._stop_lock:
            self._stop_requested.set()
            if self._stopped or self._writer is None:
                return self.stats()
            deadline = time.monotonic() + timeout
            self._closing.set()
            self._client.disconnect()
            if self._network is not None:
                self._network.join(max(0.0, deadline - time.monotonic()))
                if self._network.is_alive():  # blocked on a full queue: the unqueued message stays unacknowledged
                    self._abandon.set()
                    self._network.join(ABANDON_GRACE)
            self._put_stop(deadline)
            self._writer.join(max(0.0, deadline - time.monotonic()))
            if self._writer.is_alive():
                self._abandon.set()
                self._writer.join(ABANDON_GRACE)
            self._stopped = True
            with self._lock:
                self._connected = False
            return self.stats()

    def run_forever(self, *, report: Callable[[dict[str, Any]], None] | None = None, report_every: float = 60.0,
                    stop_timeout: float = 30.0) -> dict[str, Any]:
        """Run until interrupted (Ctrl-C, SIGTERM) or :meth:`stop`; return the final :meth:`stats`.

        Parameters
        ----------
        report : callable, optional
            Called with :meth:`stats` every ``report_every`` seconds (a log line, a metrics push).
        report_every : float
            [s]
        stop_timeout : float
            Time [s] given to :meth:`stop` to store what is buffered.
        """
        self.start(timeout=None)
        restore = None
        if threading.current_thread() is threading.main_thread():
            restore = signal.signal(signal.SIGTERM, lambda *_: self._stop_requested.set())
        try:
            next_report = time.monotonic() + report_every
            while not self._stop_requested.wait(min(1.0, report_every)):
                if report is not None and time.monotonic() >= next_report:
                    report(self.stats())
                    next_report = time.monotonic() + report_every
        except KeyboardInterrupt:
            pass
        finally:
            if restore is not None:
                signal.signal(signal.SIGTERM, restore)
        return self.stop(stop_timeout)

    def stats(self) -> dict[str, Any]:
        """Counts since start, JSON-ready.

        Returns
        -------
        dict
            ``running``, ``connected``, ``subscribed`` (the subscription is in place); ``received`` messages, of
            them ``malformed``; readable ``points``; ``batches`` written; ``stored`` = points ``accepted`` (new),
            ``unchanged`` (as stored), ``revised``, ``rejected`` by validation, ``repeated`` (repeats within a
            batch, dropped); ``queued`` messages and ``buffered`` points waiting; ``retries`` of failed writes;
            ``set_aside`` points kept as malformed after an unexpected error; ``unsaved`` points given up at
            stop; ``stalls`` (messages the network thread held on a full queue); ``reconnects``;
            ``broker_dropped`` (broker-wide drops since start, None when the broker does not publish them);
            ``last_error`` and ``last_error_at`` (the latest problem, kept after recovery); ``recent_rejections``
            (topic, ts, value, field, reason, batch_id).
        """
        with self._lock:
            dropped = (None if self._dropped_last is None or self._dropped_first is None
                       else self._dropped_last - self._dropped_first)
            return {
                "running": bool(self._writer is not None and self._writer.is_alive() and not self._stopped),
                "connected": self._connected, "subscribed": self._subscribed.is_set(), **self._counts,
                "queued": self._queue.qsize(), "stored": dict(self._stored), "broker_dropped": dropped,
                "last_error": self._last_error, "last_error_at": self._last_error_at,
                "recent_rejections": list(self._recent),
            }

    # -- network thread -------------------------------------------------------------------------------------

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=mqtt.MQTTv5,
                             manual_ack=True)
        client.reconnect_delay_set(min_delay=RECONNECT_MIN, max_delay=RECONNECT_MAX)
        client.on_connect = self._on_connect
        client.on_connect_fail = self._on_connect_fail
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.message_callback_add(DROPPED_TOPIC, self._on_dropped)
        return client

    def _network_loop(self) -> None:
        try:
            self._client.loop_forever(retry_first_connection=True)
        except Exception as error:  # a bug must not vanish with its thread
            log.exception("MQTT network loop ended")
            self._note_error(f"network loop ended: {error!r}")

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                    properties: Any) -> None:
        if reason_code.is_failure:
            self._note_error(f"broker {self.host}:{self.port} refused the connection: {reason_code}")
            return
        with self._lock:
            self._connected = True
        log.info("connected to %s:%s as %s (session present: %s)", self.host, self.port, self.client_id,
                 flags.session_present)
        client.subscribe([(f"{self.prefix}/#", SubscribeOptions(qos=self.qos)),
                          (DROPPED_TOPIC, SubscribeOptions(qos=0))])

    def _on_connect_fail(self, client: mqtt.Client, userdata: Any) -> None:
        self._note_error(f"cannot reach the broker at {self.host}:{self.port}; retrying")

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any,
                       properties: Any) -> None:
        with self._lock:
            self._connected = False
        self._subscribed.clear()  # set again when the subscription is renewed after reconnecting
        if not self._closing.is_set():
            with self._lock:
                self._counts["reconnects"] += 1
            self._note_error(f"lost the broker at {self.host}:{self.port} ({reason_code}); reconnecting")

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reason_codes: Sequence[Any],
                      properties: Any) -> None:
        if reason_codes and reason_codes[0].is_failure:
            self._note_error(f"broker refused the subscription to {self.prefix}/#: {reason_codes[0]}")
            return
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            topic = message.topic
        except UnicodeDecodeError:
            topic = message._topic.decode("utf-8", errors="backslashreplace")
        item = (topic, message.payload, now_iso())
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with self._lock:
                self._counts["stalls"] += 1
            while True:  # wait for the writer: the broker holds what follows meanwhile
                try:
                    self._queue.put(item, timeout=QUEUE_WAIT)
                    break
                except queue.Full:
                    if self._abandon.is_set():
                        return  # not acknowledged: the broker delivers it again to the next session
        client.ack(message.mid, message.qos)
        with self._lock:
            self._counts["received"] += 1

    def _on_dropped(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            value = int(message.payload)
        except ValueError:
            return
        with self._lock:
            if self._dropped_first is None:
                self._dropped_first = value
            self._dropped_last = value

    def _note_error(self, text: str) -> None:
        log.warning(text)
        with self._lock:
            self._last_error, self._last_error_at = text, now_iso()

    # -- writer thread --------------------------------------------------------------------------------------

    def _put_stop(self, deadline: float) -> None:
        while not self._abandon.is_set():
            try:
                self._queue.put(_STOP, timeout=max(0.01, min(QUEUE_WAIT, deadline - time.monotonic())))
                return
            except queue.Full:
                if time.monotonic() >= deadline:
                    self._abandon.set()

    def _write_loop(self) -> None:
        buffer = PointBuffer()
        due: float | None = None  # when the buffer must be flushed at the latest
        stopping = False
        try:
            while not stopping:
                wait = self.flush_seconds if due is None else max(0.0, due - time.monotonic())
                try:
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    item = None
                if item is _STOP:
                    stopping = True
                elif item is not None:
                    self._read(buffer, *item)
                    due = due or time.monotonic() + self.flush_seconds
                    self._set_count("buffered", buffer.points)
                if buffer and (stopping or buffer.points >= self.batch_size or time.monotonic() >= (due or 0)):
                    batch = buffer.take()
                    if not self._flush(batch):
                        self._give_up(batch, buffer)
                        return
                    self._set_count("buffered", buffer.points)
                if not buffer:
                    due = None  # (an empty list payload leaves nothing to flush)
                if self._abandon.is_set():
                    self._give_up(None, buffer)
                    return
        except Exception as error:  # a bug: say so loudly rather than letting the thread vanish
            log.exception("telemetry writer ended")
            self._note_error(f"writer ended: {error!r}")
        finally:
            self._close_store()

    def _read(self, buffer: PointBuffer, topic: str, payload: bytes, received_at: str) -> None:
        message = parse_telemetry(topic, payload, prefix=self.prefix)
        buffer.add(topic, message, payload=payload, received_at=received_at)
        with self._lock:
            self._counts["points"] += len(message.points)
            if message.problem is not None:
                self._counts["malformed"] += 1

    def _flush(self, batch: PendingBatch) -> bool:
        """Write a batch, retrying with backoff; False only when stop() gave up waiting."""
        attempt = unexpected = set_aside = 0
        while True:
            try:
                store = self._open_store()
                if batch.malformed:
                    store.add_malformed_messages(batch.malformed)
                    batch.malformed = []
                while batch.frames:
                    self._ingest(store, batch, batch.frames[0])
                    batch.frames.pop(0)
                with self._lock:
                    self._stored["repeated"] += batch.repeated
                return True
            except Exception as error:
                attempt += 1
                self._close_store()
                with self._lock:
                    self._counts["retries"] += 1
                if not isinstance(error, transient_errors()):
                    log.exception("unexpected error writing telemetry")
                    unexpected += 1
                    if unexpected >= UNEXPECTED_ATTEMPTS and batch.frames:
                        set_aside = batch.pending_points
                        batch.set_aside(f"could not be stored ({type(error).__name__}: {error}); "
                                        "publish these points again once the cause is fixed")
                        with self._lock:
                            self._counts["set_aside"] += set_aside
                    elif unexpected >= 2 * UNEXPECTED_ATTEMPTS:  # not even the malformed table takes them
                        self._count_unsaved(set_aside)
                        return True
                self._note_error(f"storing {batch.pending_points} points failed (attempt {attempt}): "
                                 f"{type(error).__name__}: {error}; retrying")
            if self._abandon.wait(min(RETRY_MIN * 2 ** (attempt - 1), RETRY_MAX)):
                return False
        return True

    def _ingest(self, store: Store, batch: PendingBatch, frame: pd.DataFrame) -> None:
        summary = ingest_readings(store, [frame], source=self.source, actor="mqtt")
        recent = batch.rejected_points(frame, summary.rejection_frame, summary.batch_id)[-RECENT_REJECTIONS:]
        if recent:
            log.warning("telemetry batch %s: %d points rejected, e.g. %s %s: %s", summary.batch_id,
                        summary.rejected, recent[0]["topic"], recent[0]["field"], recent[0]["reason"])
        with self._lock:
            self._counts["batches"] += 1
            for name in ("accepted", "unchanged", "revised", "rejected"):
                self._stored[name] += getattr(summary, name)
            self._recent.extend(recent)

    def _give_up(self, batch: PendingBatch | None, buffer: PointBuffer) -> None:
        """stop() ran out of time: count what is left (batch, buffer, queue) as unsaved."""
        lost = (batch.pending_points if batch is not None else 0) + buffer.points
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                lost += len(parse_telemetry(item[0], item[1], prefix=self.prefix).points)
        self._set_count("buffered", 0)
        self._count_unsaved(lost)

    def _count_unsaved(self, lost: int) -> None:
        """Count and log points that cannot be stored (they were acknowledged to the broker)."""
        with self._lock:
            self._counts["unsaved"] += lost
            error = self._last_error
        if lost:
            log.error("%d telemetry points not stored (last error: %s); the edge devices must send them again",
                      lost, error)

    def _open_store(self) -> Store:
        if self._store is None:
            self._store = Store(self.db_path)
        return self._store

    def _close_store(self) -> None:
        if self._store is not None:
            with contextlib.suppress(*database_errors()):
                self._store.close()
            self._store = None

    def _set_count(self, name: str, value: int) -> None:
        with self._lock:
            self._counts[name] = value
