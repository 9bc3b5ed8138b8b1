"""The batch content digest hashes rows the same way whatever their columns' types and however many there are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carbon.audit import CONSUMPTION_CONTENT, READING_CONTENT, ContentDigest, _normalised, _row_hashes


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


@pytest.mark.parametrize("n", [1, 5, 3000])
@pytest.mark.parametrize("variant", ["text", "categorical", "categorical with missing", "missing column",
                                     "quantity as text"])
def test_row_hashes_are_pandas_hashes_of_the_normalised_content(n: int, variant: str) -> None:
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
    assert np.array_equal(_row_hashes(frame, CONSUMPTION_CONTENT), _reference(frame, CONSUMPTION_CONTENT))


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
