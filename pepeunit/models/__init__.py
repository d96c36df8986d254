"""Database models, one module per entity."""
from .data_pipe import (
    DataPipeAggregation,
    DataPipeNodeState,
    DataPipeNRecord,
    DataPipeOpenWindow,
    DataPipeTimeWindowRecord,
)
from .enums import *  # noqa: F401,F403
from .leader_fence import LeaderFence
from .mqtt_delivery import MqttDelivery
from .permission import Permission
from .repo import Repo
from .repository_registry import RepositoryRegistry, RepositoryRegistryCredentials
from .unit import Unit
from .unit_log import UnitLog
from .unit_node import UnitNode, UnitNodeEdge
from .user import User

__all__ = [
    "DataPipeAggregation",
    "DataPipeNodeState",
    "DataPipeNRecord",
    "DataPipeOpenWindow",
    "DataPipeTimeWindowRecord",
    "LeaderFence",
    "MqttDelivery",
    "Permission",
    "Repo",
    "RepositoryRegistry",
    "RepositoryRegistryCredentials",
    "Unit",
    "UnitLog",
    "UnitNode",
    "UnitNodeEdge",
    "User",
]
