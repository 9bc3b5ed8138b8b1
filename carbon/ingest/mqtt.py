"""Real-time meter telemetry over MQTT: a subscriber that feeds 15-minute readings into the pipeline.

Key energy-consuming units send their meters' 15-minute readings as they are taken (GB/T 38692-2020 online
monitoring). Each message goes to ``{prefix}/{enterprise}/{meter}`` and carries one point or a list of points
(an edge device catching up on a backlog)::

    {"ts": "2025-06-01T00:15:00+08:00", "value": 1234.5, "unit": "kWh", "carrier": "electricity",
     "kind": "cumulative"}

``unit``, ``carrier`` and ``kind`` are optional (kWh, electricity, cumulative register). Enterprise and meter
come from the topic; a point that names its own ``enterprise_id`` or ``meter_id`` must agree with it.

How a message travels
---------------------
The network thread (paho's loop) puts each message on a bounded in-memory queue and acknowledges it (QoS 1).
A writer thread reads the queue, parses the messages and hands the points to
:func:`carbon.ingest.pipeline.ingest_readings` in batches of ``batch_size`` points or every ``flush_seconds``,
whichever comes first: one transaction per batch. There are two kinds of bad input:

* *malformed* messages cannot be read as readings at all (not UTF-8, not JSON, not an object or a list of
  objects, a topic that is not ``{prefix}/{enterprise}/{meter}``, a point without ``ts`` or ``value``, a point
  naming another enterprise or meter than its topic). They are counted and kept in the database with a reason
  (:meth:`carbon.store.Store.add_malformed_messages`); the readable points of a list are still taken.
* *invalid* points are readable but wrong (negative value, off-grid or future timestamp, non-numeric value,
  unknown enterprise, a unit that does not fit the carrier …): the pipeline rejects them with their reason,
  kept with the batch like any other rejection.

Delivery
--------
The subscription is QoS 1 in a persistent MQTT 5 session (a fixed client id, ``clean_start`` false, a session
expiry), so points published while the subscriber is briefly away are delivered when it comes back, and the
network loop reconnects with backoff (1 s doubling to 60 s) when the broker goes away. Redeliveries are harmless:
the store is keyed by meter and timestamp, so a repeated point is *unchanged*; within one batch, a point equal
to the one sent just before it for the same meter and timestamp is dropped before validation and counted as
*repeated*. A changed value for a point already stored becomes a revision with an audit entry; two different
values for one point in the same batch are stored in arrival order (the later as a revision), never rejected
as duplicates, so the value sent last is the one kept.

A message is acknowledged once it is on the queue, not once it is stored: the broker (Mosquitto's default
``max_inflight_messages 20``) sends only a handful of unacknowledged messages per client, so holding the
acknowledgement until a batch commits would throttle the stream to a few messages per flush. The price: if the
*process dies* (not a clean :meth:`TelemetrySubscriber.stop`), the messages on the queue and in the unflushed
batch — at most ``queue_size`` messages plus ``batch_size`` points — are lost and must be re-sent by the edge
devices (which keep at least six months of history, FACTS §6).

Back-pressure
-------------
When the queue is full the network thread *blocks* until the writer makes room (``stalls`` counts the messages
that had to wait) instead of dropping anything. While it waits it reads nothing from the socket, so the broker
keeps the messages in the session queue. That queue is bounded by the broker (Mosquitto's
``max_queued_messages``, 1000 by default) and what overflows it is dropped *by the broker*; the broker-wide
count of such drops is watched through ``$SYS/broker/publish/messages/dropped`` and reported as
``broker_dropped``. For sustained bursts larger than that, raise ``max_queued_messages`` on the broker.

When the database fails
-----------------------
A batch that cannot be written is kept and retried with backoff (0.5 s doubling to 30 s) for as long as the
error is an operational one (database locked or busy, disk full, file unreachable: ``sqlite3.OperationalError``,
``OSError``); ``last_error`` says why and ``retries`` counts the attempts. Meanwhile the writer takes nothing
more from the queue, so memory stays bounded (one batch plus the queue) and back-pressure takes over as above.
Any other error is retried three times; then the batch's points are kept as malformed messages, one per topic,
with the error as the reason, so that nothing is lost silently and the stream moves on. When
:meth:`TelemetrySubscriber.stop` runs out of time while the database is still failing, what could not be stored
is counted in ``unsaved`` and logged as an error.

References
----------
GB/T 38692-2020 用能单位能耗在线监测技术要求 (15-minute sampling; FACTS §6). MQTT Version 5.0, OASIS Standard
(2019): QoS 1, Clean Start, Session Expiry Interval.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from carbon.errors import CarbonError
from carbon.ingest.pipeline import ingest_readings
from carbon.store import DATABASE_ERRORS, TRANSIENT_ERRORS, Store, now_iso

__all__ = [
    "DEFAULT_PREFIX", "POINT_FIELDS", "BrokerUnavailable", "TelemetryMessage", "TelemetrySubscriber",
    "discard_session", "parse_telemetry", "telemetry_topic",
]

log = logging.getLogger(__name__)

DEFAULT_PREFIX = "carbon/telemetry"
# The fields of a parsed point, in order; enterprise and meter come from the topic.
POINT_FIELDS: tuple[str, ...] = ("ts", "value", "unit", "carrier", "kind")
# Broker-wide count of messages the broker dropped (queue or in-flight limits); Mosquitto publishes it.
DROPPED_TOPIC = "$SYS/broker/publish/messages/dropped"

# Operational settings (not published values).
KEEPALIVE = 60  # [s] between pings to the broker
RECONNECT_MIN, RECONNECT_MAX = 1, 60  # [s] reconnect backoff, doubling
SESSION_EXPIRY = 86_400  # [s] the broker keeps the session (and queues messages) this long while we are away
QUEUE_SIZE = 10_000  # [messages] between the network thread and the writer
QUEUE_WAIT = 1.0  # [s] one wait of the network thread on a full queue
ABANDON_GRACE = 5.0  # [s] for a thread to notice that stop() gave up on it
RETRY_MIN, RETRY_MAX = 0.5, 30.0  # [s] backoff of a failing database write, doubling
UNEXPECTED_ATTEMPTS = 3  # attempts at a batch failing with a non-operational error before it is set aside
KEPT_PAYLOAD = 4_096  # [characters] of a malformed payload kept for inspection
RECENT_REJECTIONS = 100  # rejected points remembered in stats()
LISTED_PROBLEMS = 5  # problems of a list payload named in its malformed reason

_WILDCARDS = ("+", "#")


class BrokerUnavailable(CarbonError, ConnectionError):
    """The MQTT broker could not be reached, or refused the connection or the subscription."""


# -- topics and payloads --------------------------------------------------------------------------------------

def telemetry_topic(enterprise_id: str, meter_id: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic a meter publishes to: ``{prefix}/{enterprise_id}/{meter_id}``.

    Raises
    ------
    ValueError
        When an id is empty or holds ``/``, ``+`` or ``#``, which MQTT topics cannot carry as a name.
    """
    for name, value in (("enterprise_id", enterprise_id), ("meter_id", meter_id)):
        if not value or "/" in value or any(w in value for w in _WILDCARDS):
            raise ValueError(f"{name} {value!r} cannot be a topic level: it must be non-empty, without / + #")
    return f"{_check_prefix(prefix)}/{enterprise_id}/{meter_id}"


def _check_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    if not prefix or any(w in prefix for w in _WILDCARDS) or prefix.startswith("$"):
        raise ValueError(f"topic prefix {prefix!r} must be a plain topic (no + or #, not starting with $)")
    return prefix


@dataclass
class TelemetryMessage:
    """One MQTT message read as telemetry.

    Attributes
    ----------
    enterprise_id, meter_id : str or None
        From the topic (None when the topic does not fit).
    points : list of tuple
        Readable points as ``POINT_FIELDS`` tuples: ``ts`` (text), ``value`` (number, or text for the pipeline to
        reject), ``unit``, ``carrier``, ``kind`` (text or None for the default).
    problem : str or None
        Why the message, or some of its points, could not be read; None when all is readable.
    """

    enterprise_id: str | None
    meter_id: str | None
    points: list[tuple[Any, ...]] = field(default_factory=list)
    problem: str | None = None


_SHAPE_HINT = 'send an object {"ts": ..., "value": ...} or a list of such objects'


def parse_telemetry(topic: str, payload: bytes, *, prefix: str = DEFAULT_PREFIX) -> TelemetryMessage:
    """Read one telemetry message: enterprise and meter from the topic, points from the JSON payload.

    Parameters
    ----------
    topic : str
        ``{prefix}/{enterprise}/{meter}``.
    payload : bytes
        UTF-8 JSON: one point object or a list of them (see the module docstring).
    prefix : str
        The topic prefix the subscriber listens under.

    Returns
    -------
    TelemetryMessage
        The readable points and, when something could not be read, the problem in words a sender can act on.
        Points of a list are read one by one: the good ones are kept even when others are unreadable.
    """
    prefix = prefix.strip("/")
    levels = topic[len(prefix) + 1:].split("/") if topic.startswith(prefix + "/") else []
    if len(levels) != 2 or not all(levels):
        return TelemetryMessage(None, None, problem=f"topic {topic!r} does not match {prefix}/{{enterprise}}/"
                                                    "{meter}; publish each meter to its own topic")
    enterprise, meter = levels
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        return TelemetryMessage(enterprise, meter,
                                problem=f"payload is not UTF-8 text (byte {error.start}); send JSON as UTF-8")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:  # a payload nested too deep is as unreadable as bad JSON
        return TelemetryMessage(enterprise, meter, problem=f"payload is not JSON ({error}); {_SHAPE_HINT}")
    if isinstance(data, dict):
        items, single = [data], True
    elif isinstance(data, list):
        items, single = data, False
    else:
        return TelemetryMessage(enterprise, meter,
                                problem=f"payload is a JSON {_json_type(data)}; {_SHAPE_HINT}")
    points, problems = [], []
    for index, item in enumerate(items):
        problem = _point_problem(item, enterprise, meter)
        if problem is None:
            points.append((_text(item["ts"]), _number_or_text(item["value"]),
                           *(_optional_text(item.get(name)) for name in POINT_FIELDS[2:])))
        else:
            problems.append(problem if single else f"item {index}: {problem}")
    if not problems:
        return TelemetryMessage(enterprise, meter, points)
    reason = "; ".join(problems[:LISTED_PROBLEMS])
    if len(problems) > LISTED_PROBLEMS:
        reason += f"; and {len(problems) - LISTED_PROBLEMS} more"
    if points:
        reason += f" (the other {len(points)} points of the message were taken)"
    return TelemetryMessage(enterprise, meter, points, reason)


def _point_problem(item: Any, enterprise: str, meter: str) -> str | None:
    """Why a payload item is not a readable point, or None."""
    if not isinstance(item, dict):
        return f"is a JSON {_json_type(item)}, not an object with ts and value"
    missing = [name for name in ("ts", "value") if item.get(name) is None]
    if missing:
        return f"no {' and no '.join(missing)}; every point needs ts and value"
    for name, expected in (("enterprise_id", enterprise), ("meter_id", meter)):
        if item.get(name) is not None and str(item[name]) != expected:
            return f"{name} {item[name]!r} disagrees with the topic ({expected!r}); publish to the right topic"
    return None


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _number_or_text(value: Any) -> Any:
    # Numbers pass as they are; anything else as text, which the pipeline rejects with "is not a number".
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _text(value)


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _kept_payload(payload: bytes) -> str:
    """The payload as text for inspection: undecodable bytes escaped, long payloads cut."""
    text = payload.decode("utf-8", errors="backslashreplace")
    if len(text) > KEPT_PAYLOAD:
        text = f"{text[:KEPT_PAYLOAD]}… ({len(text) - KEPT_PAYLOAD} more characters)"
    return text


# -- batches ------------------------------------------------------------------------------------------------

_COLUMNS = ("meter_id", "enterprise_id", *POINT_FIELDS)


class _Buffer:
    """Points and malformed messages gathered for the next batch, column by column."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        self.topics: list[str] = []
        self.malformed: list[dict[str, Any]] = []

    @property
    def points(self) -> int:
        return len(self.topics)

    def __bool__(self) -> bool:
        return bool(self.topics or self.malformed)

    def add(self, topic: str, message: TelemetryMessage) -> None:
        n = len(message.points)
        if not n:
            return
        self.topics.extend([topic] * n)
        self.columns["meter_id"].extend([message.meter_id] * n)
        self.columns["enterprise_id"].extend([message.enterprise_id] * n)
        for name, values in zip(POINT_FIELDS, zip(*message.points, strict=True), strict=True):
            self.columns[name].extend(values)

    def take(self) -> _Batch:
        frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in self.columns.items()})
        frame.insert(0, "row", np.arange(1, len(frame) + 1))
        steps = _ingest_steps(frame)
        batch = _Batch(frames=steps, malformed=self.malformed, topics=np.array(self.topics, dtype=object),
                       repeated=len(frame) - sum(len(step) for step in steps))
        self._reset()
        return batch


def _ingest_steps(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """The frames to ingest one after the other: repeats dropped, differing values for a point in arrival order.

    A point identical to the previous one sent for its (meter, ts) is a repeat (a redelivery, a double send) and
    is dropped. Of the rest, the first occurrence of each (meter, ts) goes into the first frame, the second into
    the next, and so on, so that a correction sent soon after the first value becomes a revision rather than
    an in-batch duplicate, and the value sent last is the one stored.
    """
    if frame.empty:
        return []
    grouped = frame.groupby(["meter_id", "ts"], sort=False)
    later = grouped.cumcount().to_numpy() > 0
    values = [name for name in _COLUMNS if name not in ("meter_id", "ts")]
    previous = grouped[values].shift()
    same = later.copy()
    for name in values:
        both_missing = frame[name].isna().to_numpy() & previous[name].isna().to_numpy()
        same &= both_missing | (frame[name].to_numpy() == previous[name].to_numpy())
    kept = frame.loc[~same]
    occurrence = kept.groupby(["meter_id", "ts"], sort=False).cumcount().to_numpy()
    return [kept.loc[occurrence == n] for n in range(int(occurrence.max()) + 1)]


@dataclass
class _Batch:
    """What one flush has still to write: malformed messages first, then the ingest steps in order."""

    frames: list[pd.DataFrame]
    malformed: list[dict[str, Any]]
    topics: np.ndarray  # the topic of each point, by row - 1
    repeated: int  # exact repeats dropped before validation

    @property
    def pending_points(self) -> int:
        return sum(len(frame) for frame in self.frames)

    def set_aside(self, reason: str) -> None:
        """Turn the remaining points into malformed messages (one per topic) carrying ``reason``."""
        for frame in self.frames:
            topics = self.topics[frame["row"].to_numpy() - 1]
            points = frame[list(POINT_FIELDS)].assign(topic=topics)
            for topic, group in points.groupby("topic", sort=False):
                records = group.drop(columns="topic").to_dict("records")
                # Kept whole (not cut like a foreign payload): this is the data, to be published again.
                self.malformed.append({"topic": topic, "reason": reason,
                                       "payload": json.dumps(records, ensure_ascii=False, default=str)})
        self.frames = []


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
        self.prefix = _check_prefix(prefix)
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
        buffer = _Buffer()
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

    def _read(self, buffer: _Buffer, topic: str, payload: bytes, received_at: str) -> None:
        message = parse_telemetry(topic, payload, prefix=self.prefix)
        buffer.add(topic, message)
        with self._lock:
            self._counts["points"] += len(message.points)
            if message.problem is not None:
                self._counts["malformed"] += 1
        if message.problem is not None:
            buffer.malformed.append({"topic": topic, "payload": _kept_payload(payload), "reason": message.problem,
                                     "received_at": received_at})

    def _flush(self, batch: _Batch) -> bool:
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
                if not isinstance(error, TRANSIENT_ERRORS):
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

    def _ingest(self, store: Store, batch: _Batch, frame: pd.DataFrame) -> None:
        summary = ingest_readings(store, [frame], source=self.source, actor="mqtt")
        rejections = summary.rejection_frame
        recent = []
        if len(rejections):
            rows = frame.set_index("row").loc[rejections["row"].to_numpy(dtype=int)]
            recent = pd.DataFrame({
                "topic": batch.topics[rows.index.to_numpy() - 1], "ts": rows["ts"].to_numpy(),
                "value": rows["value"].to_numpy(), "field": rejections["field"].to_numpy(),
                "reason": rejections["reason"].to_numpy(), "batch_id": summary.batch_id,
            }).tail(RECENT_REJECTIONS).to_dict("records")
            log.warning("telemetry batch %s: %d points rejected, e.g. %s %s: %s", summary.batch_id,
                        summary.rejected, recent[0]["topic"], recent[0]["field"], recent[0]["reason"])
        with self._lock:
            self._counts["batches"] += 1
            for name in ("accepted", "unchanged", "revised", "rejected"):
                self._stored[name] += getattr(summary, name)
            self._recent.extend(recent)

    def _give_up(self, batch: _Batch | None, buffer: _Buffer) -> None:
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
            with contextlib.suppress(*DATABASE_ERRORS):
                self._store.close()
            self._store = None

    def _set_count(self, name: str, value: int) -> None:
        with self._lock:
            self._counts[name] = value


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
