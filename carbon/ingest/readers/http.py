"""Pull consumption records from an enterprise's HTTP JSON endpoint.

:func:`get_json` fetches one URL with retries and parses the body like
:func:`carbon.ingest.readers.jsonfile.read_json` (a list of records, or ``{"enterprise_id": ..., "records": [...]}``)
into canonical frames, through the same :func:`~carbon.ingest.readers.jsonfile.parse_json`.
:class:`HttpSource` is the stored description of such an endpoint.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import pandas as pd

from carbon.errors import CarbonError
from carbon.ingest.readers.columns import UnreadableFile
from carbon.ingest.readers.jsonfile import parse_json

__all__ = ["HttpSource", "SourceUnavailable", "get_json"]

# Transient answers: worth another attempt after a pause.
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
# A server asking to wait longer than this gets this long: a scheduled pull must not stall for an hour.
MAX_RETRY_AFTER = 30.0  # [s]


class SourceUnavailable(CarbonError, ConnectionError):
    """An HTTP source did not answer usefully within its attempts."""


@dataclass
class HttpSource:
    """An enterprise's HTTP JSON endpoint, as stored and passed to :func:`get_json`.

    Attributes
    ----------
    name : str
        A name a person recognises (``"GZHTZ-0001 metering API"``).
    url : str
        The endpoint; it answers GET with a list of records or an object with ``records``.
    enterprise_id : str, optional
        Fills the records that carry no enterprise of their own.
    headers, params : dict
        Sent with every request (an ``Authorization`` header, a ``month`` parameter …).
    timeout : float
        Per-request timeout [s].
    retries : int
        Attempts after the first one.
    """

    name: str
    url: str
    enterprise_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    retries: int = 3

    def to_dict(self) -> dict[str, Any]:
        """Plain values, to store."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> HttpSource:
        """The source stored by :meth:`to_dict`; unknown keys are an error, so a typo does not go unnoticed."""
        return cls(**values)

    def get(self, *, client: httpx.Client | None = None) -> Iterator[pd.DataFrame]:
        """Fetch and parse the source's records (see :func:`get_json`)."""
        return get_json(self.url, timeout=self.timeout, retries=self.retries, headers=self.headers,
                        params=self.params, client=client, enterprise_id=self.enterprise_id)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _wait(attempt: int, backoff: float, response: httpx.Response | None, max_wait: float) -> float:
    """Pause before the next attempt [s]: exponential backoff, or the server's Retry-After, capped."""
    advised = _retry_after(response) if response is not None else None
    return min(advised if advised is not None else backoff * 2 ** (attempt - 1), max_wait)


def _describe(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return f"HTTP {response.status_code} {response.reason_phrase}" + (f": {text[:200]}" if text else "")


def get_json(url: str, *, timeout: float = 10.0, retries: int = 3, backoff: float = 0.5,
             headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None,
             client: httpx.Client | None = None, enterprise_id: str | None = None,
             max_wait: float = MAX_RETRY_AFTER) -> Iterator[pd.DataFrame]:
    """Fetch consumption records from an HTTP JSON endpoint into canonical frames.

    Connection errors, timeouts, 5xx and 429 answers are retried after ``backoff * 2**(attempt - 1)``
    seconds, or after the server's ``Retry-After`` when it sends one; the wait is capped at ``max_wait``.
    Other 4xx answers fail at once: asking again would not help.

    Parameters
    ----------
    url : str
        The endpoint (GET).
    timeout : float
        Connect and read timeout of each attempt [s].
    retries : int
        Attempts after the first one (``retries=3``: up to four requests).
    backoff : float
        First pause [s]; doubled at each retry.
    headers, params : mapping, optional
        Sent with the request.
    client : httpx.Client, optional
        Used as it is (and left open); by default a client is made for the call.
    enterprise_id : str, optional
        Fills the records that carry no enterprise of their own and no object-level one.
    max_wait : float
        Longest pause between attempts [s].

    Returns
    -------
    iterator of DataFrame
        Canonical chunks; ``row`` is the index of the record in the body's list.

    Raises
    ------
    SourceUnavailable
        After the last attempt, or at once for a 4xx other than 429; the message names the URL, the number
        of attempts and the last status or error.
    UnreadableFile
        The body is not JSON, or not a list of records / an object with ``records``.
    """
    own = client is None
    http_client = client or httpx.Client(timeout=httpx.Timeout(timeout))
    try:
        response = _fetch(http_client, url, timeout=timeout, retries=retries, backoff=backoff, headers=headers,
                          params=params, max_wait=max_wait)
    finally:
        if own:
            http_client.close()
    try:
        document = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UnreadableFile(f"{url} did not answer with JSON ({response.headers.get('content-type', 'no type')}): "
                             f"{error}") from error
    return parse_json(document, enterprise_id=enterprise_id, source=url)


def _fetch(http_client: httpx.Client, url: str, *, timeout: float, retries: int, backoff: float,
           headers: Mapping[str, str] | None, params: Mapping[str, str] | None, max_wait: float) -> httpx.Response:
    """The first 2xx/3xx answer within ``retries + 1`` attempts."""
    attempts = max(0, retries) + 1
    last = "no attempt made"
    for attempt in range(1, attempts + 1):
        response: httpx.Response | None = None
        try:
            response = http_client.get(url, headers=dict(headers or {}), params=dict(params or {}), timeout=timeout)
        except httpx.TransportError as error:  # refused, reset, connect or read timeout
            last = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        else:
            if response.status_code < 400:
                return response
            last = _describe(response)
            if response.status_code not in RETRY_STATUS:
                raise SourceUnavailable(f"{url}: {last} after {attempt} attempt{'s' * (attempt > 1)} "
                                        "(not retried: check the URL, the token and the parameters)")
        if attempt < attempts:
            time.sleep(_wait(attempt, backoff, response, max_wait))
    raise SourceUnavailable(f"{url}: unavailable after {attempts} attempt{'s' * (attempts > 1)}; last: {last}")
