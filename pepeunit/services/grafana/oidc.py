"""Pepeunit as the OAuth 2 provider of Grafana's generic OAuth login (datapipe-grafana.md §7.6),
built on Authlib's authorization server.

The flow Grafana runs: the browser, holding our ``PepeunitGrafana`` cookie, is sent to
``authorize`` with Grafana's ``client_id``, ``redirect_uri``, ``scope``, ``state`` (and PKCE when
Grafana is configured for it); we answer a redirect with a code. Grafana's server then trades
the code at ``token`` (authenticated with the client secret) and reads the user's claims at
``userinfo`` with the access token.

Unlike v1.2 (Q26): only the configured client with its secret, only Grafana's
``<PU_GRAFANA_URL>/login/generic_oauth`` redirect, codes single use for 60 s and bound to the
client and redirect URI, PKCE checked when the authorization request carried a challenge,
``state`` URL-encoded, an access token distinct from the code whose ``expires_in`` is true,
and a blocked user refused at every step. Codes and tokens live in Redis, so any worker
answers any step.
"""
from __future__ import annotations

import json
import time
import uuid as uuid_module

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import AuthorizationCodeMixin, ClientMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator, InvalidTokenError
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import current_app

from ...errors import GrafanaError
from ...extensions import db, get_redis, get_settings
from ...models import User, UserStatus
from .api_client import GrafanaApiError
from .cookie import user_from_cookie
from .feature import require_enabled
from .orgs import ORG_ROLE, ensure_org

CODE_TTL = 60  # seconds
ACCESS_TOKEN_TTL = 3600
SCOPES = ("openid", "profile", "email")
CODE_KEY = "pepeunit:grafana:oidc:code:{}"
TOKEN_KEY = "pepeunit:grafana:oidc:token:{}"
_SERVER = "pepeunit_grafana_oidc"


def redirect_uri(settings) -> str:
    return settings.grafana_url + "/login/generic_oauth"


class GrafanaClient(ClientMixin):
    """The one client: Grafana, as configured by ``PU_GRAFANA_OIDC_CLIENT_ID``/``SECRET``."""

    def __init__(self, settings):
        self.client_id = settings.PU_GRAFANA_OIDC_CLIENT_ID
        self.secret = settings.PU_GRAFANA_OIDC_CLIENT_SECRET
        self.redirect_uri = redirect_uri(settings)

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uri

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri == self.redirect_uri

    def check_client_secret(self, client_secret):
        return bool(self.secret) and client_secret == self.secret

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class StoredCode(AuthorizationCodeMixin):
    def __init__(self, data: dict):
        self.data = data
        self.code_challenge = data.get("code_challenge")
        self.code_challenge_method = data.get("code_challenge_method")

    def get_redirect_uri(self):
        return self.data["redirect_uri"]

    def get_scope(self):
        return self.data["scope"]

    def get_nonce(self):
        return self.data.get("nonce")

    def get_auth_time(self):
        return int(self.data["auth_time"])


def _live_user(user_uuid) -> User | None:
    user = db.session.get(User, uuid_module.UUID(user_uuid))
    return None if user is None or user.status is UserStatus.BLOCKED else user


class GrafanaCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        payload = request.payload
        data = {
            "client_id": request.client.get_client_id(),
            "redirect_uri": payload.redirect_uri,
            "scope": request.scope,
            "nonce": payload.data.get("nonce"),
            "user_uuid": str(request.user.uuid),
            "code_challenge": payload.data.get("code_challenge"),
            "code_challenge_method": payload.data.get("code_challenge_method"),
            "auth_time": time.time(),
        }
        get_redis().set(CODE_KEY.format(code), json.dumps(data), ex=CODE_TTL)

    def query_authorization_code(self, code, client):
        """Taken out of Redis on first use (GETDEL), so a code works once even when two token
        requests race; a code of another client or older than 60 s is no code."""
        raw = get_redis().getdel(CODE_KEY.format(code))
        if raw is None:
            return None
        data = json.loads(raw)
        if data["client_id"] != client.get_client_id() or time.time() - data["auth_time"] > CODE_TTL:
            return None
        return StoredCode(data)

    def delete_authorization_code(self, authorization_code):
        """Nothing left to delete: ``query_authorization_code`` took it."""

    def authenticate_user(self, authorization_code):
        return _live_user(authorization_code.data["user_uuid"])


def _query_client(client_id):
    client = GrafanaClient(get_settings())
    return client if client_id == client.client_id else None


def _save_token(token, request):
    record = {"user_uuid": str(request.user.uuid), "client_id": request.client.get_client_id(),
              "scope": token.get("scope", ""), "issued_at": time.time(), "expires_in": token["expires_in"]}
    get_redis().set(TOKEN_KEY.format(token["access_token"]), json.dumps(record), ex=int(token["expires_in"]))


class AccessToken:
    def __init__(self, record: dict):
        self.record = record

    def get_scope(self):
        return self.record["scope"]

    def is_expired(self):
        return time.time() > self.record["issued_at"] + self.record["expires_in"]

    def is_revoked(self):
        return False


class RedisTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        raw = get_redis().get(TOKEN_KEY.format(token_string))
        return AccessToken(json.loads(raw)) if raw is not None else None

    def validate_token(self, token, scopes, request):
        super().validate_token(token, scopes, request)
        if _live_user(token.record["user_uuid"]) is None:
            raise InvalidTokenError()


def server() -> AuthorizationServer:
    """This app's Authlib server, made on first use (its settings come from the app)."""
    app = current_app
    if _SERVER not in app.extensions:
        app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"authorization_code": ACCESS_TOKEN_TTL})
        authorization = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
        authorization.register_grant(GrafanaCodeGrant, [CodeChallenge(required=False)])
        protector = ResourceProtector()
        protector.register_token_validator(RedisTokenValidator())
        app.extensions[_SERVER] = (authorization, protector)
    return app.extensions[_SERVER][0]


def _protector() -> ResourceProtector:
    server()
    return current_app.extensions[_SERVER][1]


# --- the three endpoints (the REST door calls these) ------------------------------------------
def authorize(cookie_value: str | None):
    """Validate Grafana's request, then the browser's user; answer the redirect with a code."""
    require_enabled()
    authorization = server()
    try:
        grant = authorization.get_consent_grant()
    except OAuth2Error as error:
        return authorization.handle_error_response(authorization.create_oauth2_request(None), error)
    user = user_from_cookie(cookie_value)
    try:
        ensure_org(user)
    except GrafanaApiError as exc:
        raise GrafanaError(f"Grafana organisation is not ready: {exc}") from None
    return authorization.create_authorization_response(grant_user=user, grant=grant)


def token():
    require_enabled()
    return server().create_token_response()


def claims_of(user: User) -> dict:
    return {"sub": str(user.uuid), "name": user.login, "email": user.login, "role": ORG_ROLE,
            "organization": str(user.grafana_org_name)}


def userinfo():
    """The claims Grafana maps (``login_attribute_path=name``, ``role_attribute_path=role``, ...)."""
    require_enabled()
    try:
        access_token = _protector().acquire_token()
    except OAuth2Error as error:
        return server().handle_error_response(None, error)
    return claims_of(_live_user(access_token.record["user_uuid"]))
