"""Superset's configuration for the bundled dashboard (`make superset`, the deploy/ service).

Metadata in SQLite under QTICKETS_SUPERSET_HOME (no Redis, no Celery). The secret key comes from
SUPERSET_SECRET_KEY or the file `secret_key` there (written once by `make superset`).
"""

import os
from pathlib import Path

_HOME = Path(os.environ["QTICKETS_SUPERSET_HOME"])

SQLALCHEMY_DATABASE_URI = f"sqlite:///{_HOME / 'superset.db'}"
SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY") or (_HOME / "secret_key").read_text().strip()
# Results are not cached: the figures must be the mart's (or its copy's) at every load.
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
# Filter values and Explore state live in the metadata database (no Redis).
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SupersetMetastoreCache", "CACHE_DEFAULT_TIMEOUT": 86400}
EXPLORE_FORM_DATA_CACHE_CONFIG = FILTER_STATE_CACHE_CONFIG
RATELIMIT_STORAGE_URI = "memory://"
SQLLAB_CTAS_NO_LIMIT = True
