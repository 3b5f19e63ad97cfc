"""The API's JSON parser: DRF's, with a nesting limit.

A body of 100,000 ``[`` made the JSON decoder recurse until Python gave up (RecursionError, a
500). No request of the API nests deeper than a few levels, so the depth is measured before
decoding and anything deeper than ``MAX_DEPTH`` is answered 400 in the API's error shape, like
any other malformed body.
"""

import codecs
import re
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser
from rest_framework.parsers import get_encoding
from rest_framework.settings import api_settings
from rest_framework.utils import json

# Far above what any request of the API needs (an order's prescription nests about five deep),
# far below where the decoder runs out of stack.
MAX_DEPTH = 32

# A string (its brackets do not count; an unterminated one runs to the end, so that no quote is
# scanned twice) or one bracket.
_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+"?|[\[\]{}]', re.DOTALL)


def json_depth(text: str, *, limit: int = MAX_DEPTH) -> int:
    """How deep the arrays and objects of ``text`` nest, counting up to just past ``limit``
    (the rest of a too-deep body is not read)."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        piece = match.group()
        if piece in ("[", "{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif piece in ("]", "}"):
            depth -= 1
    return deepest


class JSONParser(BaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        # DRF's choice of charset, which refuses bytes-to-bytes codecs (a zip bomb in a header).
        encoding = get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if json_depth(text) > MAX_DEPTH:
            raise ParseError(
                _("JSON nested deeper than %(limit)d levels is not accepted.")
                % {"limit": MAX_DEPTH}
            )
        parse_constant = json.strict_constant if api_settings.STRICT_JSON else None
        try:
            return json.loads(text, parse_constant=parse_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
