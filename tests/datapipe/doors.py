"""The DataPipe config operations over REST and over GraphQL behind one interface, so each test runs on both.

Every call answers either the result or the error text (REST ``detail``, GraphQL ``message``);
stages are v1.2's values (``Filters``), whatever the door spells.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from pepeunit.models import DataPipeStage
from tests.helpers import API, GRAPHQL, auth

CONFIGS = Path(__file__).parent / "configs"


def config_bytes(name: str) -> bytes:
    return (CONFIGS / f"{name}.yaml").read_bytes()


class RestDoor:
    name = "rest"

    def __init__(self, client):
        self.client = client

    def check(self, raw: bytes, token=None):
        response = self.client.post(f"{API}/unit_nodes/check_data_pipe_config", headers=auth(token),
                                    data={"data": (io.BytesIO(raw), "config.yaml")}, content_type="multipart/form-data")
        body = response.get_json()
        if response.status_code != 200:
            return _status_matches(response, body["detail"])
        return [(item["stage"], item["message"]) for item in body]

    def set(self, uuid, raw: bytes, token=None):
        response = self.client.post(f"{API}/unit_nodes/set_data_pipe_config", query_string={"uuid": str(uuid)},
                                    headers=auth(token), data={"data": (io.BytesIO(raw), "config.yaml")},
                                    content_type="multipart/form-data")
        if response.status_code == 204:
            return None
        return _status_matches(response, response.get_json()["detail"])

    def get(self, uuid, token=None):
        response = self.client.get(f"{API}/unit_nodes/get_data_pipe_config/{uuid}", headers=auth(token))
        if response.status_code == 200:
            assert response.mimetype == "text/plain"
            return response.get_data(as_text=True)
        return _status_matches(response, response.get_json()["detail"])


class GraphqlDoor:
    name = "graphql"

    def __init__(self, client):
        self.client = client

    def _upload(self, query: str, variables: dict, raw: bytes, token):
        operations = {"query": query, "variables": {**variables, "file": None}}
        response = self.client.post(GRAPHQL, headers=auth(token), content_type="multipart/form-data", data={
            "operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]}),
            "0": (io.BytesIO(raw), "config.yaml")})
        assert response.status_code == 200, response.data
        return response.get_json()

    def check(self, raw: bytes, token=None):
        body = self._upload("query($file: Upload!) { checkDataPipeConfig(file: $file) { stage message } }", {},
                            raw, token)
        if body.get("errors"):
            return body["errors"][0]["message"]
        return [(DataPipeStage[item["stage"]].value, item["message"]) for item in body["data"]["checkDataPipeConfig"]]

    def set(self, uuid, raw: bytes, token=None):
        body = self._upload("mutation($u: UUID!, $file: Upload!) { setDataPipeConfig(uuid: $u, file: $file) "
                            "{ isNone } }", {"u": str(uuid)}, raw, token)
        if body.get("errors"):
            return body["errors"][0]["message"]
        assert body["data"]["setDataPipeConfig"] == {"isNone": True}
        return None

    def get(self, uuid, token=None):
        response = self.client.post(GRAPHQL, headers=auth(token), json={
            "query": "query($u: UUID!) { getDataPipeConfig(uuid: $u) }", "variables": {"u": str(uuid)}})
        body = response.get_json()
        if body.get("errors"):
            return body["errors"][0]["message"]
        return body["data"]["getDataPipeConfig"]


def _status_matches(response, detail):
    """A REST error's HTTP status is the one its text starts with."""
    if isinstance(detail, str):
        assert detail.startswith(f"{response.status_code}: "), (response.status_code, detail)
    return detail


DOORS = {"rest": RestDoor, "graphql": GraphqlDoor}
