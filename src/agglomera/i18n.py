r"""User-facing labels in English and Chinese (zh-CN).

Every text a user reads in a report, the dashboard or the CLI tables is looked up here by
a stable key (``section.maps``, ``common.region`` ...). The labels live in one data file,
``agglomera/data/i18n/labels.csv`` with the columns ``key,en,zh``; add a row there to add
a label. A key that is not in the file comes back as the key itself, with a logged
warning, so a missing translation is visible but never breaks a page.

Examples
--------
>>> label("common.region", "en")
'Region'
>>> label("common.region", "zh")
'地区'
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from importlib import resources

from agglomera.errors import AgglomeraError

__all__ = ["LANGUAGES", "label", "labels"]

LANGUAGES: tuple[str, ...] = ("en", "zh")

logger = logging.getLogger(__name__)

_ALIASES = {"en": "en", "en-us": "en", "en-gb": "en", "english": "en",
            "zh": "zh", "zh-cn": "zh", "zh-hans": "zh", "cn": "zh", "chinese": "zh"}


def _language(lang: str) -> str:
    key = str(lang).strip().lower().replace("_", "-")
    if key not in _ALIASES:
        raise AgglomeraError(
            f"language must be one of {', '.join(repr(x) for x in LANGUAGES)} "
            f"(or 'zh-CN'); got {lang!r}")
    return _ALIASES[key]


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    text = (resources.files("agglomera.data.i18n").joinpath("labels.csv")
            .read_text(encoding="utf-8"))
    table: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}
    rows = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("key", *LANGUAGES) if c not in (rows.fieldnames or [])]
    if missing:
        raise AgglomeraError(f"labels.csv must have the columns key,en,zh; "
                             f"missing {', '.join(missing)}")
    for line, row in enumerate(rows, start=2):
        key = (row["key"] or "").strip()
        if not key:
            continue
        if key in table["en"]:
            raise AgglomeraError(f"labels.csv line {line}: key {key!r} appears twice")
        for lang in LANGUAGES:
            text_ = (row[lang] or "").strip()
            if text_:
                table[lang][key] = text_
    return table


def label(key: str, lang: str = "en") -> str:
    r"""The text of one label in one language.

    Parameters
    ----------
    key : str
        Label key as written in ``labels.csv`` (e.g. ``"section.maps"``).
    lang : {"en", "zh"}
        Language; ``"zh-CN"`` and ``"en-US"`` are accepted too.

    Returns
    -------
    str
        The label; the key itself when the file has no text for it in that language
        (a warning is logged on logger ``agglomera.i18n``).

    Raises
    ------
    AgglomeraError
        When ``lang`` is not a supported language.

    Examples
    --------
    >>> label("section.methods", "zh")
    '方法与数据来源'
    >>> label("no.such.key", "en")
    'no.such.key'
    """
    code = _language(lang)
    text = _table()[code].get(key)
    if text is None:
        logger.warning("no %s label for key %r; showing the key", code, key)
        return key
    return text


def labels(lang: str = "en") -> dict[str, str]:
    r"""All labels of one language, key -> text (a new dict on every call).

    Parameters
    ----------
    lang : {"en", "zh"}
        Language.

    Returns
    -------
    dict of str to str
        Every key of ``labels.csv`` with its text in ``lang``; a key without text in
        ``lang`` maps to itself (and is logged as a warning).

    Examples
    --------
    >>> labels("zh")["common.year"]
    '年份'
    """
    code = _language(lang)
    table = _table()
    out = {}
    for key in table["en"].keys() | table["zh"].keys():
        text = table[code].get(key)
        if text is None:
            logger.warning("no %s label for key %r; showing the key", code, key)
            text = key
        out[key] = text
    return dict(sorted(out.items()))
