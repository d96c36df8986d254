"""Enumerations shared by the models, services and doors.

Values are what the database, REST and JSON carry; GraphQL exposes member names.
"""
from __future__ import annotations

import enum


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:  # f-strings give the value, on every Python version
        return self.value


class OrderByDate(StrEnum):
    asc = "asc"
    desc = "desc"


class OrderByText(StrEnum):
    asc = "asc"
    desc = "desc"


class VisibilityLevel(StrEnum):
    PUBLIC = "Public"
    INTERNAL = "Internal"
    PRIVATE = "Private"

    @property
    def rank(self) -> int:
        return _VISIBILITY_RANK[self]


_VISIBILITY_RANK = {VisibilityLevel.PUBLIC: 0, VisibilityLevel.INTERNAL: 1, VisibilityLevel.PRIVATE: 2}


class UserRole(StrEnum):
    USER = "User"
    ADMIN = "Admin"


class UserStatus(StrEnum):
    UNVERIFIED = "Unverified"
    VERIFIED = "Verified"
    BLOCKED = "Blocked"


class AgentType(StrEnum):
    # The caller without a token. v1.2 calls it "Bot" on the wire (and BOT in its error texts,
    # see services/access.py); it has nothing to do with the Telegram bot in pepeunit/bot/.
    ANONYMOUS = "Bot"
    USER = "User"
    UNIT = "Unit"
    BACKEND = "Backend"


class GitPlatform(StrEnum):
    GITLAB = "Gitlab"
    GITHUB = "Github"


class RepositoryRegistryStatus(StrEnum):
    UPDATED = "Updated"
    PROCESSING = "Processing"
    ERROR = "Error"


class CredentialStatus(StrEnum):
    VALID = "Valid"
    NOT_VERIFIED = "NotVerified"
    ERROR = "Error"


class UnitFirmwareUpdateStatus(StrEnum):
    REQUEST_SENT = "RequestSent"
    ERROR = "Error"
    SUCCESS = "Success"


class BackendTopicCommand(StrEnum):
    UPDATE = "Update"
    ENV_UPDATE = "EnvUpdate"
    SCHEMA_UPDATE = "SchemaUpdate"
    LOG_SYNC = "LogSync"


class LogLevel(StrEnum):
    DEBUG = "Debug"
    INFO = "Info"
    WARNING = "Warning"
    ERROR = "Error"
    CRITICAL = "Critical"


class UnitNodeTypeEnum(StrEnum):
    OUTPUT = "Output"
    INPUT = "Input"


class PermissionEntities(StrEnum):
    USER = "User"
    UNIT = "Unit"
    REPO = "Repo"
    UNIT_NODE = "UnitNode"


# DataPipe (per-node pipelines): values as v1.2 stores and sends them.
class DataPipeStage(StrEnum):
    ACTIVE_PERIOD = "ActivePeriod"
    FILTERS = "Filters"
    TRANSFORMATIONS = "Transformations"
    PROCESSING_POLICY = "ProcessingPolicy"


class DataPipeStatus(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"
    ERROR = "Error"


class ActivePeriodType(StrEnum):
    PERMANENT = "Permanent"
    FROM_DATE = "FromDate"
    TO_DATE = "ToDate"
    DATE_RANGE = "DateRange"


class TypeInputValue(StrEnum):
    TEXT = "Text"
    NUMBER = "Number"


class TypeValueFiltering(StrEnum):
    WHITE_LIST = "WhiteList"
    BLACK_LIST = "BlackList"


class TypeValueThreshold(StrEnum):
    MIN = "Min"
    MAX = "Max"
    RANGE = "Range"


class ProcessingPolicyType(StrEnum):
    LAST_VALUE = "LastValue"
    N_RECORDS = "NRecords"
    TIME_WINDOW = "TimeWindow"
    AGGREGATION = "Aggregation"


class AggregationFunctions(StrEnum):
    AVG = "Avg"
    MIN = "Min"
    MAX = "Max"
    SUM = "Sum"


class DashboardStatus(StrEnum):
    SUCCESS = "Success"
    PROCESSING = "Processing"
    ERROR = "Error"


class DashboardPanelTypeEnum(StrEnum):
    """Grafana panel plugin ids a dashboard panel may use (GraphQL: the NAME, REST and the DB: the value)."""

    TIME_SERIES = "timeseries"
    BAR_CHART = "barchart"
    STAT = "stat"
    GAUGE = "gauge"
    BAR_GAUGE = "bargauge"
    TABLE = "table"
    PIE_CHART = "piechart"
    STATE_TIMELINE = "state-timeline"
    HEATMAP = "heatmap"
    STATUS_HISTORY = "status-history"
    HISTOGRAM = "histogram"
    TEXT = "text"
    ALERT_LIST = "alertlist"
    DASHBOARD_LIST = "dashlist"
    NEWS = "news"
    ANNOTATION_LIST = "annolist"
    CANDLESTICK = "candlestick"
    CANVAS = "canvas"
    FLAME_GRAPH = "flamegraph"
    GEOMAP = "geomap"
    LOGS = "logs"
    HOURLY_HEATMAP = "marcusolsson-hourly-heatmap-panel"
    NODE_GRAPH = "nodeGraph"
    TRACES = "traces"
    TREND = "trend"
    XY_CHART = "xychart"
