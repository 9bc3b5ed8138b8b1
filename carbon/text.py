"""Text folding: the one rule by which names typed by people are matched against catalogues."""

from __future__ import annotations

import unicodedata

__all__ = ["fold"]


def fold(text: object) -> str:
    """Fold width, case, white space and underscores, so that '企业 编号', 'Enterprise_ID', 'ＬＰＧ' and
    'L P G' match their catalogue spelling.

    Examples
    --------
    >>> fold("Ｅnterprise_ ID"), fold("L P G")
    ('enterpriseid', 'lpg')
    """
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold().replace("_", "")
