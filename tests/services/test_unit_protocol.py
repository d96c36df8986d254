"""Service-level rules of the unit protocol: env merge, schema checks, unit state, publisher failures."""
import dataclasses
import socket

import pytest

from pepeunit.broker.publisher import Publisher, get_publisher
from pepeunit.errors import GitRepoError, MqttError, NoAccessError, ReadmeGenerationError
from pepeunit.models import AgentType, Unit, UserRole
from pepeunit.services import toml_md, unit_env, unit_files, units
from pepeunit.services.agents import Agent

GENERATED = {k: f"gen-{k}" for k in unit_env.GENERATED_KEYS}


def test_env_merge_priority_order_and_filter():
    target = {"DEV": "t", "PU_DOMAIN": "example", "OLD_PU": 1, "PU_COMMIT_VERSION": "x"}
    stored = {"DEV": "s", "PU_SECRET_KEY": "stored-secret", "GONE": 1}
    user = {"DEV": "u", "NEW": 2, "PU_COMMIT_VERSION": "user"}
    env = unit_env.merge(target, GENERATED, stored, user, commit="c" * 40)
    assert list(env)[:2] == ["DEV", "PU_DOMAIN"]  # target order first
    assert env["DEV"] == "u" and env["PU_SECRET_KEY"] == "stored-secret" and env["PU_DOMAIN"] == "gen-PU_DOMAIN"
    assert "NEW" not in env and "GONE" not in env and env["OLD_PU"] == 1
    assert list(env)[-1] == "PU_COMMIT_VERSION" and env["PU_COMMIT_VERSION"] == "c" * 40
    without = unit_env.merge(target, GENERATED, stored, user, commit=None)
    assert "PU_COMMIT_VERSION" not in without
    unit_env.check_against_example(without, target, with_commit=False)  # the commit key is not demanded then
    with pytest.raises(GitRepoError) as error:
        unit_env.check_against_example({"DEV": 1}, {"DEV": 1, "MISSING": 2}, with_commit=True)
    assert error.value.message == "422: 5: Git Repo Validation Error: This env file has {'MISSING'} unresolved variable"


@pytest.mark.parametrize("schema,message", [
    ({"input_base_topic": []}, "This schema file has unresolved IO and base IO keys"),
    ([], "This schema file has unresolved IO and base IO keys"),
    ({"input_base_topic": [], "output_base_topic": [], "input_topic": [], "output_topic": {}},
     "This schema file has not available value types, only list is available"),
    ({"input_base_topic": [], "output_base_topic": [], "input_topic": ["a.b"], "output_topic": []},
     "Topics in the schema use characters that are not allowed, allowed: "
     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-"),
    ({"input_base_topic": [], "output_base_topic": [], "input_topic": [5], "output_topic": []},
     "Topics in the schema use characters that are not allowed, allowed: "
     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-"),
    ({"input_base_topic": [], "output_base_topic": [], "input_topic": ["a" * 65435], "output_topic": []},
     "The length 65435 of the topic title is too long, max: 65435"),
])
def test_schema_validation_messages(schema, message):
    with pytest.raises(GitRepoError) as error:
        unit_files.check_schema(schema)
    assert error.value.text == message


def test_empty_schema_is_valid_and_extra_keys_kept():
    schema = {"input_base_topic": [], "output_base_topic": [], "input_topic": [], "output_topic": [], "x": []}
    assert unit_files.check_schema(schema) is schema  # no crash on all-empty lists


def test_unit_state_coercion():
    unit = Unit(unit_state_dict='{"millis": 5, "mem_free": "a lot", "freq": 2.5, "ifconfig": "x", '
                                '"statvfs": [1, 2], "pu_commit_version": 7, "other": 1}')
    assert units.unit_state(unit) == {"ifconfig": [], "millis": 5.0, "mem_free": None, "mem_alloc": None,
                                      "freq": 2.5, "statvfs": [1, 2], "pu_commit_version": None}
    assert units.unit_state(Unit(unit_state_dict="[1]")) is None
    assert units.unit_state(Unit(unit_state_dict="{broken")) is None


def test_publisher_reports_an_unreachable_broker(app):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    publisher = Publisher("127.0.0.1", port, "backend-token")
    try:
        with pytest.raises(MqttError) as error:
            publisher.publish("d/input_base_topic/x/update/pepeunit", "{}")
        assert error.value.message == ("422: 10: MQTT Error: Error when publish message to topic "
                                       "d/input_base_topic/x/update/pepeunit: MQTT client is disconnected")
    finally:
        publisher.close()


def test_publisher_is_shared_per_broker_identity(app):
    settings = app.config["PU_SETTINGS"]
    assert get_publisher(settings) is get_publisher(settings)
    other = dataclasses.replace(settings, PU_MQTT_PORT=1884)
    assert get_publisher(other) is not get_publisher(settings)


def test_toml_limits():
    user = Agent(AgentType.USER, None, UserRole.USER, "u")
    with pytest.raises(NoAccessError):
        toml_md.convert(Agent(AgentType.ANONYMOUS), "")
    cases = [
        ("[general]\nname = 'x' \n[", "Error toml deserialization: "),
        ("[general]\nname = '" + "n" * 51 + "'", '"general.name" is too long (51) – max 50 characters'),
        ("[general]\nversion = '" + "v" * 31 + "'", '"general.version" is too long (31) – max 30 characters'),
        ("[general]\nstack = [" + ", ".join(["'a'"] * 31) + "]", '"general.stack" has too many items (31) – max 30'),
        (b"\xff\xfe", "Error toml deserialization: "),
    ]
    for text, message in cases:
        with pytest.raises(ReadmeGenerationError) as error:
            toml_md.convert(user, text)
        assert error.value.text.startswith(message), error.value.text
    assert toml_md.convert(user, "video = 5\nimages = 'x'\n[general]\nname = 'ok'\n") == "# ok\n"
