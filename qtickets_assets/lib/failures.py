"""How our own errors end a step: our message alone, first, and no run retry where none can help.

Our errors (`QticketsError`, `ClickHouseError`) already say what is wrong and what to do. Raised as
a `dg.Failure` whose description is that message, without the exception chain (`from None`: the
run page would otherwise print our error's own stack under Dagster's), they are what the run page,
the console and the failure alert lead with; the error's type goes into the failure's metadata.

A wrong token or bad configuration fails every attempt alike: the run is then tagged
`dagster/retry_on_asset_or_op_failure: false`, which Dagster reads (when the run's failure is
stored) to decide that `run_retries` does not launch it again. Transient causes (the API
unavailable, the directory busy) keep the retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from qtickets_assets.lib.clickhouse.errors import (
    ClickHouseBusyError,
    ClickHouseConfigError,
    ClickHouseError,
    ClickHouseUnreachableError,
)
from qtickets_assets.lib.qtickets.errors import (
    QticketsAuthError,
    QticketsConfigError,
    QticketsError,
    QticketsRouteNotFound,
)

# Dagster's run tag (dagster._core.storage.tags.RETRY_ON_ASSET_OR_OP_FAILURE_TAG).
RETRY_ON_STEP_FAILURE_TAG = "dagster/retry_on_asset_or_op_failure"
# Causes that a second attempt meets again: a refused token, a wrong URL, a bad setting.
PERMANENT = (QticketsAuthError, QticketsConfigError, QticketsRouteNotFound, ClickHouseConfigError)
# ... except passing states: the directory busy, the server not answering (restarting, the network).
PASSING = (ClickHouseBusyError, ClickHouseUnreachableError)


def retry_cannot_fix(error: Exception) -> bool:
    return isinstance(error, PERMANENT) and not isinstance(error, PASSING)


def known_failure(error: Exception) -> dg.Failure:
    """The step's failure for one of our errors; marks the run not to be retried when useless."""
    permanent = retry_cannot_fix(error)
    if permanent:
        _no_run_retry()
    # Whether a retry can help, not whether one happens: the run page shows this on the retry's
    # own failure too, and on runs nothing retries (`dg launch`), where "retried" read as a fact.
    return dg.Failure(
        description=str(error),
        metadata={"cause": type(error).__name__, "retry_can_help": not permanent},
        allow_retries=not permanent,
    )


@contextmanager
def explained() -> Iterator[None]:
    """Our errors inside the block end the step as `known_failure`s: each carries one clear message
    naming the problem ("the Qtickets API is unavailable: GET /events failed 7 times ..."), the step
    fails with that message alone, first, and a cause no retry can fix (a refused token, bad
    configuration) is not retried."""
    try:
        yield
    except (QticketsError, ClickHouseError) as error:
        raise known_failure(error) from None


def _no_run_retry() -> None:
    """Tag the current run so that Dagster's run retries skip it (no-op outside a step)."""
    try:
        context = dg.OpExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return
    context.instance.add_run_tags(context.run_id, {RETRY_ON_STEP_FAILURE_TAG: "false"})
