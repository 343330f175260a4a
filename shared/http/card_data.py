"""Refusing card numbers and security codes anywhere in a request body.

The API takes provider tokens and payment-method ids only. A body that holds
a Luhn-valid run of 13 to 19 digits (spaces or dashes allowed between them),
or any field named like a card number or security code, is refused before a
view runs or anything is stored. Findings name the field, never the value.
"""

from __future__ import annotations

import json
import re
from typing import Any

from shared.http.problems import Unprocessable


class CardDataRefused(Unprocessable):
    slug = "card-data-refused"
    title = "Card numbers and security codes are never accepted"


_DIGIT_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")
# UUIDs (ids we issue) can hold long digit runs split by dashes; never cards.
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# Telecom and retail identifiers that are Luhn-valid by design (IMEI, ICCID)
# or by chance (GTIN, phone numbers, SKUs): fields with these names are not
# read as card numbers. A card number put there is still refused by the
# payment service's schemas, which take tokens only.
IDENTIFIER_FIELDS = frozenset(
    {
        "gtin",
        "ean",
        "upc",
        "imei",
        "iccid",
        "msisdn",
        "phone",
        "number",
        "port_number",
        "sku",
        "code",
    }
)
FORBIDDEN_FIELDS = frozenset(
    {
        "card_number",
        "cardnumber",
        "pan",
        "primary_account_number",
        "cvc",
        "cvv",
        "cvv2",
        "cvc2",
        "security_code",
        "card_cvc",
        "card_code",
    }
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def holds_card_number(text: str) -> bool:
    """A Luhn-valid run of 13-19 digits; card numbers never start with 0."""
    for match in _DIGIT_RUN.finditer(_UUID.sub(" ", text)):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and digits[0] != "0" and luhn_valid(digits):
            return True
    return False


def _is_identifier(key: str | None) -> bool:
    if key is None:
        return False
    normalised = key.lower().replace("-", "_")
    return (
        normalised in IDENTIFIER_FIELDS
        or normalised == "id"
        or normalised.endswith("_id")
    )


def card_data_fields(value: Any, path: str = "", key: str | None = None) -> list[str]:
    """The paths of every field in a JSON value that carries card data."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            normalised = str(key).lower().replace("-", "_")
            if normalised in FORBIDDEN_FIELDS and item not in (None, ""):
                found.append(child)
                continue
            if holds_card_number(str(key)):
                found.append(path or "_schema")
                continue
            found.extend(card_data_fields(item, child, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(card_data_fields(item, f"{path}[{index}]", key))
    elif isinstance(value, str | int) and not isinstance(value, bool):
        if not _is_identifier(key) and holds_card_number(str(value)):
            found.append(path or "_body")
    return found


def card_data_in_body(raw: bytes) -> list[str]:
    """Fields with card data in a raw body; ``_body`` when it is not JSON."""
    try:
        document = json.loads(raw or b"null")
    except ValueError:
        return ["_body"] if holds_card_number(raw.decode("utf-8", "replace")) else []
    return card_data_fields(document)


def refuse_card_data(args: dict[str, str], method: str, body: bytes) -> list[str]:
    """Raise CardDataRefused naming every field (query or body) with card data.

    Every service runs this before a view, so no card number is stored, passed
    on in an event or logged anywhere on the platform; the log line names the
    fields, never the value.
    """
    fields = [(name, "query") for name in card_data_fields(args)]
    if method in ("POST", "PUT", "PATCH"):
        fields += [(name, "json") for name in card_data_in_body(body)]
    if fields:
        raise CardDataRefused(
            "send a provider token or a payment_method_id, never a card number "
            "or security code",
            errors=[
                {
                    "field": name,
                    "location": location,
                    "message": "Card numbers and security codes are refused.",
                }
                for name, location in fields
            ],
        )
    return []
