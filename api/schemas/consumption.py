"""Submissions: monthly consumption records, meter readings, and what an ingest did with them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import MAX_RECORDS

__all__ = [
    "ConsumptionExportRow", "ConsumptionIn", "ConsumptionRecord", "IngestOut", "ReadingIn", "ReadingsIn", "Rejection",
]


class ConsumptionRecord(BaseModel):
    """One monthly figure. Values are checked by the same validation as files: a bad one is rejected with
    its index and reason, while the good records of the same request are kept."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    period: str | None = Field(default=None, max_length=32, description="YYYY-MM")
    carrier: str | None = Field(default=None, max_length=64)
    quantity: float | str | None = None
    unit: str | None = Field(default=None, max_length=64)
    purpose: str | None = Field(default=None, max_length=32, description="fuel or feedstock")
    renewable: bool | None = None
    ncv: float | str | None = None
    ncv_unit: str | None = Field(default=None, max_length=64)
    submitted_at: str | None = Field(default=None, max_length=40)


class ConsumptionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"records": [
        {"period": "2024-03", "carrier": "电力", "quantity": 120.5, "unit": "万千瓦时"}]}]})
    records: list[ConsumptionRecord] = Field(min_length=1, max_length=MAX_RECORDS)


class Rejection(BaseModel):
    index: int = Field(description="position of the record (or row of the file)")
    field: str
    reason: str
    value: str | None = None


class IngestOut(BaseModel):
    batch_id: str
    source: str
    read: int
    accepted: int = Field(description="new rows stored")
    unchanged: int = Field(description="identical to what is stored")
    revised: int = Field(description="a stored value changed")
    rejected: list[Rejection]
    rejected_count: int


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    meter_id: str | None = Field(default=None, max_length=64)
    ts: str | None = Field(default=None, max_length=40, description="ISO 8601, e.g. 2025-06-01T00:15:00+08:00")
    value: float | str | None = None
    unit: str | None = Field(default=None, max_length=32)
    carrier: str | None = Field(default=None, max_length=64)
    kind: str | None = Field(default=None, max_length=16, description="cumulative or interval")


class ReadingsIn(BaseModel):
    readings: list[ReadingIn] = Field(min_length=1, max_length=MAX_RECORDS)


# Stored consumption in the JSON form of the export: one row per month, carrier and purpose, keyed by the statistics
# form's headers (企业编号, 统计期, 能源品种, 计量单位, 消费量, 用途, … see carbon.reports.exports.CONSUMPTION_HEADERS).
ConsumptionExportRow = Annotated[dict[str, float | str | None], Field(description="a stored month, keyed by the "
                                                                                  "statistics form's headers")]
