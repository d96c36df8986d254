"""Two gunicorn masters on one host (two instances, or an old and a new one during a deploy)."""
from __future__ import annotations

import requests

from ..helpers import make_test_environ
from ..processes import Gunicorn


def _answers(server: Gunicorn) -> bool:
    return requests.get(server.url + "/pepeunit", timeout=5).status_code == 200


def test_two_masters_on_one_host_share_no_control_socket(database_url, redis_url):
    env = make_test_environ(database_url, redis_url, PU_LEADER_LEASE_SECONDS=2)
    with Gunicorn(env, workers=1) as first:
        with Gunicorn(env, workers=1) as second:
            assert _answers(first) and _answers(second)
            second_log = second.output()
        assert _answers(first)  # the second's stop took nothing of the first's with it
        first_log = first.output()
    for output in (first_log, second_log):
        assert "Booting worker" in output, output
        # gunicorn's control socket (one default path per user) is off: no instance creates or removes it
        assert "control socket" not in output.lower(), output
