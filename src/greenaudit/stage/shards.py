"""Batch sources into staging shards so per-job start-up does not dominate.

A source's shard depends only on its id and the number of shards, so editing one
source re-stages only its shard, and adding a source moves no other source unless
the number of shards changes.
"""

from __future__ import annotations

import hashlib
import math


def shard_count(n_sources: int, sources_per_shard: int) -> int:
    if sources_per_shard < 1:
        raise ValueError(f"sources_per_shard must be at least 1, not {sources_per_shard}")
    return max(1, math.ceil(n_sources / sources_per_shard))


def shard_index(source_id: str, n_shards: int) -> int:
    digest = hashlib.sha256(source_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n_shards


def plan_shards(source_ids: list[str], sources_per_shard: int) -> dict[str, list[str]]:
    """{shard name: sorted source ids}; empty shards are left out."""
    n_shards = shard_count(len(source_ids), sources_per_shard)
    width = len(str(n_shards - 1))
    shards: dict[str, list[str]] = {}
    for source_id in sorted(source_ids):
        name = f"shard{shard_index(source_id, n_shards):0{width}d}"
        shards.setdefault(name, []).append(source_id)
    return dict(sorted(shards.items()))
