"""``GET /pepeunit/metrics`` of a real 3-worker gunicorn: exact sums over the workers, bounded labels,
a dead worker's gauges dropped, parsed with prometheus_client's own parser; 404 with the flag off."""
from __future__ import annotations

import collections
import glob
import os
import signal
import tempfile
import uuid

import requests
from prometheus_client.parser import text_string_to_metric_families

from ..helpers import API, GRAPHQL, make_test_environ, wait_until
from ..processes import Gunicorn

HOOK = f"{API}/units/auth"


def scrape(server) -> dict:
    """family name -> list of samples."""
    response = requests.get(server.url + "/pepeunit/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def values(families: dict, sample_name: str, *label_names: str, nonzero: bool = False) -> dict:
    """{(label values...): value} of one sample name (only the non-zero ones with ``nonzero``:
    some series are created at 0 in advance, such as every hook decision)."""
    out = {}
    for samples in families.values():
        for sample in samples:
            if sample.name == sample_name and (sample.value or not nonzero):
                out[tuple(sample.labels.get(name) for name in label_names)] = sample.value
    return out


def send_known_traffic(server) -> collections.Counter:
    """Requests on four routes; returns what they answered, as (route, method, status) -> count."""
    sent = collections.Counter()
    first, second = uuid.uuid4(), uuid.uuid4()
    for unit_uuid in [first] * 6 + [second] * 5:  # two uuids, one route template
        answer = requests.get(f"{server.url}{API}/units/{unit_uuid}", timeout=10)
        sent[(f"{API}/units/{{uuid}}", "GET", str(answer.status_code))] += 1
    for query in ["{ __typename }"] * 4 + ["{ noSuchField }"] * 2:
        answer = requests.post(server.url + GRAPHQL, json={"query": query}, timeout=10)
        sent[(GRAPHQL, "POST", str(answer.status_code))] += 1
    for body in [b"not json"] * 3 + [b'{"token": "not-a-jwt", "topic": "a/b", "action": "publish"}'] * 4:
        answer = requests.post(server.url + HOOK, data=body, headers={"Content-Type": "application/json"}, timeout=10)
        assert answer.json() == {"result": "deny"}
        sent[(HOOK, "POST", "200")] += 1
    for _ in range(3):
        answer = requests.get(f"{server.url}{API}/no_such_thing/{uuid.uuid4()}", timeout=10)
        assert answer.status_code == 404
        sent[("<unmatched>", "GET", "404")] += 1
    return sent, (first, second)


def test_a_scrape_sums_every_worker_exactly(app, database_url, redis_url, tmp_path):
    environ = make_test_environ(database_url, redis_url, PU_FF_PROMETHEUS_ENABLE="true",
                                PU_PROMETHEUS_MULTIPROC_DIR=tmp_path / "prometheus", PU_LEADER_LEASE_SECONDS=2)
    with Gunicorn(environ, workers=3) as server:
        sent, uuids = send_known_traffic(server)
        families = scrape(server)

        requests_by_route = values(families, "pepeunit_http_requests_total", "route", "method", "status")
        for key, count in sent.items():
            assert requests_by_route.get(key) == count, (key, requests_by_route)
        latency_counts = values(families, "pepeunit_http_request_duration_seconds_count", "route", "method")
        assert latency_counts[(f"{API}/units/{{uuid}}", "GET")] == 11
        assert latency_counts[(HOOK, "POST")] == 7

        assert values(families, "pepeunit_graphql_operations_total", "operation_type", "outcome", nonzero=True) == {
            ("query", "ok"): 4, ("invalid", "error"): 2}
        assert values(families, "pepeunit_mqtt_auth_decisions_total", "decision", nonzero=True) == {
            ("malformed",): 3, ("deny",): 4}

        # Bounded labels: no raw uuid anywhere, one route for both units.
        text = requests.get(server.url + "/pepeunit/metrics", timeout=10).text
        assert not any(str(u) in text for u in uuids)
        assert [r for r, _, _ in requests_by_route if "/units/" in r and r != HOOK] == [f"{API}/units/{{uuid}}"]

        # The per-process gauge: one series per live worker, exactly one holding the leader lease.
        workers = server.worker_pids()
        assert len(workers) == 3

        def leaders():
            return values(scrape(server), "pepeunit_lease_held", "lease", "pid")

        assert wait_until(lambda: {int(pid) for (lease, pid) in leaders() if lease == "leader"} == workers
                          and sum(v for (lease, _), v in leaders().items() if lease == "leader") == 1, 30), leaders()

        # A worker dies: its counters stay in the sums, its live gauge goes (child_exit -> mark_process_dead).
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGTERM)
        assert wait_until(lambda: victim not in server.worker_pids() and len(server.worker_pids()) == 3, 30)
        after = scrape(server)
        assert str(victim) not in {pid for (_, pid) in values(after, "pepeunit_lease_held", "lease", "pid")}
        again = values(after, "pepeunit_http_requests_total", "route", "method", "status")
        for key, count in sent.items():
            assert again.get(key) == count, (key, again)


def test_the_route_is_absent_with_the_flag_off(client, settings):
    assert not settings.PU_FF_PROMETHEUS_ENABLE
    response = client.get("/pepeunit/metrics")
    assert response.status_code == 404
    assert client.get("/pepeunit").get_json()["feature_flags"]["pu_ff_prometheus_enable"] is False


def test_private_folder_lives_across_a_reload_and_goes_at_exit(app, database_url, redis_url):
    before = set(glob.glob(os.path.join(tempfile.gettempdir(), "pepeunit-prometheus-*")))
    environ = make_test_environ(database_url, redis_url, PU_FF_PROMETHEUS_ENABLE="true")
    with Gunicorn(environ, workers=1) as server:
        created = set(glob.glob(os.path.join(tempfile.gettempdir(), "pepeunit-prometheus-*"))) - before
        assert len(created) == 1
        (folder,) = created
        for _ in range(3):
            requests.get(f"{server.url}{API}/no_such_thing", timeout=10)
        assert any(name.endswith(".db") for name in os.listdir(folder))
        workers = server.worker_pids()
        os.kill(server.proc.pid, signal.SIGHUP)  # reload: new workers, this file read again
        assert wait_until(lambda: server.worker_pids() and not server.worker_pids() & workers, 30)
        assert set(glob.glob(os.path.join(tempfile.gettempdir(), "pepeunit-prometheus-*"))) - before == {folder}
        counted = values(scrape(server), "pepeunit_http_requests_total", "route", "method", "status")
        assert counted[("<unmatched>", "GET", "404")] == 3  # the old workers' counts are still in the sum
    assert not os.path.exists(folder)
