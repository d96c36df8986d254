"""REST door for the repository registry: ``/pepeunit/api/v1/repository_registry``."""
from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from marshmallow import fields

from ..models import CredentialStatus, GitPlatform, RepositoryRegistryStatus
from ..services import repository_registry as service
from .arguments import Blueprint
from .common import BaseSchema, action_route, current_agent, enum_field
from .listing import CountedList, PageArgs, order_field, page_of, uuid_list

blp = Blueprint("repository_registry", __name__, url_prefix="/repository_registry",
                description="One local clone per external git repository, and users' credentials for it")


class RepositoryRegistryRead(BaseSchema):
    uuid = fields.UUID(required=True)
    platform = enum_field(GitPlatform, required=True)
    repository_url = fields.String(required=True)
    is_public_repository = fields.Boolean(required=True)
    releases_data = fields.String(allow_none=True)
    local_repository_size = fields.Integer(required=True)
    sync_status = enum_field(RepositoryRegistryStatus, allow_none=True)
    sync_error = fields.String(allow_none=True)
    sync_last_datetime = fields.DateTime(allow_none=True)
    create_datetime = fields.DateTime(required=True)
    last_update_datetime = fields.DateTime(required=True)
    creator_uuid = fields.UUID(allow_none=True)
    branches = fields.Function(lambda registry: service.visible_branches(current_agent(), registry), dump_only=True,
                               metadata={"type": "array", "items": {"type": "string"},
                                         "description": "branches of the local clone; [] if unreadable, "
                                                        "or private and the caller has no valid credentials"})


class Credentials(BaseSchema):
    username = fields.String(required=True)
    pat_token = fields.String(required=True)


class RegistryCreate(BaseSchema):
    platform = fields.String(required=True, metadata={"description": "Gitlab or Github"})
    repository_url = fields.String(required=True)
    is_public_repository = fields.Boolean(required=True)
    credentials = fields.Nested(Credentials, allow_none=True, load_default=None)


class CommitArgs(BaseSchema):
    repo_branch = fields.String(required=True)
    only_tag = fields.Boolean(load_default=False)
    offset = fields.Integer(load_default=0)
    limit = fields.Integer(load_default=service.DEFAULT_COMMITS_LIMIT)


class CommitRead(BaseSchema):
    commit = fields.String(required=True)
    summary = fields.String(required=True)
    tag = fields.String(allow_none=True)


class CredentialsRead(BaseSchema):
    credentials = fields.Nested(Credentials, required=True)
    status = enum_field(CredentialStatus, required=True)


class RegistryFilterArgs(PageArgs):
    uuids = uuid_list()
    creator_uuid = fields.UUID(load_default=None)
    search_string = fields.String(load_default=None)
    is_public_repository = fields.Boolean(load_default=None)
    order_by_create_date = order_field()
    order_by_last_update = order_field()


class RegistriesResult(CountedList):
    repositories_registry = fields.List(fields.Nested(RepositoryRegistryRead), required=True)


@blp.route("")
class Registries(MethodView):
    @blp.arguments(RegistryCreate)
    @blp.response(201, RepositoryRegistryRead)
    def post(self, body):
        """Register an external repository: cloned now, refused (nothing kept) if that fails."""
        return service.create(current_agent(), body["platform"], body["repository_url"],
                              body["is_public_repository"], body["credentials"])

    @blp.arguments(RegistryFilterArgs, location="query")
    @blp.response(200, RegistriesResult)
    def get(self, args):
        """List registry entries (anonymous callers see public ones only)."""
        return page_of(service.list_, service.RegistryFilter, args, "repositories_registry")


@blp.route("/<uuid:uuid>")
class RegistryByUuid(MethodView):
    @blp.response(200, RepositoryRegistryRead)
    def get(self, uuid):
        """Get a registry entry."""
        return service.get(current_agent(), uuid)

    @blp.response(204)
    def delete(self, uuid):
        """Delete an entry and its clone (creator only; refused while repos use it)."""
        service.delete(current_agent(), uuid)


@blp.route("/branch_commits/<uuid:uuid>")
class BranchCommits(MethodView):
    @blp.arguments(CommitArgs, location="query")
    @blp.response(200, CommitRead(many=True))
    def get(self, args, uuid):
        """Commits of a branch, newest first, with their tags (offset 0, limit 10 by default)."""
        return service.branch_commits(current_agent(), uuid, args["repo_branch"], args["only_tag"],
                                      args["offset"], args["limit"])


@blp.route("/set_credentials/<uuid:uuid>")
class SetCredentials(MethodView):
    @blp.arguments(Credentials)
    @blp.response(204)
    def patch(self, body, uuid):
        """Store the caller's credentials for a private entry (checked live)."""
        service.set_credentials(current_agent(), uuid, body["username"], body["pat_token"])


@blp.route("/get_credentials/<uuid:uuid>")
class GetCredentials(MethodView):
    @blp.response(200, CredentialsRead)
    def get(self, uuid):
        """The caller's own credentials for a private entry, or null."""
        found = service.get_credentials(current_agent(), uuid)
        return found if found is not None else jsonify(None)


action_route(blp, "/update_local_repository/<uuid:uuid>", "patch", service.update_local_repository,
             "Fetch the remote into the local clone now.")
action_route(blp, "/backend_sync_registry", "patch", service.backend_sync_missing,
             "Backend token only: clone every entry whose local clone is missing.")
