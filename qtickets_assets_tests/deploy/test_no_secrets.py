"""No file that git tracks (or would track) holds something that looks like a real secret.

The scanner is deliberately simple and loud: a false positive costs a rename to an obvious
placeholder, a leaked token costs a rotation. Planted examples below are assembled at run time
so that this file itself stays clean.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 2_000_000  # larger files are data, not config; scanning them only slows the suite

# Values anyone can see are fake. Kept small on purpose: extend it only for test fixtures.
PLACEHOLDER_PREFIXES = ("test-", "sandbox-", "fake-", "dummy-", "example-")
PLACEHOLDER_WORDS = frozenset(
    {"", "change-me", "changeme", "password", "pass", "secret", "token", "xxx", "***", "...", "…"}
)
# Exact fake values that existing test fixtures use (URL parsing and redaction tests).
KNOWN_FAKE_VALUES = frozenset({"hunter2", "s3cr%40t"})

_BEARER = re.compile(r"\bBearer\s+(?P<value>[A-Za-z0-9._~+/=-]{20,})")
# `password=...`, `PASSWORD: ...`, `"password": "..."`: the key may be any identifier ending in it.
_PASSWORD = re.compile(
    r"""(?P<key>\w*(?:password|passwd|pwd)\w*)["']?\s*(?P<op>[:=])\s*(?P<quote>["']?)(?P<value>[^\s"',;)}\]]*)""",
    re.IGNORECASE,
)
_SECRET_ASSIGN = re.compile(
    r"""(?P<key>\w*(?:token|secret|api_?key)\w*)["']?\s*[:=]\s*["'](?P<value>[A-Za-z0-9._~+/=-]{24,})["']""",
    re.IGNORECASE,
)
# Outside code (env files, YAML, scripts, notes) a token is also written bare or short: the old
# loader committed its organiser token as `QTICKETS_TOKEN=<token>` in env files.
_CONFIG_SECRET_ASSIGN = re.compile(
    r"""(?P<key>\w*(?:token|secret|api_?key)\w*)["']?\s*[:=]\s*["']?(?P<value>[^\s"'`,;)}\]]{16,})""",
    re.IGNORECASE,
)
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
_URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.-]*://(?P<user>[^\s/:@\"'`]+):(?P<value>[^\s/@\"'`]+)@")
# In code, `password=value` names a variable; only a quoted literal there is a secret.
CODE_SUFFIXES = frozenset({".py", ".pyi"})


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    kind: str

    def __str__(self) -> str:  # never the value itself: the report must not leak what it found
        return f"{self.path}:{self.line}: {self.kind}"


def is_placeholder(value: str) -> bool:
    value = value.strip().strip("\"'`")
    return (
        value.lower() in PLACEHOLDER_WORDS
        or value in KNOWN_FAKE_VALUES
        or value.startswith(PLACEHOLDER_PREFIXES)
        or value.startswith(("$", "{", "<", "%("))  # ${VAR}, $VAR, {env: ...}/{name}, <your-token>, %(x)s
        or set(value) <= {"*", "x", "X", "."}
    )


def looks_random(value: str) -> bool:
    """Tokens mix letters and digits; identifiers and prose (`generate_sandbox_orders`) do not."""
    return bool(re.search(r"[A-Za-z]", value)) and bool(re.search(r"\d", value))


_VAR_REF = re.compile(r"\$\{[^}]*\}")


def scan_line(line: str, is_code: bool) -> list[str]:
    # A ${NAME:?message} reference is a placeholder as a whole; its inner text is not a value.
    line = _VAR_REF.sub("${VAR}", line)
    kinds = []
    if _PRIVATE_KEY.search(line):
        kinds.append("private key")
    for m in _BEARER.finditer(line):
        if looks_random(m["value"]) and not is_placeholder(m["value"]):
            kinds.append("bearer token")
    for m in _PASSWORD.finditer(line):
        literal = bool(m["quote"])
        if (literal or not is_code) and not is_placeholder(m["value"]):
            kinds.append(f"literal password ({m['key']})")
    for m in (_SECRET_ASSIGN if is_code else _CONFIG_SECRET_ASSIGN).finditer(line):
        if looks_random(m["value"]) and not is_placeholder(m["value"]):
            kinds.append(f"literal secret ({m['key']})")
    for m in _URL_CREDENTIALS.finditer(line):
        if not is_placeholder(m["value"]):
            kinds.append("credentials in URL")
    return kinds


def scan_file(path: Path, root: Path) -> list[Finding]:
    data = path.read_bytes()[:MAX_BYTES]
    if b"\0" in data:
        return []  # binary
    text = data.decode("utf-8", errors="replace")
    is_code = path.suffix in CODE_SUFFIXES
    rel = path.relative_to(root).as_posix()
    return [
        Finding(rel, number, kind)
        for number, line in enumerate(text.splitlines(), start=1)
        for kind in scan_line(line, is_code)
    ]


def repository_files(root: Path) -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"not a git checkout ({type(exc).__name__})")
    names = [n for n in out.decode("utf-8", errors="surrogateescape").split("\0") if n]
    return [root / n for n in names if (root / n).is_file()]  # tracked files may be deleted locally


# --- the repository ------------------------------------------------------------------------------


def test_repository_holds_no_secret() -> None:
    files = repository_files(ROOT)
    assert any(p.name == "pyproject.toml" for p in files), "git listed nothing: the scan would be vacuous"
    findings = [str(f) for path in files for f in scan_file(path, ROOT)]
    assert findings == [], "replace these with ${VAR} references or obvious placeholders:\n" + "\n".join(
        findings
    )


# --- the scanner itself, on planted examples -----------------------------------------------------

# Assembled so that no literal secret appears in this file.
RANDOM_TOKEN = "a8F3kQ9z" + "Lm2Xw7Rt" + "Vb4Np6Yc"


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("client.py", f'headers = {{"Authorization": "Bearer {RANDOM_TOKEN}"}}\n', "bearer token"),
        ("settings.py", "PASS" + 'WORD = "' + 'hunter2-prod"\n', "literal password"),
        ("compose.yaml", "  POSTGRES_" + "PASSWORD: " + "Tr0ub4dor\n", "literal password"),
        ("app.env", "DB_" + "PASSWORD=" + "s3cr3t\n", "literal password"),
        ("notes.md", "connect to http://etl_writer:" + "Tr0ub4dor" + "@db:8123\n", "credentials in URL"),
        ("key.pem", "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIE\n", "private key"),
        ("cfg.py", 'api_key = "' + RANDOM_TOKEN + '"\n', "literal secret"),
        (".env.qtickets_api", "QTICKETS_" + "TOKEN=" + RANDOM_TOKEN[:16] + "\n", "literal secret"),
        ("run.ps1", "$env:QTICKETS_" + "TOKEN = '" + RANDOM_TOKEN[:16] + "'\n", "literal secret"),
    ],
)
def test_scanner_finds_a_planted_secret(tmp_path: Path, name: str, content: str, kind: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    findings = scan_file(path, tmp_path)
    assert [f.kind.split(" (")[0] for f in findings] == [kind]
    assert all(RANDOM_TOKEN not in str(f) and "Tr0ub4dor" not in str(f) for f in findings)


@pytest.mark.parametrize(
    "content",
    [
        "QTICKETS_TOKEN=change-me\nPOSTGRES_PASSWORD: ${DAGSTER_POSTGRES_PASSWORD:?set it}\n",
        "password: {env: DAGSTER_POSTGRES_PASSWORD}\n",
        "CLICKHOUSE_URL=http://etl_writer:${CLICKHOUSE_ETL_PASSWORD:?set it}@clickhouse:8123\n",
        ': "${CLICKHOUSE_ETL_PASSWORD:?CLICKHOUSE_ETL_PASSWORD must be set}"\n',
        "parse_clickhouse_url('postgres://u:hunter2@h:5432')\n",
        "`http(s)://user:password@host:port`\n",
        'client = open(url, password=password, token=self._token)\nAUTH = "Bearer " + token\n',
        'run_sandbox(token="sandbox-token")\nheaders = {"Authorization": "Bearer test-' + "x" * 30 + '"}\n',
        'password=""\n',
    ],
)
def test_scanner_accepts_placeholders_and_references(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ok.py" if "open(url" in content or "run_sandbox" in content else tmp_path / "ok.yaml"
    path.write_text(content, encoding="utf-8")
    assert [str(f) for f in scan_file(path, tmp_path)] == []


def test_scanner_skips_binary_files(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\0\1DB_PASSWORD=" + b"s3cr3t")
    assert scan_file(path, tmp_path) == []
