"""Prepare Superset's metadata and import the bundle (run with Superset's own Python).

Environment: SUPERSET_CONFIG_PATH (superset_config.py), QTICKETS_SUPERSET_HOME, the admin's
SUPERSET_ADMIN_PASSWORD, and QTICKETS_SUPERSET_DATABASE_URI, the SQLAlchemy URI of the mart
(`clickhousedb://...`). The URI replaces the bundle's placeholder in memory: the password it may
hold reaches only Superset's metadata (encrypted with the secret key), never a file or argv.
Idempotent: a second run resets the admin's password and overwrites the bundle's objects.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

BUNDLE = Path(os.environ.get("QTICKETS_SUPERSET_BUNDLE", Path(__file__).resolve().parent / "bundle"))
ADMIN = "admin"


def superset_cli(*args: str) -> None:
    superset = Path(sys.executable).with_name("superset")
    subprocess.run([str(superset), *args], check=True, stdout=subprocess.DEVNULL)


def bundle_contents(database_uri: str) -> dict[str, str]:
    """The bundle's files as the import takes them, the database's URI set to `database_uri`."""
    contents = {}
    for path in sorted(BUNDLE.rglob("*.yaml")):
        name = str(path.relative_to(BUNDLE))
        text = path.read_text(encoding="utf-8")
        if name.startswith("databases/"):
            config = yaml.safe_load(text)
            config["sqlalchemy_uri"] = database_uri
            text = yaml.safe_dump(config, sort_keys=False)
        contents[name] = text
    return contents


def ensure_admin(password: str) -> None:
    from superset import security_manager

    user = security_manager.find_user(username=ADMIN)
    if user is None:
        role = security_manager.find_role("Admin")
        created = security_manager.add_user(ADMIN, "Qtickets", "Admin", "admin@localhost", role, password)
        if not created:
            raise SystemExit("error: could not create the Superset admin user")
    else:
        security_manager.reset_password(user.id, password)


def import_bundle(database_uri: str) -> None:
    from flask import g
    from superset import security_manager
    from superset.commands.importers.v1.assets import ImportAssetsCommand

    g.user = security_manager.find_user(username=ADMIN)
    ImportAssetsCommand(bundle_contents(database_uri)).run()


def main() -> int:
    database_uri = os.environ["QTICKETS_SUPERSET_DATABASE_URI"]
    password = os.environ["SUPERSET_ADMIN_PASSWORD"]
    superset_cli("db", "upgrade")
    superset_cli("init")
    from superset.app import create_app

    app = create_app()
    with app.test_request_context():
        ensure_admin(password)
        import_bundle(database_uri)
    print(f"imported {BUNDLE} (dashboard 'Qtickets: sales')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
