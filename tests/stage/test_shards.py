"""Staging shards: stable, complete, balanced enough, independent of list order."""

from __future__ import annotations

import pytest

from greenaudit.stage.shards import plan_shards, shard_count


def _ids(n: int) -> list[str]:
    return [f"{i:04d}_source" for i in range(n)]


def test_every_source_is_in_exactly_one_shard() -> None:
    plan = plan_shards(_ids(1000), 50)
    placed = [s for ids in plan.values() for s in ids]
    assert sorted(placed) == _ids(1000)
    assert len(plan) == 20
    assert all(ids == sorted(ids) for ids in plan.values())


def test_shards_are_roughly_balanced() -> None:
    sizes = [len(ids) for ids in plan_shards(_ids(1000), 50).values()]
    assert max(sizes) <= 80 and min(sizes) >= 25


def test_plan_does_not_depend_on_input_order() -> None:
    ids = _ids(300)
    assert plan_shards(ids, 40) == plan_shards(list(reversed(ids)), 40)


def test_adding_a_source_moves_no_other_when_the_count_stays() -> None:
    before = plan_shards(_ids(99), 10)
    after = plan_shards(_ids(99) + ["new_source"], 10)
    assert shard_count(99, 10) == shard_count(100, 10)
    for name, ids in before.items():
        assert [s for s in after.get(name, []) if s != "new_source"] == ids


def test_small_workspaces_use_one_shard() -> None:
    assert plan_shards(_ids(5), 50) == {"shard0": _ids(5)}
    assert len(plan_shards(_ids(5), 1)) <= 5


def test_shard_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        plan_shards(_ids(3), 0)
