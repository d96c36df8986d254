"""``GET /pepeunit``: what this instance is and which features it has."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .. import __version__
from ..extensions import get_settings

blp = Blueprint("root", __name__)


@blp.get("")
def root():
    settings = get_settings()
    return jsonify(
        name="pepeunit-backend",
        version=__version__,
        description="Pepeunit - Federated IoT Platform",
        license="AGPL v3 License",
        authors=[{"name": "Pepeunit Flask backend contributors", "email": ""}],
        swagger=f"{settings.link_prefix}/docs",
        graphql=f"{settings.link_prefix}/graphql",
        grafana=f"{settings.link}/grafana/",
        telegram_bot=settings.PU_TELEGRAM_BOT_LINK,
        feature_flags=settings.feature_flags,
    )
