"""Hostile JSON answered with a 400 problem before any view or database sees it.

Python's JSON decoder recurses, so a body of ten thousand brackets would end in
a RecursionError (a 500); a lone UTF-16 surrogate (``"\\ud800"``) decodes into
a string that no database can store. Both are refused here, naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from shared.http.problems import Problem

MAX_DEPTH = 32


class UnreadableJson(Problem):
    status, slug, title = 400, "unreadable-json", "The JSON body cannot be read"


def check_json_body(raw: bytes) -> None:
    if not raw:
        return
    try:
        document = json.loads(raw)
    except RecursionError:
        raise UnreadableJson(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        return  # malformed JSON: the view's parser names it as a 400 already

    problem_field = _first_bad_field(document)
    if problem_field is not None:
        field, message = problem_field
        raise UnreadableJson(
            message,
            errors=[
                {"field": field or "_body", "location": "json", "message": message}
            ],
        )


def _first_bad_field(document: Any) -> tuple[str, str] | None:
    stack: list[tuple[str, Any, int]] = [("", document, 1)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return path, f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if not _encodable(str(key)):
                    return path, "a key holds an unpaired UTF-16 surrogate"
                stack.append((child, item, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((f"{path}[{index}]", item, depth + 1))
        elif isinstance(value, str) and not _encodable(value):
            return path, "holds an unpaired UTF-16 surrogate, which is not text"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
