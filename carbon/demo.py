"""Load the seed region's demo dataset (``data/demo``) through the same pipeline as any submission.

Loading is idempotent: a file already loaded with the same content is skipped, so starting the demo again
neither duplicates rows nor replays the corrections as new revisions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from carbon.ingest.pipeline import ingest_file
from carbon.store import Store

__all__ = ["DEMO_DIR", "DEMO_REGION", "load_demo"]

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
DEMO_REGION = "gz-htz"

Progress = Callable[[str, int], None]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _files(folder: Path) -> list[tuple[str, Path]]:
    """The data files in loading order: consumption by year, then corrections, then meter readings."""
    ordered = sorted((folder / "consumption").glob("*.csv"))
    ordered += sorted(folder.glob("corrections-*.csv"))
    ordered += sorted((folder / "readings").glob("*.csv"))
    return [(str(path.relative_to(folder)), path) for path in ordered]


def load_demo(store: Store, folder: Path = DEMO_DIR, *, progress: Progress | None = None) -> dict[str, Any]:
    """Register the demo region, its statistics and enterprises, and ingest its data files.

    Parameters
    ----------
    store : Store
    folder : Path
        The dataset (``region.json``, ``enterprises.csv``, ``consumption/``, ``corrections-*.csv``,
        ``readings/``).
    progress : callable, optional
        Called with (file, rows) as each chunk is stored.

    Returns
    -------
    dict
        The region code, enterprises registered, and per file its counts or ``"skipped": "already loaded"``.
    """
    if not (folder / "region.json").exists():
        raise FileNotFoundError(f"no demo dataset in {folder}; run `python data/generate_demo.py` in the "
                                "repository (the dataset is generated deterministically)")
    region = json.loads((folder / "region.json").read_text(encoding="utf-8"))
    targets = {key: (int(value) if isinstance(value, bool) else value)
               for key, value in region.get("targets", {}).items()}
    store.upsert_region(region["code"], name=region["name"], name_en=region.get("name_en"),
                        parent=region.get("parent"), grid_region=region.get("grid_region"), **targets)
    for row in region.get("statistics", []):
        values = {key: row.get(key) for key in ("gdp_current", "gdp_constant", "energy_total_tce", "feedstock_tce",
                                                "renewable_tce", "co2_total_t")}
        store.put_statistics(region["code"], int(row["year"]), sources=row.get("sources"),
                             **{key: value for key, value in values.items() if value is not None})
    enterprises = pd.read_csv(folder / "enterprises.csv", dtype=str, keep_default_na=False)
    registered = store.add_enterprises(enterprises.replace({"": None}).to_dict("records"))

    loaded = store.loaded_sources(prefix="demo/")
    files: dict[str, Any] = {}
    for name, path in _files(folder):
        source = f"demo/{name}#{_digest(path)}"
        if source in loaded:
            files[name] = {"skipped": "already loaded"}
            continue
        summary = ingest_file(store, path, actor="demo", source=source, confirm=True,
                              reason="the demo dataset's own corrections",
                              progress=(lambda rows, name=name: progress(name, rows)) if progress else None)
        files[name] = summary.counts
    return {"region": region["code"], "enterprises_registered": registered, "files": files,
            "synthetic": region.get("synthetic")}
