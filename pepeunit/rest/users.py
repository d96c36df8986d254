"""REST door for users: ``/pepeunit/api/v1/users``."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from ..models import UserRole, UserStatus
from ..services import users as service
from .arguments import Blueprint
from .common import JSON_STRING_DOC, BaseSchema, action_route, current_agent, enum_field
from .listing import CountedList, PageArgs, enum_list, order_field, page_of, uuid_list

blp = Blueprint("users", __name__, url_prefix="/users", description="Users, login and verification")


class UserRead(BaseSchema):
    uuid = fields.UUID(required=True)
    role = enum_field(UserRole, required=True)
    status = enum_field(UserStatus, required=True)
    login = fields.String(required=True)
    grafana_org_name = fields.UUID(required=True)
    grafana_org_id = fields.String(allow_none=True)
    create_datetime = fields.DateTime(required=True)


class UserCreate(BaseSchema):
    login = fields.String(required=True)
    password = fields.String(required=True)


class UserAuth(BaseSchema):
    credentials = fields.String(required=True)
    password = fields.String(required=True)


class AccessToken(BaseSchema):
    token = fields.String(required=True)


class UserUpdate(BaseSchema):
    login = fields.String(load_default=None, allow_none=True)
    password = fields.String(load_default=None, allow_none=True)


class UserFilterArgs(PageArgs):
    uuids = uuid_list()
    search_string = fields.String(load_default=None)
    role = enum_list(UserRole)
    status = enum_list(UserStatus)
    order_by_create_date = order_field()


class UsersResult(CountedList):
    users = fields.List(fields.Nested(UserRead), required=True)


@blp.route("")
class Users(MethodView):
    @blp.arguments(UserCreate)
    @blp.response(201, UserRead)
    def post(self, body):
        """Register; the first user of the instance becomes Admin."""
        return service.create(current_agent(), body["login"], body["password"])

    @blp.arguments(UserFilterArgs, location="query")
    @blp.response(200, UsersResult)
    def get(self, args):
        """List users with filters, ordering and pagination."""
        return page_of(service.list_, service.UserFilter, args, "users")


@blp.route("/auth")
class Auth(MethodView):
    @blp.arguments(UserAuth)
    @blp.response(200, AccessToken)
    def post(self, body):
        """Log in with login (or Telegram chat id) and password; returns a JWT."""
        return {"token": service.issue_token(current_agent(), body["credentials"], body["password"])}


@blp.route("/generate_verification_link/")
class VerificationLink(MethodView):
    @blp.response(200)
    @blp.doc(**JSON_STRING_DOC)
    def get(self):
        """A one-time Telegram deep link that verifies the caller."""
        return service.create_verification_link(current_agent())


@blp.route("/<uuid:uuid>")
class UserByUuid(MethodView):
    @blp.response(200, UserRead)
    def get(self, uuid):
        """Get a user."""
        return service.get(current_agent(), uuid)

    @blp.arguments(UserUpdate)
    @blp.response(200, UserRead)
    def patch(self, body, uuid):
        """Update the caller's own login and/or password (the path uuid is not used)."""
        return service.update(current_agent(), body["login"], body["password"])


action_route(blp, "/block/<uuid:uuid>", "patch", service.block, "Block a user (Admin).")
action_route(blp, "/unblock/<uuid:uuid>", "patch", service.unblock, "Unblock a user (Admin).")
