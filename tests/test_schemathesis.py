"""Hostile input for every REST operation, generated from our own OpenAPI document.

schemathesis builds requests from the schema (valid and invalid ones, through
hypothesis) and sends them, anonymously and with a user's token; no answer may
be a 5xx, and every answer must match the schema we publish for it. (The
schemathesis pytest plugin does not load under pytest 9, so the operations are
driven with hypothesis directly.)
"""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from .helpers import new_user

CASES_PER_OPERATION = 25
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def test_no_server_error_and_documented_responses(app, client, capsys):
    token = new_user(client, "fuzzer")[1]
    schema = schemathesis.openapi.from_wsgi("/pepeunit/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    sent = {"requests": 0}
    failures = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=CASES_PER_OPERATION, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            for headers in ({}, {"x-auth-token": token}):
                sent["requests"] += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {exc}")

    with capsys.disabled():
        print(f"\nschemathesis: {len(operations)} operations, {sent['requests']} requests")
    assert len(operations) >= 12
    assert failures == []
