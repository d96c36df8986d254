"""GraphQL door for users."""
from __future__ import annotations

import graphene

from .. import models as m
from ..services import users as service
from ..services.grafana import cookie as grafana_cookie
from .common import CountedList, PageInput, agent, input_action, list_query, uuid_action, uuid_query
from .enums import OrderByDate, UserRole, UserStatus, enum_list
from .grafana import DeleteUserCookies, SetGrafanaCookies, set_grafana_cookie


class UserType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    role = UserRole(required=True)
    status = UserStatus(required=True)
    login = graphene.String(required=True)
    grafana_org_name = graphene.UUID(required=True)
    grafana_org_id = graphene.String()
    create_datetime = graphene.DateTime(required=True)


class UsersResultType(CountedList, graphene.ObjectType):
    users = graphene.List(graphene.NonNull(UserType), required=True)


class UserAuthInput(graphene.InputObjectType):
    credentials = graphene.String(required=True)
    password = graphene.String(required=True)


class UserCreateInput(graphene.InputObjectType):
    login = graphene.String(required=True)
    password = graphene.String(required=True)


class UserUpdateInput(graphene.InputObjectType):
    login = graphene.String(default_value=None)
    password = graphene.String(default_value=None)


class UserFilterInput(PageInput, graphene.InputObjectType):
    uuids = graphene.List(graphene.NonNull(graphene.UUID), default_value=[])
    search_string = graphene.String(default_value=None)
    role = enum_list(UserRole, m.UserRole)
    status = enum_list(UserStatus, m.UserStatus)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)


class UserQuery(graphene.ObjectType):
    get_user = uuid_query(UserType, service.get)
    get_token = graphene.String(required=True, data=UserAuthInput(required=True))
    get_verification_user = graphene.String(required=True)
    get_users = list_query(UsersResultType, "users", UserFilterInput, service.list_, service.UserFilter)

    def resolve_get_token(root, info, data):
        token = service.issue_token(agent(info), data.credentials, data.password)
        value = grafana_cookie.cookie_after_login(token)
        if value:
            set_grafana_cookie(value)
        return token

    def resolve_get_verification_user(root, info):
        return service.create_verification_link(agent(info))


class UpdateUser(graphene.Mutation):
    class Arguments:
        user = UserUpdateInput(required=True)

    Output = graphene.NonNull(UserType)

    def mutate(root, info, user):
        return service.update(agent(info), user.get("login"), user.get("password"))


class UserMutation(graphene.ObjectType):
    create_user = input_action(UserType, service.create, "user", UserCreateInput)
    update_user = UpdateUser.Field()
    set_grafana_cookies = SetGrafanaCookies.Field()
    block_user = uuid_action(service.block)
    unblock_user = uuid_action(service.unblock)
    delete_user_cookies = DeleteUserCookies.Field()
