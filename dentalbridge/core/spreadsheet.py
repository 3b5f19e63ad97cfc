"""The one way the platform writes CSV: every cell neutralised against formula injection.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or their full-width forms, which some
spreadsheet software reads the same way), a tab or a carriage return is a formula when the file is
opened in a spreadsheet (``=cmd|' /C calc'!A0``). The values come from people (a reason, a user
agent, a sub-processor's name typed by the DPO), so each such cell gets a leading apostrophe,
which spreadsheets show as text and do not evaluate (OWASP's advice for CSV injection).
"""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: object) -> str:
    """``value`` as the text of one cell, never starting a formula (None is an empty cell)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document: the header, then the rows, every cell through ``csv_cell``."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
    return out.getvalue()
