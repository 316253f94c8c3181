"""A sandbox in its own process, driven over the control routes (what bench/ uses)."""

from __future__ import annotations

import httpx

from qtickets_assets.sandbox.process import spawn_sandbox


def test_spawned_sandbox_takes_the_latency_flags_and_answers_its_control_routes() -> None:
    flags = ["--latency-model", "constant", "--latency-seed", "3"]
    with spawn_sandbox("small", seed=1, latency_ms=5, args=flags) as sb:
        faults = sb.set_faults()
        assert (faults["latency_ms"], faults["latency_model"], faults["latency_seed"]) == (5, "constant", 3)
        world = sb.world()
        assert (world["size"], world["seed"], world["events"]) == ("small", 1, 25)
        orders = world["orders"]
        headers = {"Authorization": f"Bearer {sb.token}"}
        assert httpx.get(f"{sb.base_url}/orders", headers=headers).json()["paging"]["total"] == orders
        stats = sb.stats()
        assert stats["requests"] == {"GET orders": 1}
        assert stats["routes"]["GET orders"]["latency_s"] == 0.005
        assert stats["crawl"]["service_s"] > 0.005
        changed = sb.advance(new_orders=2, seed=1)
        assert len(changed["new_order_ids"]) == 2 and sb.world()["orders"] == orders + 2
        sb.reset_stats()
        assert sb.stats()["total_requests"] == 0 and sb.cpu_seconds() > 0
        proc = sb.proc
    assert proc.returncode is not None  # stopped on leaving the block


def test_a_sandbox_with_a_state_file_serves_the_same_world_after_a_restart(tmp_path) -> None:
    """`serve --state FILE`: the world (seed, anchor and every advance) survives a restart."""
    state = ["--state", str(tmp_path / "sandbox.json")]

    def truth(sandbox) -> dict:
        control = sandbox.base_url.removesuffix("/api/rest/v1") + "/_sandbox/truth"
        return httpx.get(control, params={"as_of": 1_800_000_000}, timeout=60).json()

    with spawn_sandbox(size="small", seed=5, args=state) as sandbox:
        sandbox.advance(new_orders=7, refunds=2, cancellations=1, scans=3)
        before = truth(sandbox)
        orders = sandbox.world()["orders"]
    with spawn_sandbox(size="small", seed=5, args=state) as sandbox:
        assert sandbox.world()["orders"] == orders
        assert truth(sandbox) == before
