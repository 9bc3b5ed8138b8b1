"""Dated data files: ``<name>-<YYYY-MM-DD>.csv`` beside one another, the newest edition of each name wins."""

from __future__ import annotations

import hashlib
import re
from importlib.abc import Traversable
from pathlib import Path

__all__ = ["Edition", "content_version", "newest_editions"]

Edition = tuple[str, "Path | Traversable"]  # (date, file)


def newest_editions(folder: Path | Traversable, pattern: re.Pattern[str],
                    key: str | None = None) -> dict[str, Edition]:
    """The newest file of each table in ``folder``.

    Parameters
    ----------
    folder : path-like or Traversable
        The folder to look in.
    pattern : re.Pattern
        File names to consider, with a named group ``date`` (``YYYY-MM-DD``) and, when ``key`` is given, a named
        group of that name telling the tables apart.
    key : str, optional
        The group naming the table; without it every matching file is an edition of one table ``""``.

    Returns
    -------
    dict
        Table name → (date, file) of its newest edition.
    """
    chosen: dict[str, Edition] = {}
    for entry in folder.iterdir():
        match = pattern.match(entry.name)
        if match:
            name = match[key] if key else ""
            if name not in chosen or match["date"] > chosen[name][0]:
                chosen[name] = (match["date"], entry)
    return chosen


def content_version(files: dict[str, Edition]) -> tuple[str, dict[str, str]]:
    """A version for a set of editions, ``<newest date>.<8 hex digits of their content>``, and their texts.

    The version changes whenever a byte of any chosen file changes, so results stamped with it can be traced to
    exactly the tables that made them.
    """
    digest = hashlib.sha256()
    texts: dict[str, str] = {}
    for name in sorted(files):
        _date, entry = files[name]
        text = entry.read_text(encoding="utf-8")
        digest.update(entry.name.encode() + b"\0" + text.encode())
        texts[name] = text
    newest = max(date for date, _ in files.values())
    return f"{newest}.{digest.hexdigest()[:8]}", texts
