"""JSON-ready values from frames: the column-wise ``records`` gives what the row-wise conversion gave, value for
value and type for type."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from carbon.jsonable import plain, records


def row_wise(frame: pd.DataFrame) -> list[dict]:
    return [{key: plain(value) for key, value in row.items()} for row in frame.astype(object).to_dict("records")]


FRAMES = {
    "mixed": pd.DataFrame({
        "float": [1.5, np.nan, np.inf, -0.0], "int": [1, 2, 3, 4], "text": ["x", None, np.nan, "y"],
        "flag": [True, False, True, False], "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
        "when": pd.to_datetime(["2024-01-01", None, "2024-01-03", "2024-01-04"]),
        "category": pd.Categorical(["a", "b", None, "a"]), "single": np.array([1.5, 2, 3, 4], dtype=np.float32),
        "object": [np.float64(1.0), None, 2, "s"], "string": pd.array(["a", None, "c", "d"], dtype="string")}),
    "numpy scalars": pd.DataFrame({"o": [np.int64(3), np.float64(np.nan), np.bool_(True), None, pd.NA, np.str_("z")]}),
    "no columns": pd.DataFrame(index=[0, 1]),
    "no rows": pd.DataFrame({"x": []}),
    "labels not text": pd.DataFrame({1: [1.0], 2: ["a"]}, index=[7]),
}


@pytest.mark.parametrize("name", sorted(FRAMES))
def test_records_match_the_row_wise_conversion(name: str) -> None:
    frame = FRAMES[name]
    made, expected = records(frame), row_wise(frame)
    assert json.dumps(made, default=repr) == json.dumps(expected, default=repr)
    assert [[type(v) for v in row.values()] for row in made] == [[type(v) for v in row.values()] for row in expected]


def test_records_are_strict_json() -> None:
    made = records(FRAMES["mixed"])
    assert made[2]["float"] is None and made[1]["text"] is None and made[0]["int"] == 1
    json.dumps(made[:1] + made[2:], allow_nan=False, default=str)
