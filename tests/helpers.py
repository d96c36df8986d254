"""Small helpers the tests share: register, log in, call GraphQL."""
from __future__ import annotations

API = "/pepeunit/api/v1"
GRAPHQL = "/pepeunit/graphql"
PASSWORD = "password-123"


def register(client, login: str, password: str = PASSWORD) -> dict:
    response = client.post(f"{API}/users", json={"login": login, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def login(client, login: str, password: str = PASSWORD) -> str:
    response = client.post(f"{API}/users/auth", json={"credentials": login, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["token"]


def new_user(client, name: str) -> tuple[dict, str]:
    user = register(client, name)
    return user, login(client, name)


def auth(token: str | None) -> dict:
    return {"x-auth-token": token} if token else {}


def gql(client, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    response = client.post(GRAPHQL, json={"query": query, "variables": variables}, headers=auth(token))
    assert response.status_code == 200, response.data
    return response.get_json()


def gql_error(body: dict) -> str:
    assert body.get("errors"), body
    return body["errors"][0]["message"]
