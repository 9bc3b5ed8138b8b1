"""MQTT telemetry: the subscriber against the local Mosquitto (127.0.0.1:1883); parsing is test_telemetry.py.

The broker tests skip when the broker is unreachable, unless ``CARBON_REQUIRE_SERVICES`` is set (then they fail).
Every test listens under its own topic prefix and client id, and ends its persistent session afterwards.

Mosquitto keeps at most ``max_queued_messages`` (1000 by default) undelivered messages per session and drops
the rest, so publishers here never get more than ``WINDOW`` messages ahead of what the subscriber has received.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt
import pandas as pd
import pytest
from paho.mqtt.enums import CallbackAPIVersion

import carbon.ingest.mqtt as subscriber_module
from carbon.ingest.mqtt import (
    BrokerUnavailable,
    TelemetrySubscriber,
    discard_session,
    telemetry_topic,
)
from carbon.store import Scope, Store
from tests.databases import new_database

HOST, PORT = "127.0.0.1", 1883
PREFIX = "carbon/telemetry"
WAIT = 90.0  # [s] upper bound of every wait for the subscriber; never a timing assertion
WINDOW = 400  # [messages] a publisher may run ahead of the subscriber (below the broker's 1000 per session)
ENTERPRISES = ["GZHTZ-0001", "GZHTZ-0002", "GZHTZ-0003", "GZHTZ-0004"]
START = pd.Timestamp("2025-01-01T00:00:00+08:00")
QUARTER = pd.Timedelta(minutes=15)


# -- subscriber without a broker ---------------------------------------------------------------------------

def test_start_fails_clearly_when_no_broker_listens(tmp_path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    subscriber = TelemetrySubscriber(str(tmp_path / "carbon.db"), port=port, client_id=f"t-{uuid.uuid4().hex}")
    with pytest.raises(BrokerUnavailable, match="is the broker running"):
        subscriber.start(timeout=0.5)
    assert subscriber.stats()["running"] is False


# -- against the broker ---------------------------------------------------------------------------------------

def _broker_reachable() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def broker() -> None:
    if _broker_reachable():
        return
    message = (f"no MQTT broker at {HOST}:{PORT}; start Mosquitto with "
               "`mosquitto -d -c /etc/mosquitto/mosquitto.conf`")
    if os.environ.get("CARBON_REQUIRE_SERVICES"):
        pytest.fail(message + " (CARBON_REQUIRE_SERVICES is set, so this is a failure)")
    pytest.skip(message + " (set CARBON_REQUIRE_SERVICES to make this a failure)")


@pytest.fixture
def db(tmp_path) -> str:
    path = new_database(tmp_path, "mqtt")
    with Store(path) as store:
        store.upsert_region("gz-htz", name="广州高新技术产业开发区", grid_region="guangdong")
        store.add_enterprises([{"id": e, "name": f"示范企业 {e}", "region": "gz-htz"} for e in ENTERPRISES])
    return path


@pytest.fixture
def prefix() -> str:
    return f"carbon-test/{uuid.uuid4().hex}"


@pytest.fixture
def subscribers(broker, db: str, prefix: str) -> Iterator[Callable[..., TelemetrySubscriber]]:
    """Start subscribers on the test's database and prefix; stop them and end their sessions afterwards."""
    made: list[TelemetrySubscriber] = []

    def make(**options: Any) -> TelemetrySubscriber:
        options = {"host": HOST, "port": PORT, "prefix": prefix, "client_id": f"carbon-test-{uuid.uuid4().hex}",
                   "session_expiry": 300, "flush_seconds": 0.2, **options}
        subscriber = TelemetrySubscriber(db, **options)
        made.append(subscriber)
        subscriber.start(timeout=10.0)
        return subscriber

    yield make
    for subscriber in made:
        subscriber.stop(timeout=10.0)
    for client_id in {s.client_id for s in made}:
        discard_session(client_id, host=HOST, port=PORT)


@pytest.fixture
def publisher(broker) -> Iterator[mqtt.Client]:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"carbon-test-pub-{uuid.uuid4().hex}")
    client.max_inflight_messages_set(100)
    client.connect(HOST, PORT)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def wait_for(condition: Callable[[], bool], what: str, subscriber: TelemetrySubscriber | None = None) -> None:
    """Poll until ``condition`` holds; fail after WAIT seconds, saying what was awaited."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}" + (f"; stats: {subscriber.stats()}" if subscriber else ""))
        time.sleep(0.02)


def settled(subscriber: TelemetrySubscriber, points: int) -> Callable[[], bool]:
    """True once ``points`` points have each been accepted, found unchanged, revised, rejected or repeated."""
    return lambda: sum(subscriber.stats()["stored"].values()) >= points


def publish(client: mqtt.Client, messages: list[tuple[str, bytes]],
            subscriber: TelemetrySubscriber | None = None) -> None:
    """Publish at QoS 1, never more than WINDOW messages ahead of the subscriber; wait until the broker has all."""
    base = subscriber.stats()["received"] if subscriber else 0
    info = None
    for sent, (topic_, payload) in enumerate(messages, 1):
        info = client.publish(topic_, payload, qos=1)
        if subscriber is not None and sent % 100 == 0:
            wait_for(lambda: sent - (subscriber.stats()["received"] - base) <= WINDOW,  # noqa: B023
                     "the subscriber to catch up", subscriber)
    if info is not None:
        info.wait_for_publish(timeout=WAIT)


def point(ts: pd.Timestamp | str, value: Any, **extra: Any) -> dict[str, Any]:
    return {"ts": ts if isinstance(ts, str) else ts.isoformat(), "value": value, **extra}


def stored(db: str) -> pd.DataFrame:
    with Store(db) as store:
        return store.readings(Scope.everything())


def utc(stamps: pd.DatetimeIndex) -> list[str]:
    return list(stamps.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))


def test_hundred_thousand_points_with_bad_messages_mixed_in(subscribers, publisher, db: str, prefix: str) -> None:
    subscriber = subscribers()
    meters, quarters, backlog, per_message = 20, 5000, 4900, 100
    stamps = pd.date_range(START, periods=quarters, freq=QUARTER)
    rng = np.random.default_rng(20250101)
    # Cumulative registers: a starting reading plus 0-50 kWh per quarter hour, to two decimals.
    values = np.round(1000.0 * np.arange(1, meters + 1)[:, None]
                      + np.cumsum(rng.uniform(0, 50, (meters, quarters)), axis=1), 2)
    names = [f"M{m + 1:02d}" for m in range(meters)]
    owner = {name: ENTERPRISES[m % len(ENTERPRISES)] for m, name in enumerate(names)}
    messages: list[tuple[str, bytes]] = []
    # An edge device catching up: the first 4900 quarter hours of each meter as lists of 100 points (+08:00) …
    for m, name in enumerate(names):
        for start in range(0, backlog, per_message):
            items = [point(stamps[i], values[m, i]) for i in range(start, start + per_message)]
            messages.append((telemetry_topic(owner[name], name, prefix=prefix), json.dumps(items).encode()))
    # … then real time: one point per meter and quarter hour, stamped in UTC.
    for i in range(backlog, quarters):
        for m, name in enumerate(names):
            messages.append((telemetry_topic(owner[name], name, prefix=prefix),
                             json.dumps(point(stamps[i].tz_convert("UTC"), values[m, i])).encode()))

    later = pd.Timestamp("2025-03-01T00:00:00+08:00")  # after every good point: no key is shared with them
    good = telemetry_topic("GZHTZ-0001", "M01", prefix=prefix)
    malformed = [  # (topic, payload, what the kept reason says)
        (good, b'{"ts": "2025-03-01T00:00:00+08:00", "value": 1', "not JSON"),
        (good, json.dumps(point(later, None)).encode(), "no value"),
        (f"{prefix}/GZHTZ-0001", json.dumps(point(later, 1.0)).encode(), "does not match"),
        (f"{prefix}/GZHTZ-0001/M01/x", json.dumps(point(later, 1.0)).encode(), "does not match"),
        (good, b"\xff\xfe\x00", "not UTF-8"),
        (good, b"[1, 2, 3]", "item 0: is a JSON number"),
        (good, json.dumps(point(later, 1.0, enterprise_id="GZHTZ-0002")).encode(), "disagrees with the topic"),
    ]
    invalid = [  # (topic, payload, field, what the rejection reason says)
        (good, point(later, "n/a"), "value", "is not a number"),
        (good, point(later + QUARTER, -5.0), "value", "is negative"),
        (good, point("2025-03-01T00:07:00+08:00", 10.0), "ts", "not on the 15-minute grid"),
        (good, point("2099-01-01T00:00:00+08:00", 10.0), "ts", "in the future"),
        (good, point(later + 2 * QUARTER, 10.0, unit="m3"), "unit", "does not measure electricity"),
        (telemetry_topic("NOPE-9", "M99", prefix=prefix), point(later, 1.0), "enterprise_id", "unknown enterprise"),
    ]
    step = len(messages) // (len(malformed) + len(invalid) + 1)
    for k, extra in enumerate([(t, p) for t, p, _ in malformed] + [(t, json.dumps(p).encode()) for t, p, *_ in
                                                                   invalid], 1):
        messages.insert(k * step, extra)

    publish(publisher, messages, subscriber)
    expected_points = meters * quarters + len(invalid)
    wait_for(settled(subscriber, expected_points), "every point to be stored or rejected", subscriber)
    wait_for(lambda: subscriber.stats()["malformed"] == len(malformed), "the malformed messages", subscriber)
    stats = subscriber.stats()
    assert stats["running"] and stats["connected"]
    assert stats["received"] == len(messages)
    assert stats["points"] == expected_points
    assert stats["stored"] == {"accepted": meters * quarters, "unchanged": 0, "revised": 0,
                               "rejected": len(invalid), "repeated": 0}
    assert stats["batches"] < len(messages) / 10  # batched, not one transaction per message or point

    readings = stored(db)
    assert len(readings) == meters * quarters
    assert readings.groupby("meter_id").size().to_dict() == dict.fromkeys(names, quarters)
    for m, name in enumerate(names):
        meter = readings[readings["meter_id"] == name]
        assert meter["ts"].tolist() == utc(stamps)
        np.testing.assert_array_equal(meter["value"].to_numpy(), values[m])  # exactly what was sent
        assert set(meter["enterprise_id"]) == {owner[name]}
        assert set(meter["kind"]) == {"cumulative"} and set(meter["unit"]) == {"kWh"}

    with Store(db) as store:
        kept = store.malformed_messages(limit=100)
    assert len(kept) == len(malformed)
    for topic_, _, reason in malformed:
        assert any(k["topic"] == topic_ and reason in k["reason"] for k in kept), reason

    rejections = stats["recent_rejections"]
    assert len(rejections) == len(invalid)
    for topic_, _, field_, reason in invalid:
        assert any(r["topic"] == topic_ and r["field"] == field_ and reason in r["reason"] for r in rejections), reason


def test_backlog_list_is_stored_and_its_bad_items_kept(subscribers, publisher, db: str, prefix: str) -> None:
    subscriber = subscribers()
    day = pd.date_range(START, periods=96, freq=QUARTER)  # one day of quarter hours
    items: list[Any] = [point(ts, 500.0 + 2.5 * i, kind="cumulative", unit="kWh", carrier="电力")
                        for i, ts in enumerate(day)]
    items.insert(10, {"ts": "2025-01-02T00:00:00+08:00"})  # no value: kept as malformed, the rest taken
    publish(publisher, [(telemetry_topic("GZHTZ-0002", "M07", prefix=prefix), json.dumps(items).encode())])
    wait_for(settled(subscriber, 96), "the backlog", subscriber)
    wait_for(lambda: subscriber.stats()["batches"] == 1, "the batch to be written", subscriber)
    readings = stored(db)
    assert readings["ts"].tolist() == utc(day)
    assert readings["value"].tolist() == [500.0 + 2.5 * i for i in range(96)]
    assert set(readings["carrier"]) == {"electricity"}  # 电力 resolved by the catalogue
    with Store(db) as store:
        (kept,) = store.malformed_messages()
    assert kept["reason"].startswith("item 10: no value") and "the other 96 points" in kept["reason"]


def test_redelivery_and_repeats_change_nothing_and_corrections_are_revisions(subscribers, publisher, db: str,
                                                                            prefix: str) -> None:
    subscriber = subscribers(batch_size=10)
    meter = telemetry_topic("GZHTZ-0003", "M11", prefix=prefix)
    stamps = pd.date_range(START, periods=13, freq=QUARTER)
    ten = json.dumps([point(ts, 100.0 + i) for i, ts in enumerate(stamps[:10])]).encode()

    publish(publisher, [(meter, ten)])
    wait_for(settled(subscriber, 10), "the first ten points", subscriber)
    before = stored(db)

    publish(publisher, [(meter, ten)])  # the same message again, as a QoS 1 redelivery would bring it
    wait_for(settled(subscriber, 20), "the repeated message", subscriber)
    pd.testing.assert_frame_equal(stored(db), before)

    # One message holding a new point twice (an edge device's double send), and a new point with a correction.
    publish(publisher, [(meter, json.dumps([point(stamps[10], 110.0), point(stamps[10], 110.0),
                                            point(stamps[11], 111.0), point(stamps[11], 111.5)]).encode())])
    wait_for(settled(subscriber, 24), "the repeats and the correction", subscriber)
    publish(publisher, [(meter, json.dumps(point(stamps[3], 103.25)).encode())])  # a later correction
    wait_for(settled(subscriber, 25), "the correction of a stored point", subscriber)

    assert subscriber.stats()["stored"] == {"accepted": 12, "unchanged": 10, "revised": 2, "rejected": 0,
                                            "repeated": 1}
    readings = stored(db).set_index("ts")["value"]
    assert len(readings) == 12
    assert readings[utc(stamps[[10, 11, 3]])].tolist() == [110.0, 111.5, 103.25]
    with Store(db) as store:
        revisions = store.audit_entries(Scope.everything(), action="revise")
    assert sorted(entry["entity_key"] for entry in revisions) == sorted(f"M11|{ts}" for ts in utc(stamps[[3, 11]]))


def test_a_restarted_subscriber_loses_nothing(subscribers, publisher, db: str, prefix: str) -> None:
    client_id = f"carbon-test-{uuid.uuid4().hex}"
    first = subscribers(client_id=client_id)
    stamps = pd.date_range(START, periods=600, freq=QUARTER)
    meter = telemetry_topic("GZHTZ-0001", "M03", prefix=prefix)
    messages = [(meter, json.dumps(point(ts, 10.0 * i)).encode()) for i, ts in enumerate(stamps)]

    for topic_, payload in messages[:300]:
        publisher.publish(topic_, payload, qos=1)
    wait_for(lambda: first.stats()["received"] >= 100, "the first messages", first)
    first.stop()  # mid-stream: part of the first 300 is still on its way
    publish(publisher, messages[300:])  # while nobody listens: the broker keeps them in the session
    second = subscribers(client_id=client_id)
    wait_for(lambda: len(stored(db)) == 600, "all 600 points after the restart", second)

    readings = stored(db)
    assert readings["ts"].tolist() == utc(stamps)
    assert readings["value"].tolist() == [10.0 * i for i in range(600)]
    accepted = first.stats()["stored"]["accepted"] + second.stats()["stored"]["accepted"]
    assert accepted == 600  # each point stored once; a redelivered one would count as unchanged
    assert first.stats()["stored"]["rejected"] == second.stats()["stored"]["rejected"] == 0


class Proxy:
    """A TCP relay to the broker whose connections the test can cut, as a broker restart or a network fault would."""

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((HOST, PORT))
            self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for end in (source, target):
            end.close()

    def cut(self) -> None:
        for end in self.sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        self.sockets = []

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_reconnects_after_losing_the_broker_and_resumes_the_session(subscribers, publisher, db: str,
                                                                    prefix: str) -> None:
    proxy = Proxy()
    subscriber = subscribers(port=proxy.port)
    try:
        stamps = pd.date_range(START, periods=200, freq=QUARTER)
        meter = telemetry_topic("GZHTZ-0001", "M06", prefix=prefix)
        messages = [(meter, json.dumps(point(ts, float(i))).encode()) for i, ts in enumerate(stamps)]
        publish(publisher, messages[:100], subscriber)
        wait_for(settled(subscriber, 100), "the points before the fault", subscriber)
        proxy.cut()
        wait_for(lambda: not subscriber.stats()["connected"], "the subscriber to notice", subscriber)
        publish(publisher, messages[100:])  # while the subscriber is cut off: kept in its session
        wait_for(settled(subscriber, 200), "the points sent during the fault", subscriber)
        stats = subscriber.stats()
        assert stats["reconnects"] >= 1 and "lost the broker" in stats["last_error"]
        assert stats["connected"] and stats["stored"]["accepted"] == 200
        assert stored(db)["value"].tolist() == [float(i) for i in range(200)]
    finally:
        subscriber.stop()
        proxy.close()


def test_stop_flushes_what_is_buffered(subscribers, publisher, db: str, prefix: str) -> None:
    subscriber = subscribers(batch_size=1_000_000, flush_seconds=3600)
    stamps = pd.date_range(START, periods=50, freq=QUARTER)
    meter = telemetry_topic("GZHTZ-0004", "M20", prefix=prefix)
    publish(publisher, [(meter, json.dumps(point(ts, float(i))).encode()) for i, ts in enumerate(stamps)])
    publish(publisher, [(meter, b"not json")])
    wait_for(lambda: subscriber.stats()["buffered"] == 50 and subscriber.stats()["malformed"] == 1,
             "the points to reach the writer", subscriber)
    assert subscriber.stats()["batches"] == 0 and len(stored(db)) == 0  # nothing is due yet

    final = subscriber.stop()
    assert final["running"] is False and final["batches"] == 1 and final["unsaved"] == 0
    assert stored(db)["value"].tolist() == [float(i) for i in range(50)]
    with Store(db) as store:
        assert store.count_malformed_messages() == 1


def test_run_forever_serves_and_reports_until_stopped(broker, publisher, db: str, prefix: str) -> None:
    subscriber = TelemetrySubscriber(db, host=HOST, port=PORT, prefix=prefix, flush_seconds=0.2,
                                     client_id=f"carbon-test-{uuid.uuid4().hex}", session_expiry=300)
    reports: list[dict[str, Any]] = []
    final: dict[str, Any] = {}
    serving = threading.Thread(target=lambda: final.update(subscriber.run_forever(report=reports.append,
                                                                                  report_every=0.05)))
    serving.start()
    try:
        wait_for(lambda: subscriber.stats()["subscribed"], "the subscription")
        publish(publisher, [(telemetry_topic("GZHTZ-0001", "M02", prefix=prefix),
                             json.dumps(point(START, 42.0)).encode())])
        wait_for(lambda: any(r["stored"]["accepted"] == 1 for r in reports), "a report of the stored point")
    finally:
        subscriber.stop()
        serving.join(WAIT)
        discard_session(subscriber.client_id, host=HOST, port=PORT)
    assert not serving.is_alive()
    assert final["running"] is False and final["stored"]["accepted"] == 1
    assert stored(db)["value"].tolist() == [42.0]


def test_a_full_queue_blocks_the_network_thread_and_loses_nothing(subscribers, publisher, db: str, prefix: str,
                                                                 monkeypatch) -> None:
    release = threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        release.wait(WAIT)  # the database is slow: the writer holds its first batch
        return original(*args, **kwargs)

    original = subscriber_module.ingest_readings
    monkeypatch.setattr(subscriber_module, "ingest_readings", held)
    subscriber = subscribers(batch_size=1, queue_size=2)
    stamps = pd.date_range(START, periods=30, freq=QUARTER)
    meter = telemetry_topic("GZHTZ-0001", "M05", prefix=prefix)
    publish(publisher, [(meter, json.dumps(point(ts, float(i))).encode()) for i, ts in enumerate(stamps)])
    wait_for(lambda: subscriber.stats()["stalls"] >= 1, "the queue to fill", subscriber)
    assert subscriber.stats()["received"] < 30
    release.set()
    wait_for(settled(subscriber, 30), "every point after the queue drained", subscriber)
    assert stored(db)["value"].tolist() == [float(i) for i in range(30)]


def test_database_errors_are_retried_until_the_batch_is_stored(subscribers, publisher, db: str, prefix: str,
                                                               monkeypatch) -> None:
    failures = [sqlite3.OperationalError("database is locked")] * 2

    def flaky(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return original(*args, **kwargs)

    original = subscriber_module.ingest_readings
    monkeypatch.setattr(subscriber_module, "ingest_readings", flaky)
    monkeypatch.setattr(subscriber_module, "RETRY_MIN", 0.01)
    subscriber = subscribers()
    stamps = pd.date_range(START, periods=20, freq=QUARTER)
    meter = telemetry_topic("GZHTZ-0002", "M08", prefix=prefix)
    publish(publisher, [(meter, json.dumps([point(ts, float(i)) for i, ts in enumerate(stamps)]).encode())])
    wait_for(settled(subscriber, 20), "the batch after two failures", subscriber)
    stats = subscriber.stats()
    assert stats["retries"] == 2 and stats["stored"]["accepted"] == 20 and stats["running"]
    assert "database is locked" in stats["last_error"]
    assert len(stored(db)) == 20


def test_an_unexpected_error_sets_the_batch_aside_and_the_stream_goes_on(subscribers, publisher, db: str,
                                                                        prefix: str, monkeypatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise TypeError("a bug in a later version")

    monkeypatch.setattr(subscriber_module, "ingest_readings", broken)
    monkeypatch.setattr(subscriber_module, "RETRY_MIN", 0.01)
    subscriber = subscribers()
    meter = telemetry_topic("GZHTZ-0002", "M09", prefix=prefix)
    publish(publisher, [(meter, json.dumps([point(START, 1.0), point(START + QUARTER, 2.0)]).encode())])
    wait_for(lambda: subscriber.stats()["set_aside"] == 2, "the batch to be set aside", subscriber)
    with Store(db) as store:
        wait_for(lambda: store.count_malformed_messages() == 1, "the set-aside points to be kept", subscriber)
        (kept,) = store.malformed_messages()
    assert kept["topic"] == meter and "TypeError: a bug in a later version" in kept["reason"]
    assert [p["value"] for p in json.loads(kept["payload"])] == [1.0, 2.0]
    assert subscriber.stats()["running"]


def test_stop_reports_what_a_failing_database_kept_it_from_storing(subscribers, publisher, prefix: str,
                                                                  monkeypatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(subscriber_module, "ingest_readings", down)
    monkeypatch.setattr(subscriber_module, "RETRY_MIN", 0.01)
    subscriber = subscribers()
    meter = telemetry_topic("GZHTZ-0003", "M12", prefix=prefix)
    publish(publisher, [(meter, json.dumps([point(START + i * QUARTER, float(i)) for i in range(5)]).encode())])
    wait_for(lambda: subscriber.stats()["retries"] >= 3, "retries", subscriber)
    final = subscriber.stop(timeout=0.5)
    assert final["unsaved"] == 5 and final["running"] is False
    assert "disk I/O error" in final["last_error"]


@pytest.mark.usefixtures("broker")
def test_carbon_mqtt_command_stores_and_reports(tmp_path) -> None:
    import json
    import signal
    import subprocess
    import sys

    db = new_database(tmp_path, "mqtt_cli")
    store = Store(db)
    store.upsert_region("gz-htz", name="r")
    store.add_enterprises([{"id": "E1", "name": "e", "region": "gz-htz"}])
    store.close()
    prefix = f"carbon-test/{uuid.uuid4().hex[:8]}"
    client_id = f"carbon-cli-{uuid.uuid4().hex[:8]}"
    # The session (and its subscription) exists before the command starts: what is published while the command
    # is still starting up is kept by the broker for it, however slow the start.
    early = TelemetrySubscriber(db, prefix=prefix, client_id=client_id)
    early.start(timeout=10)
    early.stop()
    process = subprocess.Popen([sys.executable, "-m", "carbon.cli", "mqtt", "--db", db, "--prefix", prefix,
                                "--client-id", client_id, "--flush-seconds", "0.2", "--json"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        publisher = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        publisher.connect(HOST, PORT)
        publisher.loop_start()
        points = [{"ts": f"2025-06-01T00:{m:02d}:00+08:00", "value": 100.0 + m, "kind": "cumulative"}
                  for m in (0, 15, 30, 45)]
        publisher.publish(telemetry_topic("E1", "M1", prefix=prefix), json.dumps(points), qos=1).wait_for_publish()
        publisher.publish(telemetry_topic("E1", "M1", prefix=prefix), b"{not json", qos=1).wait_for_publish()
        publisher.loop_stop()
        publisher.disconnect()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Store(db) as probe:
                if len(probe.readings(Scope.everything())) == 4:
                    break
            time.sleep(0.2)
        time.sleep(0.5)  # the malformed message is kept in the same flush
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
        discard_session(client_id, host=HOST, port=PORT)
    assert process.returncode == 0, err
    final = json.loads(out)
    assert final["stored"]["accepted"] == 4 and final["malformed"] == 1
    store = Store(db)
    assert store.readings(Scope.everything())["value"].tolist() == [100.0, 115.0, 130.0, 145.0]
    store.close()
