"""Planning: stage sizes, recently-online units first, the same plan for the same rollout."""
import uuid
from datetime import datetime, timedelta

from pepeunit.services.rollouts import planning

NOW = datetime(2026, 12, 8, 12, 0, 0)
WINDOW = timedelta(minutes=2)


def test_stage_sizes_are_cumulative_with_at_least_one_unit_each():
    assert planning.stage_sizes([25, 50, 100], 8) == [2, 4, 8]
    assert planning.stage_sizes([5, 25, 100], 8) == [1, 2, 8]
    assert planning.stage_sizes([1, 2, 3, 100], 2) == [1, 2]  # stages left without a unit are dropped
    assert planning.stage_sizes([50, 100], 0) == []
    assert planning.stage_sizes([100], 3) == [3]


def test_recently_online_units_are_the_canaries_and_the_plan_repeats():
    repo = uuid.uuid4()
    offline = [(uuid.uuid4(), NOW - timedelta(hours=1)) for _ in range(6)] + [(uuid.uuid4(), None)]
    online = [(uuid.uuid4(), NOW - timedelta(seconds=30)) for _ in range(2)]
    units = offline[:3] + online + offline[3:]
    plan = planning.plan(repo, "a" * 40, units, [20, 100], NOW, WINDOW)
    assert [p for p, _ in plan] == [20, 100]
    assert sorted(plan[0][1]) == sorted(u for u, _ in online)
    assert planning.plan(repo, "a" * 40, list(reversed(units)), [20, 100], NOW, WINDOW) == plan
    others = [planning.plan(repo, f"{i:040d}", offline, [15, 100], NOW, WINDOW)[0][1] for i in range(20)]
    assert len({tuple(o) for o in others}) > 1, "another target version spreads the canaries over other units"
