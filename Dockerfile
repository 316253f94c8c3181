# syntax=docker/dockerfile:1
# One image for the whole deployment: the gRPC code server (default command), and, with another
# command, the Dagster webserver and daemon (see deploy/docker-compose.yaml). One image means the
# webserver, daemon and run workers can never drift to different Dagster versions.
# No secret is baked in: every credential arrives as an environment variable at run time.
FROM python:3.11-slim

# DAGSTER_COMPUTE_LOG_TAIL_WAIT_AFTER_FINISH: a run's console copy of its output (`tail -F`,
# polling every second) is stopped 1.2 s after the step ends, not at once, so that a failed step's
# last lines, its cause among them, reach the container's log (dagster-io/dagster#23336).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DAGSTER_HOME=/opt/dagster/dagster_home \
    DAGSTER_COMPUTE_LOG_TAIL_WAIT_AFTER_FINISH=1.2 \
    MPLCONFIGDIR=/opt/dagster/matplotlib

WORKDIR /opt/dagster/app

# Arrow computes each event's local days from the system's time-zone database; Python's zoneinfo
# also reads the tzdata wheel, so a zone it accepts could be missing for Arrow (such a city is read
# in Moscow time, with a warning). Debian trixie moved the old names (W-SU, Europe/Kiev) to
# tzdata-legacy; bookworm has no such package and keeps them in tzdata.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tzdata \
    && (apt-get install -y --no-install-recommends tzdata-legacy || echo "no tzdata-legacy: tzdata has the old names") \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, from packaging metadata plus an empty package, so that editing the code
# does not reinstall chDB, pandas and Dagster on every build.
COPY pyproject.toml constraints.txt README.md ./
RUN mkdir qtickets_assets \
    && touch qtickets_assets/__init__.py \
    && pip install -c constraints.txt '.[deploy]' \
    && pip uninstall -y qtickets-assets \
    && rm -rf qtickets_assets build ./*.egg-info

# The code itself, installed in place (editable, no dependency changes): the DDL migrations under
# clickhouse/ddl/ are located relative to the package, so the package must stay beside them
# rather than be copied into site-packages without them.
COPY qtickets_assets ./qtickets_assets
COPY clickhouse ./clickhouse
# pip compiles what it installs into site-packages, but not an editable package's own sources, and
# PYTHONDONTWRITEBYTECODE keeps Python from caching them: without compileall every run worker and
# code server would compile the project's ~90 modules again (~0.1 s of CPU each start).
RUN pip install --no-deps -c constraints.txt -e . \
    && python -m compileall -q qtickets_assets \
    && python -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('qtickets_assets.definitions') is None)"

# Unprivileged runtime user; it owns only DAGSTER_HOME (instance files, compute logs).
RUN groupadd --system --gid 10001 dagster \
    && useradd --system --uid 10001 --gid dagster --home-dir /opt/dagster --no-create-home dagster \
    && mkdir -p "$DAGSTER_HOME" /opt/dagster/compute_logs "$MPLCONFIGDIR" \
    && chown -R dagster:dagster "$DAGSTER_HOME" /opt/dagster/compute_logs "$MPLCONFIGDIR"
USER dagster
# matplotlib's font cache, built once here: the user has no home, and without a config folder it
# can write, every run process that draws the views' charts would warn and build it again (~1 s).
RUN python -c "import matplotlib.font_manager"

EXPOSE 4000
CMD ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", \
     "-m", "qtickets_assets.definitions", "--location-name", "qtickets_assets"]
