"""Configuration is read once, validated, and fails naming the variable."""
import os
import re

import pytest

from pepeunit.config import ConfigError, Settings, documented_variables

from .helpers import make_test_environ

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def base_env():
    return make_test_environ("postgresql://postgres@127.0.0.1:5432/x", "redis://127.0.0.1:6379/1")


@pytest.mark.parametrize("name", ["PU_DOMAIN", "PU_SECRET_KEY", "PU_ENCRYPT_KEY", "PU_SQLALCHEMY_DATABASE_URL", "PU_MQTT_HOST"])
def test_missing_required_variable_is_named(name):
    env = base_env()
    del env[name]
    with pytest.raises(ConfigError, match=f"^{name} is required"):
        Settings.from_env(env)


@pytest.mark.parametrize(
    "name,value",
    [
        ("PU_ENCRYPT_KEY", "not base64!"),
        ("PU_ENCRYPT_KEY", "c2hvcnQ="),
        ("PU_SECURE", "maybe"),
        ("PU_MQTT_PORT", "70000"),
        ("PU_MAX_PAGINATION_SIZE", "0"),
        ("PU_APP_PREFIX", "pepeunit/"),
        ("PU_SQLALCHEMY_DATABASE_URL", "mysql://x/y"),
        ("PU_SECRET_KEY", "short"),
        ("PU_TELEGRAM_BOT_MODE", "carrier-pigeon"),
        ("PU_FF_GRAFANA_INTEGRATION_ENABLE", "maybe"),
        ("PU_GRAFANA_LIMIT_UNIT_NODE_PER_ONE_PANEL", "0"),
        ("PU_GRAFANA_URL", "ftp://grafana"),
        ("PU_FF_DATAPIPE_ENABLE", "maybe"),
        ("PU_GITHUB_API_URL", "api.github.com"),
        ("PU_GITHUB_TOKEN_PAT", "ghp-token\r\nX-Injected: 1"),
        ("PU_RELEASES_API_TIMEOUT_SECONDS", "0"),
    ],
)
def test_invalid_value_is_named(name, value):
    env = base_env()
    env[name] = value
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


@pytest.mark.parametrize("given,missing", [({"PU_GITHUB_TOKEN_NAME": "bot"}, "PU_GITHUB_TOKEN_PAT"),
                                           ({"PU_GITHUB_TOKEN_PAT": "ghp-x"}, "PU_GITHUB_TOKEN_NAME")])
def test_github_token_comes_as_a_pair(given, missing):
    with pytest.raises(ConfigError, match=f"^{missing} is required when"):
        Settings.from_env(base_env(), **given)
    both = Settings.from_env(base_env(), PU_GITHUB_TOKEN_NAME="bot", PU_GITHUB_TOKEN_PAT="ghp-x")
    assert (both.PU_GITHUB_TOKEN_NAME, both.PU_GITHUB_TOKEN_PAT) == ("bot", "ghp-x")


def test_releases_defaults():
    env = base_env()
    del env["PU_GITHUB_API_URL"]
    settings = Settings.from_env(env)
    assert settings.PU_GITHUB_API_URL == "https://api.github.com"
    assert settings.PU_RELEASES_API_TIMEOUT_SECONDS == 15 and settings.PU_GITHUB_TOKEN_PAT == ""


def test_defaults_and_derived_values():
    settings = Settings.from_env(base_env())
    assert settings.PU_MAX_PAGINATION_SIZE == 500
    assert settings.link_prefix_and_v1 == f"http://{settings.PU_DOMAIN}/pepeunit/api/v1"
    assert settings.database_url.startswith("postgresql+psycopg2://")
    assert not settings.domain_is_ip
    assert Settings.from_env(base_env(), PU_DOMAIN="192.168.0.5:8080").domain_is_ip


@pytest.mark.parametrize("missing", ["PU_GRAFANA_ADMIN_USER", "PU_GRAFANA_ADMIN_PASSWORD",
                                     "PU_GRAFANA_OIDC_CLIENT_SECRET"])
def test_grafana_on_needs_its_credentials(missing):
    env = {**base_env(), "PU_FF_GRAFANA_INTEGRATION_ENABLE": "true", "PU_GRAFANA_ADMIN_USER": "admin",
           "PU_GRAFANA_ADMIN_PASSWORD": "admin-pass", "PU_GRAFANA_OIDC_CLIENT_SECRET": "oidc-secret"}
    assert Settings.from_env(env).PU_FF_GRAFANA_INTEGRATION_ENABLE
    env[missing] = ""
    with pytest.raises(ConfigError, match=missing):
        Settings.from_env(env)


def test_grafana_url_default_follows_the_domain():
    settings = Settings.from_env(base_env())
    assert settings.grafana_url == f"http://{settings.PU_DOMAIN}/grafana"
    assert Settings.from_env(base_env(), PU_GRAFANA_URL="http://g:3000/").grafana_url == "http://g:3000"


def test_env_example_documents_every_variable():
    with open(os.path.join(ROOT, ".env_example")) as handle:
        documented = set(re.findall(r"^#?\s*(PU_[A-Z0-9_]+)=", handle.read(), re.MULTILINE))
    expected = {name for name, _, _ in documented_variables()}
    assert expected - documented == set(), "undocumented in .env_example"
    assert documented - expected == set(), ".env_example names unknown variables"
