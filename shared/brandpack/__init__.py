"""Brand packs: one YAML file that describes a whole telecom brand.

``load_pack(path)`` reads a pack and checks the whole file before anything is
applied: it returns every problem at once, each named by its path in the file
(``products[3].variants[0].prices[1].amount: must be >= 0``). The tenant,
catalog and channel services all read packs through this one module, so a
pack that passes here is one that every section owner can import.
"""

from shared.brandpack.loader import (
    BrandPack,
    PackProblem,
    PackRefused,
    load_pack,
    parse_pack,
)
from shared.brandpack.validate import validate_pack, validate_tenant

__all__ = [
    "BrandPack",
    "PackProblem",
    "PackRefused",
    "load_pack",
    "parse_pack",
    "validate_pack",
    "validate_tenant",
]
