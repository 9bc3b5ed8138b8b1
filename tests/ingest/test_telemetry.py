"""Telemetry messages without a broker: topics, payload parsing, kept payloads, repeats and corrections in a batch."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from carbon.ingest.telemetry import (
    KEPT_PAYLOAD,
    TelemetryMessage,
    ingest_steps,
    kept_payload,
    parse_telemetry,
    telemetry_topic,
)

PREFIX = "carbon/telemetry"


def topic(enterprise: str = "GZHTZ-0001", meter: str = "M01", prefix: str = PREFIX) -> str:
    return telemetry_topic(enterprise, meter, prefix=prefix)


def test_parse_one_point_takes_enterprise_and_meter_from_the_topic() -> None:
    payload = json.dumps({"ts": "2025-06-01T00:15:00+08:00", "value": 1234.5, "unit": "kWh",
                          "carrier": "electricity", "kind": "cumulative"}).encode()
    message = parse_telemetry(topic(), payload)
    assert (message.enterprise_id, message.meter_id, message.problem) == ("GZHTZ-0001", "M01", None)
    assert message.points == [("2025-06-01T00:15:00+08:00", 1234.5, "kWh", "electricity", "cumulative")]


def test_parse_list_keeps_optional_fields_empty_and_passes_odd_values_on_as_text() -> None:
    payload = json.dumps([{"ts": "2025-06-01T00:15:00", "value": 7},
                          {"ts": "2025-06-01T00:30:00", "value": "n/a", "unit": "万千瓦时"},
                          {"ts": 1748708100, "value": True}], ensure_ascii=False).encode()
    message = parse_telemetry(topic(), payload)
    assert message.problem is None
    # Text and JSON literals go on to validation, which rejects them with a reason ("is not a number").
    assert message.points == [("2025-06-01T00:15:00", 7, None, None, None),
                              ("2025-06-01T00:30:00", "n/a", "万千瓦时", None, None),
                              ("1748708100", "true", None, None, None)]


@pytest.mark.parametrize(("topic_", "payload", "expected"), [
    (f"{PREFIX}/GZHTZ-0001/M01", b"\xff\xfe{}", "not UTF-8"),
    (f"{PREFIX}/GZHTZ-0001/M01", b'{"ts": "2025-06-01T00:15', "not JSON"),
    (f"{PREFIX}/GZHTZ-0001/M01", b"42", "payload is a JSON number"),
    (f"{PREFIX}/GZHTZ-0001/M01", b'"1234.5"', "payload is a JSON string"),
    (f"{PREFIX}/GZHTZ-0001/M01", b'{"ts": "2025-06-01T00:15:00+08:00"}', "no value"),
    (f"{PREFIX}/GZHTZ-0001/M01", b'{"value": 1.0}', "no ts"),
    (f"{PREFIX}/GZHTZ-0001/M01", b'{"ts": null, "value": null}', "no ts and no value"),
    (f"{PREFIX}/GZHTZ-0001/M01", b'{"ts": "2025-06-01T00:15:00", "value": 1, "meter_id": "M02"}',
     "meter_id 'M02' disagrees with the topic"),
    (f"{PREFIX}/GZHTZ-0001/M01", b'{"ts": "2025-06-01T00:15:00", "value": 1, "enterprise_id": "GZHTZ-0002"}',
     "enterprise_id 'GZHTZ-0002' disagrees"),
    (f"{PREFIX}/GZHTZ-0001", b'{"ts": "2025-06-01T00:15:00", "value": 1}', "does not match"),
    (f"{PREFIX}/GZHTZ-0001/M01/extra", b'{"ts": "2025-06-01T00:15:00", "value": 1}', "does not match"),
    (f"{PREFIX}//M01", b'{"ts": "2025-06-01T00:15:00", "value": 1}', "does not match"),
    ("other/GZHTZ-0001/M01", b'{"ts": "2025-06-01T00:15:00", "value": 1}', "does not match"),
])
def test_parse_malformed_messages_say_why(topic_: str, payload: bytes, expected: str) -> None:
    message = parse_telemetry(topic_, payload)
    assert message.points == []
    assert expected in message.problem


def test_parse_list_takes_the_good_points_and_names_the_bad_items() -> None:
    items = [{"ts": "2025-06-01T00:15:00", "value": 1}, 5, {"ts": "2025-06-01T00:30:00"},
             {"ts": "2025-06-01T00:45:00", "value": 3}]
    message = parse_telemetry(topic(), json.dumps(items).encode())
    assert [p[0] for p in message.points] == ["2025-06-01T00:15:00", "2025-06-01T00:45:00"]
    assert message.problem == ("item 1: is a JSON number, not an object with ts and value; item 2: no value; "
                               "every point needs ts and value (the other 2 points of the message were taken)")


def test_an_empty_list_is_nothing_to_store_and_nothing_wrong() -> None:
    assert parse_telemetry(topic(), b"[]") == TelemetryMessage("GZHTZ-0001", "M01", [], None)


@pytest.mark.parametrize(("enterprise", "meter"), [("GZHTZ/0001", "M01"), ("GZHTZ-0001", "M+"), ("", "M01"),
                                                   ("GZHTZ-0001", "#")])
def test_telemetry_topic_refuses_ids_that_are_not_one_topic_level(enterprise: str, meter: str) -> None:
    with pytest.raises(ValueError, match="cannot be a topic level"):
        telemetry_topic(enterprise, meter)


def test_kept_payload_is_cut_and_escaped() -> None:
    kept = kept_payload(b"\xff" + b"x" * (KEPT_PAYLOAD + 10))
    # One undecodable byte becomes the 4 characters \xff, so 4 + 4106 - 4096 = 14 characters are cut.
    assert kept.startswith("\\xffxxx") and kept.endswith("… (14 more characters)")


def test_exact_repeats_are_dropped_and_corrections_go_in_order() -> None:
    frame = pd.DataFrame({
        "row": [1, 2, 3, 4, 5], "meter_id": ["M01"] * 5, "enterprise_id": ["E"] * 5,
        "ts": ["t1", "t1", "t2", "t1", "t1"], "value": [1.0, 1.0, 2.0, 1.5, 1.0],
        "unit": [None] * 5, "carrier": [None] * 5, "kind": [None] * 5,
    })
    steps = ingest_steps(frame)
    # Row 2 repeats row 1; row 4 corrects t1 (second step); row 5 goes back to the first value (third step),
    # which must be stored last, so it is no repeat although row 1 holds the same value.
    assert [step["row"].tolist() for step in steps] == [[1, 3], [4], [5]]


def test_the_subscriber_module_still_offers_the_parsing_names() -> None:
    import carbon.ingest.mqtt as subscriber_module
    import carbon.ingest.telemetry as telemetry

    for name in ("DEFAULT_PREFIX", "POINT_FIELDS", "TelemetryMessage", "parse_telemetry", "telemetry_topic"):
        assert getattr(subscriber_module, name) is getattr(telemetry, name)
