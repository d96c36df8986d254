"""REST door for staged rollouts: ``/repos/{uuid}/rollouts`` (list, policy) and ``/rollouts/{uuid}`` (+ actions)."""
from __future__ import annotations

from flask import jsonify
from flask.views import MethodView
from marshmallow import fields

from ..models import RolloutStageStatus, RolloutStatus, RolloutUnitStatus
from ..services.rollouts import control
from ..services.rollouts import policy as policies
from .arguments import Blueprint
from .common import BaseSchema, current_agent, enum_field
from .listing import CountedList, PageArgs, enum_list

repo_blp = Blueprint("repo_rollouts", __name__, url_prefix="/repos",
                     description="Staged firmware rollouts of a repo, and its rollout policy")
blp = Blueprint("rollouts", __name__, url_prefix="/rollouts", description="One staged firmware rollout")


class PolicyWrite(BaseSchema):
    stages = fields.List(fields.Integer(strict=True), required=True,
                         metadata={"description": "cumulative percentages of the repo's units, ending at 100"})
    failure_threshold = fields.Float(required=True, metadata={"description": "share of Error (0-1) that halts"})
    stage_timeout_seconds = fields.Integer(strict=True, required=True)
    auto_rollback = fields.Boolean(required=True)


class PolicyRead(PolicyWrite):
    repo_uuid = fields.UUID(required=True)
    baseline_commit = fields.String(allow_none=True)
    last_update_datetime = fields.DateTime(required=True)


NULLABLE_POLICY_DOC = {"responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
    "allOf": [{"$ref": "#/components/schemas/PolicyRead"}], "nullable": True}}}}}}


class RolloutUnitRead(BaseSchema):
    unit_uuid = fields.UUID(required=True)
    status = enum_field(RolloutUnitStatus, required=True)
    previous_commit = fields.String(allow_none=True)
    error = fields.String(allow_none=True)
    sent_at = fields.DateTime(allow_none=True)


class RolloutStageRead(BaseSchema):
    index = fields.Integer(required=True)
    percent = fields.Integer(required=True)
    status = enum_field(RolloutStageStatus, required=True)
    started_at = fields.DateTime(allow_none=True)
    deadline_at = fields.DateTime(allow_none=True)
    finish_datetime = fields.DateTime(allow_none=True)
    succeeded = fields.List(fields.UUID(), required=True)
    failed = fields.List(fields.UUID(), required=True)
    waiting = fields.List(fields.UUID(), required=True)
    rolled_back = fields.List(fields.UUID(), required=True)
    units = fields.List(fields.Nested(RolloutUnitRead), required=True)


class RolloutRead(BaseSchema):
    uuid = fields.UUID(required=True)
    repo_uuid = fields.UUID(required=True)
    status = enum_field(RolloutStatus, required=True)
    from_commit = fields.String(allow_none=True)
    target_commit = fields.String(required=True)
    target_tag = fields.String(allow_none=True)
    current_stage = fields.Integer(required=True, metadata={"description": "index of the started stage, -1: none"})
    failure_threshold = fields.Float(required=True)
    stage_timeout_seconds = fields.Integer(required=True)
    auto_rollback = fields.Boolean(required=True)
    rolled_back = fields.Boolean(required=True)
    halt_reason = fields.String(allow_none=True)
    create_datetime = fields.DateTime(required=True)
    finish_datetime = fields.DateTime(allow_none=True)
    stages = fields.List(fields.Nested(RolloutStageRead), required=True)


class RolloutListArgs(PageArgs):
    status = enum_list(RolloutStatus)


class RolloutsResult(CountedList):
    rollouts = fields.List(fields.Nested(RolloutRead), required=True)


@repo_blp.route("/<uuid:uuid>/rollouts")
class RepoRollouts(MethodView):
    @repo_blp.arguments(RolloutListArgs, location="query")
    @repo_blp.response(200, RolloutsResult)
    def get(self, args, uuid):
        """The repo's rollouts, newest first (anyone who sees the repo)."""
        filters = control.RolloutFilter(page=control.Page(args.get("offset"), args.get("limit")), repo_uuid=uuid,
                                        status=args["status"])
        count, rows = control.list_(current_agent(), filters)
        return {"count": count, "rollouts": rows}


@repo_blp.route("/<uuid:uuid>/rollouts/policy")
class RepoRolloutPolicy(MethodView):
    @repo_blp.response(200)
    @repo_blp.doc(**NULLABLE_POLICY_DOC)
    def get(self, uuid):
        """The repo's rollout policy; ``null`` when the repo updates all its units at once (v1.2)."""
        policy = policies.get(current_agent(), uuid)
        return jsonify(None if policy is None else PolicyRead().dump(policy))

    @repo_blp.arguments(PolicyWrite)
    @repo_blp.response(200, PolicyRead)
    def put(self, body, uuid):
        """Set the policy (creator or Admin): the next target version rolls out in stages."""
        return policies.set_policy(current_agent(), uuid, policies.PolicyInput(**body))

    @repo_blp.response(204)
    def delete(self, uuid):
        """Remove the policy (creator or Admin): a running rollout is aborted, v1.2 behaviour returns."""
        policies.set_policy(current_agent(), uuid, None)


@blp.route("/<uuid:uuid>")
class RolloutByUuid(MethodView):
    @blp.response(200, RolloutRead)
    def get(self, uuid):
        """A rollout with, per stage, the units that succeeded, failed or are waiting."""
        return control.get(current_agent(), uuid)


def _action(name: str, call, summary: str) -> None:
    def post(self, uuid):
        return call(current_agent(), uuid)

    post.__doc__ = summary
    blp.route(f"/<uuid:uuid>/{name}")(type(f"Rollout{name.title()}", (MethodView,),
                                           {"post": blp.response(200, RolloutRead)(post)}))


_action("pause", control.pause, "Pause a running rollout (creator or Admin): no stage starts, no timeout runs.")
_action("resume", control.resume, "Resume a paused rollout (creator or Admin).")
_action("abort", control.abort, "Abort a running or paused rollout (creator or Admin): no more units are updated.")
