"""A brand pack is checked whole, and every problem is named by its path."""

import copy

import pytest
import yaml

from shared.brandpack import PackRefused, load_pack, parse_pack, validate_pack
from tests.tenant.packs import brands_dir, pack_paths

PACKS = pack_paths()


def northwind() -> dict:
    return yaml.safe_load((brands_dir() / "northwind.yaml").read_text())


def problems_of(data: dict) -> list[str]:
    return [str(p) for p in validate_pack(data)]


@pytest.mark.parametrize("path", PACKS, ids=lambda p: p.stem)
def test_the_demo_brand_packs_are_sound(path):
    assert len(PACKS) == 3
    pack = load_pack(path)

    assert pack.slug == path.stem
    assert len(pack.digest) == 64
    assert "products" in pack.sections


def test_a_broken_pack_is_refused_with_every_problem_named_by_its_path():
    data = northwind()
    data["tenant"]["currency"] = "XYZ"
    data["products"][1]["code"] = data["products"][0]["code"]
    data["products"][2]["variants"][0]["sku"] = data["products"][0]["variants"][0][
        "sku"
    ]
    data["products"][3]["variants"][0]["prices"][1]["amount"] = -100
    data["products"][9]["type"] = "tablet"
    data["rules"][1]["when"]["codes"] = ["sim-nano"]
    data["cross_sell"][0]["to"].append("device-nokia-3310")
    data["campaigns"][0]["valid"]["to"] = "2026-01-01T00:00:00Z"
    data["placements"][0]["schedule"]["to"] = "2026-11-19T00:00:00Z"
    data["placements"][1]["channel"] = "kiosk"

    problems = problems_of(data)

    print("\n" + "\n".join(problems))
    expected = [
        "tenant.currency: unknown ISO 4217 currency 'XYZ'",
        "products[1].code: duplicate product code 'device-iphone-16' "
        "(first at products[0].code)",
        "products[2].variants[0].sku: duplicate SKU 'DEV-IPHONE-16-128-BLACK' "
        "(first at products[0].variants[0].sku)",
        "products[3].variants[0].prices[1].amount: must be >= 0",
        "products[9].type: unknown product type 'tablet'",
        "rules[1].when.codes[0]: names a missing product 'sim-nano'",
        "cross_sell[0].to[2]: names a missing product 'device-nokia-3310'",
        "campaigns[0].valid.to: ends (2026-01-01T00:00:00+00:00) before it starts",
        "placements[0].schedule.to: ends (2026-11-19T00:00:00+00:00) before it starts",
        "placements[1].channel: names a missing channel 'kiosk'",
    ]
    for wanted in expected:
        assert any(p.startswith(wanted) for p in problems), wanted
    assert len(problems) == len(expected)


def test_problems_are_listed_in_file_order_with_numeric_indices():
    data = northwind()
    for index in (2, 10):
        data["products"][index]["code"] = data["products"][0]["code"]

    paths = [p.path for p in validate_pack(data)]

    assert paths == ["products[2].code", "products[10].code"]


def test_a_rule_or_placement_may_name_products_declared_anywhere_in_the_pack():
    data = northwind()
    data["products"].reverse()

    assert problems_of(data) == []


def test_text_that_is_not_yaml_is_refused_with_its_line():
    with pytest.raises(PackRefused) as refused:
        parse_pack("tenant:\n  slug: [unclosed\n")

    assert refused.value.problems[0].path.startswith("line ")


def test_a_missing_tenant_section_and_unknown_sections_are_named():
    data = copy.deepcopy(northwind())
    del data["tenant"]
    data["offers"] = []

    problems = problems_of(data)

    assert "tenant: is required" in problems
    assert any(p.startswith("offers: unknown section") for p in problems)
