"""The GraphQL door (graphene): schema and HTTP view."""
from __future__ import annotations

from ..extensions import get_settings


def init_graphql(app) -> None:
    from .view import blp

    app.register_blueprint(blp, url_prefix=get_settings(app).PU_APP_PREFIX + "/graphql")
