"""Deep, huge or fragment-bomb documents are refused; introspection keeps working."""
from pepeunit.graphql import limits

from ..helpers import GRAPHQL, gql, new_user

INTROSPECTION = """
query IntrospectionQuery { __schema { queryType { name } mutationType { name }
  types { ...FullType } directives { name locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description
  fields(includeDeprecated: true) { name args { ...InputValue } type { ...TypeRef } isDeprecated }
  inputFields { ...InputValue } interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name }
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
"""


def test_full_introspection_is_allowed(client):
    body = gql(client, INTROSPECTION)
    assert "errors" not in body and body["data"]["__schema"]["queryType"]["name"] == "Query"


def test_too_deep_is_refused_before_validation(client):
    depth = limits.MAX_DEPTH + 1
    query = "query { " + "a { " * depth + "b" + " }" * depth + " }"
    body = client.post(GRAPHQL, json={"query": query}).get_json()
    assert body["errors"][0]["message"] == f"Query is too deep: depth {depth + 1}, the limit is {limits.MAX_DEPTH}."
    at_limit = "query { " + "a { " * (limits.MAX_DEPTH - 1) + "b" + " }" * (limits.MAX_DEPTH - 1) + " }"
    message = client.post(GRAPHQL, json={"query": at_limit}).get_json()["errors"][0]["message"]
    assert message == "Cannot query field 'a' on type 'Query'."  # passed the limit, failed the schema


def test_real_queries_pass(client):
    _, token = new_user(client, "alice")
    body = gql(client, "{ getUsers(filters: {}) { count users { login role } } }", token=token)
    assert body["data"]["getUsers"]["count"] == 1


def test_fragment_bomb_is_refused(client):
    fragments = ["fragment F0 on BaseMetricsType { userCount repoCount }"]
    for i in range(1, 12):
        fragments.append(f"fragment F{i} on BaseMetricsType {{ ...F{i-1} a{i}: userCount ...F{i-1} }}")
    query = "{ getBaseMetrics { ...F11 } } " + " ".join(fragments)
    body = client.post(GRAPHQL, json={"query": query}).get_json()
    assert body["errors"][0]["message"].startswith("Query selects too many fields")


def test_huge_query_is_refused(client):
    query = "{ getBaseMetrics { " + " ".join(f"a{i}: userCount" for i in range(3000)) + " } }"
    body = client.post(GRAPHQL, json={"query": query}).get_json()
    assert body["errors"][0]["message"].startswith("Query is too large")
