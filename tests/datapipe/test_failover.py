"""DataPipe across a leader change: kill -9 the consuming worker while values arrive; the next
leader stores every value exactly once and still applies each node's filter state."""
from __future__ import annotations

import os
import signal

import redis
import sqlalchemy as sa

from pepeunit.extensions import db
from pepeunit.models import DataPipeNRecord
from pepeunit.models import UnitNodeTypeEnum as T
from pepeunit.models.enums import ActivePeriodType, ProcessingPolicyType, TypeInputValue
from pepeunit.runtime.runner import lease_name
from pepeunit.services.datapipe.pipe_config import ActivePeriod, Filters, PipeConfig, ProcessingPolicy

from .. import world
from ..helpers import make_test_environ, publish_all, wait_until
from ..processes import Gunicorn


def _n_records(max_rate: int = 0, last_unique: bool = False) -> str:
    return PipeConfig(
        active_period=ActivePeriod(type=ActivePeriodType.PERMANENT),
        filters=Filters(type_input_value=TypeInputValue.TEXT, max_rate=max_rate, last_unique_check=last_unique,
                        max_size=100),
        processing_policy=ProcessingPolicy(policy_type=ProcessingPolicyType.N_RECORDS, n_records_count=1024),
    ).to_stored()


def _stored(app, node_uuid) -> list[str]:
    with app.app_context():
        db.session.remove()
        query = sa.select(DataPipeNRecord.state).where(DataPipeNRecord.unit_node_uuid == node_uuid)
        return list(db.session.execute(query.order_by(DataPipeNRecord.id)).scalars())


def _leader_pid(redis_url, settings):
    value = redis.Redis.from_url(redis_url).get(f"pepeunit:lease:{lease_name(settings)}")
    return int(value.decode().split(":")[1]) if value else None


def test_kill_9_of_the_leader_neither_loses_nor_repeats_pipe_rows(app, settings, database_url, redis_url, publisher):
    with app.app_context():
        unit = world.unit(world.user(bare=True), bare=True)
        configs = {"all": _n_records(), "slow": _n_records(max_rate=3600), "unique": _n_records(last_unique=True)}
        nodes = {}
        for name, stored in configs.items():
            node = world.node(unit, T.OUTPUT, f"{name}/pepeunit")
            node.is_data_pipe_active, node.data_pipe_yml = True, stored
            nodes[name] = node
        db.session.commit()
        uuids = {name: node.uuid for name, node in nodes.items()}
    topic = {name: f"{settings.PU_DOMAIN}/{node_uuid}/pepeunit" for name, node_uuid in uuids.items()}

    env = make_test_environ(database_url, redis_url, PU_LEADER_LEASE_SECONDS=2, PU_FF_DATAPIPE_ENABLE="true")
    with Gunicorn(env, workers=3) as server:
        assert wait_until(lambda: _leader_pid(redis_url, settings) in server.worker_pids(), 20), server.output()
        publish_all(publisher, [(topic["all"], "before"), (topic["slow"], "first"), (topic["unique"], "same")])
        assert wait_until(lambda: all(_stored(app, u) for u in uuids.values()), 20), server.output()

        leader = _leader_pid(redis_url, settings)
        os.kill(leader, signal.SIGKILL)
        gap = [f"gap-{i}" for i in range(300)]
        publish_all(publisher, [(topic["all"], value) for value in gap]
                    + [(topic["slow"], f"burst-{i}") for i in range(5)]
                    + [(topic["unique"], "same"), (topic["unique"], "next")])

        def new_leader():
            pid = _leader_pid(redis_url, settings)
            return pid is not None and pid != leader and pid in server.worker_pids()

        assert wait_until(new_leader, 60), server.output()
        assert wait_until(lambda: len(_stored(app, uuids["all"])) >= 301, 60), server.output()
        assert wait_until(lambda: _stored(app, uuids["unique"]) == ["same", "next"], 60), server.output()

    assert _stored(app, uuids["all"]) == ["before"] + gap  # each value once, in order
    assert _stored(app, uuids["slow"]) == ["first"]  # max_rate still holds after the takeover
