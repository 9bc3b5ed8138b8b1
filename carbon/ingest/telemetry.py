"""Meter telemetry messages: topics, payloads, and the batches of points they make (pure: no broker, no threads).

Key energy-consuming units send their meters' 15-minute readings as they are taken (GB/T 38692-2020 online
monitoring). Each message goes to ``{prefix}/{enterprise}/{meter}`` and carries one point or a list of points
(an edge device catching up on a backlog)::

    {"ts": "2025-06-01T00:15:00+08:00", "value": 1234.5, "unit": "kWh", "carrier": "electricity",
     "kind": "cumulative"}

``unit``, ``carrier`` and ``kind`` are optional (kWh, electricity, cumulative register). Enterprise and meter
come from the topic; a point that names its own ``enterprise_id`` or ``meter_id`` must agree with it.

There are two kinds of bad input:

* *malformed* messages cannot be read as readings at all (not UTF-8, not JSON, not an object or a list of
  objects, a topic that is not ``{prefix}/{enterprise}/{meter}``, a point without ``ts`` or ``value``, a point
  naming another enterprise or meter than its topic). :func:`parse_telemetry` says why; the subscriber keeps
  them in the database with that reason (:meth:`carbon.store.Store.add_malformed_messages`); the readable
  points of a list are still taken.
* *invalid* points are readable but wrong (negative value, off-grid or future timestamp, non-numeric value,
  unknown enterprise, a unit that does not fit the carrier …): the pipeline rejects them with their reason,
  kept with the batch like any other rejection.

:class:`PointBuffer` gathers parsed points for the next batch; :meth:`PointBuffer.take` turns them into a
:class:`PendingBatch` of frames for :func:`carbon.ingest.pipeline.ingest_readings`, with exact repeats dropped
and differing values for one point in arrival order (:func:`ingest_steps`): a redelivered point is no in-batch
duplicate, and of two values sent for one point the later is stored last, as a revision. The subscriber that
receives the messages and writes the batches is :mod:`carbon.ingest.mqtt`.

References
----------
GB/T 38692-2020 用能单位能耗在线监测技术要求 (15-minute sampling; FACTS §6).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from carbon.errors import InvalidInput

__all__ = [
    "DEFAULT_PREFIX", "KEPT_PAYLOAD", "POINT_FIELDS", "PendingBatch", "PointBuffer", "TelemetryMessage",
    "check_prefix", "ingest_steps", "kept_payload", "parse_telemetry", "telemetry_topic",
]

DEFAULT_PREFIX = "carbon/telemetry"
# The fields of a parsed point, in order; enterprise and meter come from the topic.
POINT_FIELDS: tuple[str, ...] = ("ts", "value", "unit", "carrier", "kind")
KEPT_PAYLOAD = 4_096  # [characters] of a malformed payload kept for inspection
LISTED_PROBLEMS = 5  # problems of a list payload named in its malformed reason

_WILDCARDS = ("+", "#")


# -- topics and payloads --------------------------------------------------------------------------------------

def telemetry_topic(enterprise_id: str, meter_id: str, *, prefix: str = DEFAULT_PREFIX) -> str:
    """The topic a meter publishes to: ``{prefix}/{enterprise_id}/{meter_id}``.

    Raises
    ------
    InvalidInput
        When an id is empty or holds ``/``, ``+`` or ``#``, which MQTT topics cannot carry as a name.
    """
    for name, value in (("enterprise_id", enterprise_id), ("meter_id", meter_id)):
        if not value or "/" in value or any(w in value for w in _WILDCARDS):
            raise InvalidInput(f"{name} {value!r} cannot be a topic level: it must be non-empty, without / + #")
    return f"{check_prefix(prefix)}/{enterprise_id}/{meter_id}"


def check_prefix(prefix: str) -> str:
    """The topic prefix without outer slashes; InvalidInput for a wildcard or a ``$`` (system) topic."""
    prefix = prefix.strip("/")
    if not prefix or any(w in prefix for w in _WILDCARDS) or prefix.startswith("$"):
        raise InvalidInput(f"topic prefix {prefix!r} must be a plain topic (no + or #, not starting with $)")
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


def kept_payload(payload: bytes) -> str:
    """The payload as text for inspection: undecodable bytes escaped, long payloads cut."""
    text = payload.decode("utf-8", errors="backslashreplace")
    if len(text) > KEPT_PAYLOAD:
        text = f"{text[:KEPT_PAYLOAD]}… ({len(text) - KEPT_PAYLOAD} more characters)"
    return text


# -- batches ------------------------------------------------------------------------------------------------

_COLUMNS = ("meter_id", "enterprise_id", *POINT_FIELDS)


class PointBuffer:
    """Points and malformed messages gathered for the next batch, column by column."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        self.topics: list[str] = []
        self.malformed: list[dict[str, Any]] = []

    @property
    def points(self) -> int:
        """Points gathered so far."""
        return len(self.topics)

    def __bool__(self) -> bool:
        return bool(self.topics or self.malformed)

    def add(self, topic: str, message: TelemetryMessage, *, payload: bytes, received_at: str) -> None:
        """Take a parsed message's readable points; keep its payload (cut) with the reason when it has a problem."""
        if message.problem is not None:
            self.malformed.append({"topic": topic, "payload": kept_payload(payload), "reason": message.problem,
                                   "received_at": received_at})
        n = len(message.points)
        if not n:
            return
        self.topics.extend([topic] * n)
        self.columns["meter_id"].extend([message.meter_id] * n)
        self.columns["enterprise_id"].extend([message.enterprise_id] * n)
        for name, values in zip(POINT_FIELDS, zip(*message.points, strict=True), strict=True):
            self.columns[name].extend(values)

    def take(self) -> PendingBatch:
        """What was gathered, as a batch to write (``row`` numbers the points from 1); the buffer starts empty."""
        frame = pd.DataFrame({name: pd.Series(values, dtype=object) for name, values in self.columns.items()})
        frame.insert(0, "row", np.arange(1, len(frame) + 1))
        steps = ingest_steps(frame)
        batch = PendingBatch(frames=steps, malformed=self.malformed, topics=np.array(self.topics, dtype=object),
                             repeated=len(frame) - sum(len(step) for step in steps))
        self._reset()
        return batch


def ingest_steps(frame: pd.DataFrame) -> list[pd.DataFrame]:
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
class PendingBatch:
    """What one flush has still to write: malformed messages first, then the ingest steps in order."""

    frames: list[pd.DataFrame]
    malformed: list[dict[str, Any]]
    topics: np.ndarray  # the topic of each point, by row - 1
    repeated: int  # exact repeats dropped before validation

    @property
    def pending_points(self) -> int:
        """Points still to write."""
        return sum(len(frame) for frame in self.frames)

    def rejected_points(self, frame: pd.DataFrame, rejections: pd.DataFrame, batch_id: str) -> list[dict[str, Any]]:
        """The points of ``frame`` the pipeline rejected, with their topic: ``topic``, ``ts``, ``value``,
        ``field``, ``reason``, ``batch_id``."""
        if not len(rejections):
            return []
        rows = frame.set_index("row").loc[rejections["row"].to_numpy(dtype=int)]
        return pd.DataFrame({
            "topic": self.topics[rows.index.to_numpy() - 1], "ts": rows["ts"].to_numpy(),
            "value": rows["value"].to_numpy(), "field": rejections["field"].to_numpy(),
            "reason": rejections["reason"].to_numpy(), "batch_id": batch_id,
        }).to_dict("records")

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

