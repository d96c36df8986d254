"""Hostile input for every Grafana REST operation with the integration on (the suite-wide fuzz in
tests/test_schemathesis.py runs with it off): no 5xx, every answer as documented."""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_grafana_routes_never_answer_5xx(app, grafana, panel_world, capsys):
    schema = schemathesis.openapi.from_wsgi("/pepeunit/api/v1/openapi.json", app).include(path_regex="/grafana/")
    operations = [result.ok() for result in schema.get_all_operations()]
    failures, sent = [], {"requests": 0}
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=15, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            for headers in ({}, {"x-auth-token": panel_world.owner_token}):
                sent["requests"] += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")
    with capsys.disabled():
        print(f"\ngrafana schemathesis: {len(operations)} operations, {sent['requests']} requests")
    assert len(operations) >= 14
    assert failures == []
    assert grafana.problems == []
