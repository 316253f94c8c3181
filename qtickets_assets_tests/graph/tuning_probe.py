"""Run as a script: prints the process's GC and Arrow allocator settings as Python starts, after
loading the definitions (as a webserver or code server does), then from inside a run of the
project's executor."""

import gc

import dagster as dg
import pyarrow as pa


def settings_now() -> str:
    return f"{gc.get_freeze_count() > 0} {gc.get_threshold()[0]} {pa.default_memory_pool().backend_name}"


@dg.op
def report() -> None:
    print("RUN", settings_now(), flush=True)


def probe_job() -> dg.JobDefinition:
    from qtickets_assets.definitions import defs

    executor = defs().resolve_implicit_global_asset_job_def().executor_def
    return dg.GraphDefinition(name="probe", node_defs=[report]).to_job(executor_def=executor)


if __name__ == "__main__":
    print("DEFAULT", settings_now(), flush=True)
    from qtickets_assets.definitions import defs

    defs()
    print("LOADED", settings_now(), flush=True)
    with dg.DagsterInstance.ephemeral() as instance:
        assert dg.execute_job(dg.reconstructable(probe_job), instance=instance).success
