"""The GraphQL door (graphene): schema and HTTP view."""
from __future__ import annotations


def init_graphql(app) -> None:
    from .view import blp

    app.register_blueprint(blp, url_prefix=app.config["PU_SETTINGS"].PU_APP_PREFIX + "/graphql")
