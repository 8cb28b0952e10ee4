"""docker-compose.secure.yml and its kafka-acls job, checked by structure (no Docker engine here).

Every mixflow service of docker-compose.yml connects over SASL_SSL as its own SCRAM user and
trusts the CA; the broker offers clients nothing but SASL_SSL and denies what no ACL allows;
every service user is created and granted only its own topics; agencies may only produce to
the inbound and referral-update topics.
"""

import re
import shlex
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "deploy" / "kafka-secure" / "init-acls.sh"
SECURITY_ENV = {
    "MIXFLOW_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
    "MIXFLOW_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
    "MIXFLOW_KAFKA__SSL_CAFILE": "/etc/mixflow/kafka-ca.crt",
}
WRITES = {
    "router": {"decisions", "events.deadletter", "referral-updates", "router.dedup"},
    "casework": {"cases.changes", "alerts", "events.deadletter"},
    "flows": {"flows.aggregates"},
    "ingest": {"events.inbound"},
    "rules-api": {"rules"},
    "init": {"rules"},
}
READS = {
    "router": {"events.inbound", "rules", "router.dedup"},
    "casework": {"decisions", "referral-updates"},
    "flows": {"decisions", "cases.changes"},
    "rules-api": {"rules", "events.inbound"},
    "init": {"rules"},
}


def _load(name: str) -> dict[str, Any]:
    return dict(YAML(typ="safe").load((REPO / name).read_text()))


@pytest.fixture(scope="module")
def secure() -> dict[str, Any]:
    return _load("docker-compose.secure.yml")


@pytest.fixture(scope="module")
def clients() -> list[str]:
    """The services of docker-compose.yml that run mixflow (and so talk to Kafka)."""
    base = _load("docker-compose.yml")["services"]
    return [n for n, s in base.items() if s.get("image") == "mixflow:latest"]


@pytest.fixture(scope="module")
def grants() -> dict[str, dict[str, set[str]]]:
    """principal -> operation -> topics (canonical names) granted by the script's `acl` lines."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for line in SCRIPT.read_text().splitlines():
        if not line.startswith("acl "):
            continue
        words = shlex.split(re.sub(r"\$\(topic ([\w.-]+)\)", r"--topic mixflow.\1", line))
        principal, operation = words[1], words[2]
        for at, word in enumerate(words):
            if word == "--topic":
                found[principal][operation].add(re.sub(r"^.*mixflow\.", "", words[at + 1]))
    return found


def test_every_client_service_connects_over_sasl_ssl_as_its_own_user(
    secure: dict[str, Any], clients: list[str]
) -> None:
    assert len(clients) >= 8
    users = {}
    for name in clients:
        service = secure["services"].get(name)
        assert service, f"{name} has no secure override"
        env = service["environment"]
        for key, value in SECURITY_ENV.items():
            assert env.get(key) == value, (name, key)
        assert env["MIXFLOW_KAFKA__SASL_PASSWORD"].startswith("${MIXFLOW_KAFKA_"), name
        assert ":?" in env["MIXFLOW_KAFKA__SASL_PASSWORD"], f"{name}: a password is required"
        assert any("kafka-ca.crt" in v for v in service["volumes"]), name
        users[name] = env["MIXFLOW_KAFKA__SASL_USERNAME"]
    assert len(set(users.values())) == len(users), "services share a Kafka user"


def test_the_broker_serves_clients_only_over_sasl_ssl_and_denies_without_an_acl(
    secure: dict[str, Any],
) -> None:
    env = secure["services"]["kafka"]["environment"]
    listeners = dict(x.split("://") for x in env["KAFKA_LISTENERS"].split(","))
    protocols = dict(x.split(":") for x in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    plaintext = [n for n, p in protocols.items() if p == "PLAINTEXT" and n != "CONTROLLER"]
    assert all(listeners[n].startswith("127.0.0.1:") for n in plaintext), "a plain listener leaks"
    assert protocols["SASL_SSL"] == "SASL_SSL"
    assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert secure["services"]["kafka-acls"]["network_mode"] == "service:kafka"


def test_every_service_user_is_created_with_scram_and_a_required_password(
    secure: dict[str, Any], clients: list[str]
) -> None:
    created = dict(re.findall(r"^user (\S+) \"\$\{(\w+):\?\}\"", SCRIPT.read_text(), re.M))
    for name in clients:
        username = secure["services"][name]["environment"]["MIXFLOW_KAFKA__SASL_USERNAME"]
        assert username in created, f"no SCRAM user for {name}"
        job_env = secure["services"]["kafka-acls"]["environment"]
        assert created[username] in job_env, f"the acl job does not get {created[username]}"
    assert "SCRAM-SHA-512=[iterations=8192,password=" in SCRIPT.read_text()


def test_each_service_may_write_and_read_only_its_own_topics(
    grants: dict[str, dict[str, set[str]]],
) -> None:
    for principal, topics in WRITES.items():
        assert grants[principal]["Write"] == topics, principal
    for principal, topics in READS.items():
        assert grants[principal]["Read"] == topics, principal
    for principal in ("cases-api", "flows-api"):
        assert principal not in grants, f"{principal} reads the database only"


def test_agencies_may_only_produce_to_inbound_and_referral_updates() -> None:
    text = SCRIPT.read_text()
    loop = text[text.index("for agency in") : text.index("done")]
    acls = [line.split() for line in loop.splitlines() if line.strip().startswith("acl ")]
    assert {words[2] for words in acls} == {"Write", "Describe"}
    topics = set(re.findall(r"\$\(topic ([\w.-]+)\)", loop))
    assert topics == {"events.inbound", "referral-updates"}
    assert "--group" not in loop and "--cluster" not in loop
