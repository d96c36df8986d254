"""The one feature-flag check every Grafana operation starts with."""
from __future__ import annotations

from ...errors import FeatureFlagError
from ...extensions import get_settings


def enabled() -> bool:
    return get_settings().PU_FF_GRAFANA_INTEGRATION_ENABLE


def require_enabled() -> None:
    """Every Grafana operation answers v1.2's feature-flag error when PU_FF_GRAFANA_INTEGRATION_ENABLE is off."""
    if not enabled():
        raise FeatureFlagError()
