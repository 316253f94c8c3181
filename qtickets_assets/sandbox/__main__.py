"""CLI: `python -m qtickets_assets.sandbox serve …` and `python -m qtickets_assets.sandbox truth …`."""

from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from qtickets_assets.sandbox.generate import SIZES, generate_world
from qtickets_assets.sandbox.latency import LATENCY_MODELS
from qtickets_assets.sandbox.persisted import WorldState
from qtickets_assets.sandbox.testing import start_server
from qtickets_assets.sandbox.truth import truth


def world_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--anchor", type=int, default=None, help="epoch seconds; default: now, to the minute")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m qtickets_assets.sandbox")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the fake Qtickets REST API until SIGTERM/SIGINT")
    world_args(serve)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--token", default=None, help="default: $QTICKETS_TOKEN")
    serve.add_argument("--ignore-filters", action="store_true", help="ignore where and orderBy, as feared")
    serve.add_argument(
        "--unfiltered-total",
        action="store_true",
        help="filtered pages, but paging.total counts the list without its where",
    )
    serve.add_argument(
        "--latency-ms",
        type=int,
        default=0,
        help="median latency per API request; the server's work comes on top",
    )
    serve.add_argument(
        "--latency-model",
        choices=LATENCY_MODELS,
        default="lognormal",
        help="lognormal: p90 1.8x, p99 4x the median (see latency.py); constant: exactly --latency-ms",
    )
    serve.add_argument("--latency-seed", type=int, default=0, help="seed of the latency draws")
    serve.add_argument("--fault-503", type=float, default=0.0)
    serve.add_argument("--fault-429", type=float, default=0.0)
    serve.add_argument("--retry-after", type=int, default=1)
    serve.add_argument("--slow-share", type=float, default=0.0)
    serve.add_argument("--slow-seconds", type=float, default=0.0)
    serve.add_argument("--drop-share", type=float, default=0.0)
    serve.add_argument("--truncate-share", type=float, default=0.0)
    serve.add_argument("--html-share", type=float, default=0.0)
    serve.add_argument("--empty-page-share", type=float, default=0.0)
    serve.add_argument("--fault-seed", type=int, default=0)
    serve.add_argument(
        "--state",
        default=None,
        help="a JSON file keeping the world (seed, anchor, advances) across restarts; created when missing",
    )
    shown = commands.add_parser("truth", help="print the ground truth as JSON")
    world_args(shown)
    shown.add_argument("--as-of", type=int, default=None, help="epoch seconds for 'today'; default: now")
    return parser


def serve(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get("QTICKETS_TOKEN")
    if not token:
        print("sandbox: a token is required (--token or QTICKETS_TOKEN)", file=sys.stderr)
        return 2
    faults = {
        "latency_ms": args.latency_ms,
        "latency_model": args.latency_model,
        "latency_seed": args.latency_seed,
        "fault_503": args.fault_503,
        "fault_429": args.fault_429,
        "retry_after": args.retry_after,
        "slow_share": args.slow_share,
        "slow_seconds": args.slow_seconds,
        "drop_share": args.drop_share,
        "truncate_share": args.truncate_share,
        "html_share": args.html_share,
        "empty_page_share": args.empty_page_share,
        "seed": args.fault_seed,
    }
    state = WorldState(Path(args.state), args.size, args.seed) if args.state else None
    world = state.world() if state else generate_world(args.size, args.seed, args.anchor)
    # The world lives as long as the process: keep its ~10^5-10^6 objects out of the cyclic GC's full
    # passes (each one walked them all: ~65 ms at medium, whenever a world version rebuilt its rows).
    # Only here, in a process of its own: in-process sandboxes (run_sandbox) leave the host's GC alone.
    gc.freeze()
    server = start_server(
        world,
        token,
        args.host,
        args.port,
        args.ignore_filters,
        unfiltered_total=args.unfiltered_total,
        **faults,
    )
    if state:
        server.sandbox.journal = state.record
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    host, port = server.server_address[:2]
    print(f"sandbox listening on http://{host!s}:{port}/api/rest/v1", flush=True)
    stop.wait()
    server.shutdown()
    server.server_close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    world = generate_world(args.size, args.seed, args.anchor)
    json.dump(truth(world, args.as_of), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
