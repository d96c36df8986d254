"""GraphQL door for staged rollouts (new, additive names): RolloutType, RolloutStageType,
getRollout, getRollouts, getRolloutPolicy, setRolloutPolicy, pauseRollout, resumeRollout, abortRollout."""
from __future__ import annotations

import graphene

from .. import models as m
from ..services.rollouts import control
from ..services.rollouts import policy as policies
from .common import CountedList, PageInput, agent, list_query, uuid_query

RolloutStatus = graphene.Enum.from_enum(m.RolloutStatus)
RolloutStageStatus = graphene.Enum.from_enum(m.RolloutStageStatus)
RolloutUnitStatus = graphene.Enum.from_enum(m.RolloutUnitStatus)


class RolloutPolicyType(graphene.ObjectType):
    repo_uuid = graphene.UUID(required=True)
    stages = graphene.List(graphene.NonNull(graphene.Int), required=True)
    failure_threshold = graphene.Float(required=True)
    stage_timeout_seconds = graphene.Int(required=True)
    auto_rollback = graphene.Boolean(required=True)
    baseline_commit = graphene.String()
    last_update_datetime = graphene.DateTime(required=True)


class RolloutUnitType(graphene.ObjectType):
    unit_uuid = graphene.UUID(required=True)
    status = RolloutUnitStatus(required=True)
    previous_commit = graphene.String()
    error = graphene.String()
    sent_at = graphene.DateTime()


class RolloutStageType(graphene.ObjectType):
    index = graphene.Int(required=True)
    percent = graphene.Int(required=True)
    status = RolloutStageStatus(required=True)
    started_at = graphene.DateTime()
    deadline_at = graphene.DateTime()
    finish_datetime = graphene.DateTime()
    succeeded = graphene.List(graphene.NonNull(graphene.UUID), required=True)
    failed = graphene.List(graphene.NonNull(graphene.UUID), required=True)
    waiting = graphene.List(graphene.NonNull(graphene.UUID), required=True)
    rolled_back = graphene.List(graphene.NonNull(graphene.UUID), required=True)
    units = graphene.List(graphene.NonNull(RolloutUnitType), required=True)


class RolloutType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    repo_uuid = graphene.UUID(required=True)
    status = RolloutStatus(required=True)
    from_commit = graphene.String()
    target_commit = graphene.String(required=True)
    target_tag = graphene.String()
    current_stage = graphene.Int(required=True)
    failure_threshold = graphene.Float(required=True)
    stage_timeout_seconds = graphene.Int(required=True)
    auto_rollback = graphene.Boolean(required=True)
    rolled_back = graphene.Boolean(required=True)
    halt_reason = graphene.String()
    create_datetime = graphene.DateTime(required=True)
    finish_datetime = graphene.DateTime()
    stages = graphene.List(graphene.NonNull(RolloutStageType), required=True)


class RolloutsResultType(CountedList, graphene.ObjectType):
    rollouts = graphene.List(graphene.NonNull(RolloutType), required=True)


class RolloutFilterInput(PageInput, graphene.InputObjectType):
    repo_uuid = graphene.UUID(default_value=None)
    status = graphene.List(graphene.NonNull(RolloutStatus), default_value=list(m.RolloutStatus))


class RolloutQuery(graphene.ObjectType):
    get_rollout = uuid_query(RolloutType, control.get)
    get_rollouts = list_query(RolloutsResultType, "rollouts", RolloutFilterInput, control.list_, control.RolloutFilter)
    get_rollout_policy = graphene.Field(RolloutPolicyType, repo_uuid=graphene.UUID(required=True))

    def resolve_get_rollout_policy(root, info, repo_uuid):
        return policies.get(agent(info), repo_uuid)


class SetRolloutPolicy(graphene.Mutation):
    """``stages`` null removes the policy (a running rollout is aborted; v1.2 all-at-once returns)."""

    class Arguments:
        repo_uuid = graphene.UUID(required=True)
        stages = graphene.List(graphene.NonNull(graphene.Int), default_value=None)
        failure_threshold = graphene.Float(default_value=0.0)
        stage_timeout_seconds = graphene.Int(default_value=3600)
        auto_rollback = graphene.Boolean(default_value=True)

    Output = RolloutPolicyType

    def mutate(root, info, repo_uuid, stages, failure_threshold, stage_timeout_seconds, auto_rollback):
        given = None if stages is None else policies.PolicyInput(
            list(stages), failure_threshold, stage_timeout_seconds, auto_rollback)
        return policies.set_policy(agent(info), repo_uuid, given)


def _rollout_action(call):
    def mutate(root, info, uuid):
        return call(agent(info), uuid)

    mutation = type(f"Rollout_{call.__name__}", (graphene.Mutation,), {
        "Arguments": type("Arguments", (), {"uuid": graphene.UUID(required=True)}),
        "Output": graphene.NonNull(RolloutType), "mutate": mutate})
    return mutation.Field()


class RolloutMutation(graphene.ObjectType):
    set_rollout_policy = SetRolloutPolicy.Field()
    pause_rollout = _rollout_action(control.pause)
    resume_rollout = _rollout_action(control.resume)
    abort_rollout = _rollout_action(control.abort)
