"""Root info, metrics over REST and GraphQL, OpenAPI and the interactive pages."""
from .helpers import API, GRAPHQL, gql, new_user, register


def test_root(client, settings):
    body = client.get("/pepeunit").get_json()
    assert body["name"] == "pepeunit-backend" and body["version"] == "1.2.0"
    assert body["swagger"] == f"http://{settings.PU_DOMAIN}/pepeunit/docs"
    assert body["graphql"] == f"http://{settings.PU_DOMAIN}/pepeunit/graphql"
    assert set(body["feature_flags"]) == {
        "pu_ff_telegram_bot_enable", "pu_ff_grafana_integration_enable", "pu_ff_datapipe_enable",
        "pu_ff_datapipe_default_last_value_enable", "pu_ff_prometheus_enable",
    }


def test_metrics_count_what_exists(client):
    empty = client.get(f"{API}/metrics/").get_json()
    assert empty == {"user_count": 0, "repository_registry_count": 0, "repo_count": 0,
                     "unit_count": 0, "unit_node_count": 0, "unit_node_edge_count": 0}
    register(client, "alice")
    _, token = new_user(client, "bob_2")
    assert client.get(f"{API}/metrics/", headers={"x-auth-token": token}).get_json()["user_count"] == 2
    body = gql(client, "{ getBaseMetrics { userCount repositoryRegistryCount repoCount unitCount unitNodeCount unitNodeEdgeCount } }")
    assert body["data"]["getBaseMetrics"]["userCount"] == 2
    assert client.get(f"{API}/metrics/", headers={"x-auth-token": "garbage"}).status_code == 403


def test_openapi_and_docs(client):
    spec = client.get(f"{API}/openapi.json")
    assert spec.status_code == 200
    document = spec.get_json()
    assert f"{API}/users" in document["paths"] and f"{API}/metrics/" in document["paths"]
    assert document["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "x-auth-token"
    docs = client.get("/pepeunit/docs")
    assert docs.status_code == 200 and b"swagger" in docs.data.lower()
    graphiql = client.get(GRAPHQL)
    assert graphiql.status_code == 200 and b"graphiql" in graphiql.data.lower()


def test_graphql_get_runs_queries_only(client):
    ok = client.get(GRAPHQL, query_string={"query": "{ getBaseMetrics { userCount } }"})
    assert ok.status_code == 200 and ok.get_json()["data"]["getBaseMetrics"]["userCount"] == 0
    refused = client.get(GRAPHQL, query_string={"query": "mutation { deleteUserCookies { isNone } }"})
    assert refused.status_code == 405
