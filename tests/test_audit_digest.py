"""The batch content digest hashes rows the same way whatever their columns' types and however many there are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carbon.audit import (
    CONSUMPTION_CONTENT,
    READING_CONTENT,
    ContentDigest,
    _list_hashes,
    _normalised,
    _row_hashes,
)
from carbon.store.sql import plain_columns


def _reference(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The definition: pandas' row hash of the normalised content columns."""
    return pd.util.hash_pandas_object(_normalised(frame, columns), index=False).to_numpy()


def _consumption(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "enterprise_id": rng.choice(["E1", "E2", "企业3"], n),
        "period": rng.choice(["2024-01", "2024-02"], n),
        "carrier": rng.choice(["electricity", "diesel"], n),
        "purpose": rng.choice(["fuel", "feedstock"], n),
        "quantity": rng.gamma(2.0, 3.0, n),
        "unit": rng.choice(["kWh", "t", "万千瓦时"], n),
        "ncv": np.where(rng.random(n) < 0.5, np.nan, rng.random(n)),
        "ncv_unit": np.where(rng.random(n) < 0.5, None, "kJ/kg").astype(object),
    })


KEYS = ["enterprise_id", "period", "carrier", "purpose", "unit"]


VARIANTS = ["text", "categorical", "categorical with missing", "missing column", "quantity as text"]


def _variant(n: int, variant: str) -> pd.DataFrame:
    frame = _consumption(n, seed=n)
    if variant == "categorical":
        frame = frame.astype({name: "category" for name in KEYS})
    elif variant == "categorical with missing":
        frame = frame.astype({name: "category" for name in [*KEYS, "ncv_unit"]})
        frame.loc[frame.index[::2], "unit"] = None
    elif variant == "missing column":
        frame = frame.drop(columns=["ncv", "ncv_unit"])
    elif variant == "quantity as text":
        frame["quantity"] = frame["quantity"].astype(str)
    return frame


@pytest.mark.parametrize("n", [1, 5, 3000])
@pytest.mark.parametrize("variant", VARIANTS)
def test_row_hashes_are_pandas_hashes_of_the_normalised_content(n: int, variant: str) -> None:
    frame = _variant(n, variant)
    assert np.array_equal(_row_hashes(frame, CONSUMPTION_CONTENT), _reference(frame, CONSUMPTION_CONTENT))


@pytest.mark.parametrize("n", [1, 5, 200])
@pytest.mark.parametrize("variant", VARIANTS)
def test_row_hashes_of_rows_as_lists_are_those_of_the_frame(n: int, variant: str) -> None:
    frame = _variant(n, variant)
    hashes = _list_hashes(plain_columns(frame), CONSUMPTION_CONTENT)
    assert hashes is not None  # the lists themselves were hashed, not the frame
    assert np.array_equal(hashes, _reference(frame, CONSUMPTION_CONTENT))
    from_lists, from_frame = ContentDigest("consumption"), ContentDigest("consumption")
    from_lists.add(frame, plain_columns(frame))
    from_frame.add(frame)
    assert from_lists == from_frame


def test_rows_as_lists_with_other_values_than_text_take_the_frame_way() -> None:
    frame = _consumption(3, seed=1).assign(unit=[1, 2, 3])
    assert _list_hashes(plain_columns(frame), CONSUMPTION_CONTENT) is None
    from_lists, from_frame = ContentDigest("consumption"), ContentDigest("consumption")
    from_lists.add(frame, plain_columns(frame))
    from_frame.add(frame)
    assert from_lists == from_frame


def test_row_hashes_of_readings_with_timestamps_and_numeric_categories() -> None:
    frame = pd.DataFrame({
        "meter_id": pd.Categorical([1, 2]),  # categories that are not text take the general path
        "ts": pd.to_datetime(["2024-01-01 00:15", "2024-01-01 00:30"], utc=True),
        "value": [1.5, np.nan], "unit": ["kWh", None], "kind": ["interval", "interval"],
    })
    assert np.array_equal(_row_hashes(frame, READING_CONTENT), _reference(frame, READING_CONTENT))


def test_digest_of_chunks_is_the_digest_of_the_whole() -> None:
    frame = _consumption(1000, seed=3).astype({name: "category" for name in KEYS})
    whole, parts = ContentDigest("consumption"), ContentDigest("consumption")
    whole.add(frame)
    for start in range(0, 1000, 7):
        parts.add(frame.iloc[start:start + 7].astype({name: str for name in KEYS}))
    assert (parts.count, parts.hexdigest) == (whole.count, whole.hexdigest)
