"""Every agent × every visibility × every action on every entity, over REST and GraphQL.

The expected answers come from the table in ``access_table``; this module only
runs them against a world built with the real services (real PostgreSQL,
Redis, Mosquitto and git over HTTP) and reports every mismatch at once.
"""
from __future__ import annotations

import itertools
import uuid

import sqlalchemy as sa

from pepeunit.extensions import db
from pepeunit.models import PermissionEntities, Repo, Unit, UnitNode
from pepeunit.services import mqtt_auth, permissions, unit_node_edges, users

from .. import world
from ..helpers import API, GRAPHQL, auth
from . import access_table as table

DOORS = ("rest", "graphql", "hook")
PER_CHAIN = {"repo": 1, "unit": 1, "node": 4, "edge": 2, "registry": 1}
STRANGER_PUBLIC = {"repo": 1, "unit": 1, "node": 4, "edge": 0, "registry": 0}


def fill(template, target: dict):
    """Put the target's values into a template (strings, dicts, None)."""
    if template is None:
        return None
    if isinstance(template, dict):
        return {k: fill(v, target) for k, v in template.items()}
    if isinstance(template, str) and template.startswith("{") and template.endswith("}") and " " not in template:
        return target.get(template[1:-1], template)
    return template.format(**target) if isinstance(template, str) else template


class Matrix:
    def __init__(self, app, client, world):
        self.app, self.client, self.world = app, client, world
        self.cases = 0
        self.failures: list[str] = []

    # --- agents and answers ------------------------------------------------------
    def token(self, agent: str, column: str):
        if agent == "unit_self":
            return self.world.tokens[f"unit_self:{column if column in table.LEVELS else 'Public'}"]
        return self.world.tokens.get(agent)

    def message(self, answer: str, agent: str, entity_class: str) -> str:
        if answer[:3].isdigit():
            return answer
        text = answer.format(cls=table.AGENT_CLASS.get(agent, "AgentUser"), entity=entity_class,
                             unit_name=self.world.other_unit["name"])
        return f"403: 1: No Access: {text}"

    def record(self, ok: bool, label: str, got) -> None:
        self.cases += 1
        if not ok:
            self.failures.append(f"{label}: got {got}")

    # --- world upkeep ------------------------------------------------------------
    def fresh(self, action, column: str) -> dict:
        w, creator, permitted = self.world, self.world.agent("creator"), self.world.agent("permitted")
        with self.app.app_context():
            name = f"x{uuid.uuid4().hex[:10]}"
            if action.entity == "registry":
                private = column == "Private"
                return world.described(world.registry(creator, server=w.git_server, private=private,
                                                      credentials_for=(permitted,) if private else ()))
            chain = w.chains[column]
            if action.entity == "repo":
                repo = world.described(world.repo(creator, w.registries["Public"]["uuid"], column, name))
                world.grant_all(creator, permitted.uuid, repo["uuid"], None, ())
                return repo
            if action.entity == "unit":
                unit = world.described(world.unit(creator, chain.repo["uuid"], column, name))
                world.grant_all(creator, permitted.uuid, None, unit["uuid"], ())
                return unit
            if action.entity == "edge":
                unit_node_edges.create_edge(creator, chain.nodes["humidity"], chain.nodes["set_speed"])
                return {"output": chain.nodes["humidity"], "input": chain.nodes["set_speed"]}
        raise AssertionError(f"no fresh target for {action.entity}")

    def undo(self, action, target: dict) -> None:
        w = self.world
        with self.app.app_context():
            if action.undo == "edge":
                unit_node_edges.delete_edge(w.agent("creator"), target["spare_input"], target["output"])
            elif action.undo == "grant":
                permissions.delete(w.agent("creator"), target["grantee"], target["resource"])
            elif action.undo == "revoke":
                permissions.create(w.agent("creator"), PermissionEntities.USER, target["agent"],
                                   PermissionEntities.UNIT, target["resource"])
            elif action.undo == "unblock":
                users.unblock(w.agent("admin"), target["uuid"])
            db.session.remove()

    # --- one case ----------------------------------------------------------------
    def run(self, action, agent: str, column: str, door: str) -> None:
        answer = table.expected(action, agent, column)
        target = table.TARGETS[action.entity](self.world, column)
        if action.fresh and answer == table.OK:
            target = {**target, **self.fresh(action, column)}
        label = f"{door} {action.entity}.{action.name} [{column}] as {agent} (expected {answer!r})"
        headers = auth(self.token(agent, column))
        if door == "rest":
            ok, got = self._rest(action, target, headers, answer, agent)
        elif door == "hook":
            ok, got = self._hook(action, target, agent, column, answer)
        else:
            ok, got = self._graphql(action, target, headers, answer, agent)
        self.record(ok, label, got)
        if ok and answer == table.OK and action.undo:
            self.undo(action, target)

    def _rest(self, action, target, headers, answer, agent):
        call = action.rest
        response = self.client.open(API + fill(call.path, target), method=call.method, headers=headers,
                                    json=fill(call.json, target), query_string=fill(call.query, target))
        body = response.get_json(silent=True)
        got = (response.status_code, body if not isinstance(body, list) else f"[{len(body)} items]")
        if answer == table.OK:
            return response.status_code == call.status, got
        if answer in (table.PRESENT, table.ABSENT):
            if response.status_code != 200:
                return False, got
            key, _, id_field, target_key = action.items
            found = self._present(body[key], id_field, target, target_key, 0)
            return found == (answer == table.PRESENT), (found, got[0])
        expected = self.message(answer, agent, action.entity_class)
        detail = body.get("detail") if isinstance(body, dict) else None
        return (response.status_code, detail) == (int(expected[:3]), expected), got

    def _graphql(self, action, target, headers, answer, agent):
        variables = {k: fill(v, target) for k, v in action.gql.variables.items()}
        response = self.client.post(GRAPHQL, json={"query": action.gql.document, "variables": variables},
                                    headers=headers)
        body = response.get_json()
        errors = body.get("errors")
        got = errors[0]["message"] if errors else body.get("data")
        if response.status_code != 200:
            return False, (response.status_code, got)
        if answer == table.OK:
            return not errors, got
        if answer in (table.PRESENT, table.ABSENT):
            if errors:
                return False, got
            _, path, id_field, target_key = action.items
            rows = [body["data"][action.gql.field]]
            for step in path.split("."):
                rows = list(itertools.chain.from_iterable(r[step] for r in rows))
            found = self._present(rows, id_field, target, target_key, 1)
            return found == (answer == table.PRESENT), found
        return bool(errors) and got == self.message(answer, agent, action.entity_class), got

    def _hook(self, action, target, agent, column, answer):
        body = {"token": self.token(agent, column) or "", "topic": fill(action.hook.topic, target),
                "action": action.hook.action, "clientid": f"matrix-{agent}"}
        response = self.client.post(f"{API}/units/auth", json=body)
        got = (response.status_code, response.get_json())
        return got == (200, {"result": answer}), got

    @staticmethod
    def _present(rows, id_field, target, target_key, door_index) -> bool:
        wanted = target.get(target_key, target_key)
        if id_field is None:
            return wanted in rows
        field = id_field[door_index] if isinstance(id_field, tuple) else id_field
        return any(str(row[field]) == wanted for row in rows)

    # --- counts (metrics) ----------------------------------------------------------
    def expected_counts(self, agent: str) -> dict:
        counts = {}
        for field, kind in table.COUNTED.items():
            if kind == "user":
                counts[field] = len(self.world.users)
                continue
            profile = table.COUNT_PROFILE[kind]
            entity = "registry" if kind == "registry" else "unit"
            seen = [c for c in table.columns(entity) if self._answer(profile, agent, c, entity) == table.OK]
            counts[field] = PER_CHAIN[kind] * len(seen) + (STRANGER_PUBLIC[kind] if "Public" in seen else 0)
            counts[field] += table.COUNT_EXTRA.get(agent, {}).get(field, 0)
        return counts

    @staticmethod
    def _answer(profile, agent, column, entity):
        answer = profile if isinstance(profile, str) else profile[agent]
        return answer[table.columns(entity).index(column)] if isinstance(answer, tuple) else answer

    def run_counts(self) -> None:
        graphql_names = {k: "".join(p.title() if i else p for i, p in enumerate(k.split("_")))
                         for k in table.COUNTED}
        document = "{ getBaseMetrics { " + " ".join(graphql_names.values()) + " } }"
        for agent in table.AGENTS:
            headers = auth(self.token(agent, "Private"))
            rest = self.client.get(f"{API}/metrics/", headers=headers)
            graph = self.client.post(GRAPHQL, json={"query": document}, headers=headers).get_json()
            label = f"metrics as {agent}"
            if agent in table.TOKEN_FAILURES:
                expected = self.message(table.TOKEN_FAILURES[agent], agent, "")
                self.record(rest.status_code == 403 and rest.get_json()["detail"] == expected, "rest " + label,
                            rest.get_json())
                self.record(bool(graph.get("errors")) and graph["errors"][0]["message"] == expected,
                            "graphql " + label, graph)
                continue
            expected = self.expected_counts(agent)
            self.record(rest.get_json() == expected, f"rest {label} (expected {expected})", rest.get_json())
            served = graph["data"]["getBaseMetrics"] if graph.get("data") else graph
            self.record(served == {graphql_names[k]: v for k, v in expected.items()},
                        f"graphql {label} (expected {expected})", served)


def check_visibility_never_above_parent(app) -> list[str]:
    """After everything ran: no unit more visible than its repo, no node more visible than its unit."""
    with app.app_context():
        pairs = db.session.execute(
            sa.select(Unit.visibility_level, Repo.visibility_level).join(Repo, Repo.uuid == Unit.repo_uuid)).all()
        pairs += db.session.execute(
            sa.select(UnitNode.visibility_level, Unit.visibility_level).join(Unit, Unit.uuid == UnitNode.unit_uuid)
        ).all()
    return [f"child {child} under parent {parent}" for child, parent in pairs if child.rank < parent.rank]


def test_access_matrix(app, client, git_server, repo_cache):
    mqtt_auth.forget_local_decisions()
    matrix = Matrix(app, client, world.access_world(app, git_server))
    matrix.run_counts()
    for action in table.ACTIONS:
        for column in table.columns(action.entity):
            for agent in table.AGENTS:
                for door in DOORS:
                    if getattr(action, {"graphql": "gql"}.get(door, door)):
                        matrix.run(action, agent, column, door)
    inheritance = check_visibility_never_above_parent(app)
    print(f"\naccess matrix: {matrix.cases} cases run, {len(matrix.failures)} mismatches")
    assert not inheritance, inheritance
    assert matrix.cases > 2000
    assert not matrix.failures, f"{len(matrix.failures)} of {matrix.cases} cases differ:\n" + "\n".join(
        matrix.failures[:80])
