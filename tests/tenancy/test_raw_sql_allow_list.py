"""Raw SQL bypasses the tenant filter, so every use of it is listed with a reason."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RAW_SQL = re.compile(
    r"(?:(?<![.\w])|\bsa\.|\bsqlalchemy\.)text\(|exec_driver_sql\(|raw_sql_reason="
)

# file -> why raw SQL is safe there. Keep this short; prefer the ORM.
ALLOWED = {
    "shared/db/migrate.py": "DDL for schemas and advisory locks; no tenant rows",
    "shared/db/session.py": "the guard itself names raw_sql_reason",
    "shared/http/app.py": "SELECT 1 readiness probe",
    "services/tenant/audit.py": "advisory lock that serialises the audit hash chain",
    "services/catalog/service.py": "advisory lock that queues one brand's imports",
    "services/catalog/search.py": (
        "SQLite FTS5 index rows keyed by product id; reads join products, "
        "which the tenant filter covers"
    ),
}


def test_raw_sql_appears_only_in_allow_listed_files():
    offenders = []
    for folder in ("shared", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or relative in ALLOWED:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if RAW_SQL.search(line) and not line.lstrip().startswith("def "):
                    offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == [], "raw SQL outside the allow-list:\n" + "\n".join(offenders)
