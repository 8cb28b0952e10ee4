"""docker-compose.yml is checked by structure, since this machine has no Docker engine."""

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from typer.main import get_command

from services.cli import app

REPO = Path(__file__).resolve().parents[3]
MIXFLOW_ENV = ("MIXFLOW_KAFKA__BOOTSTRAP", "MIXFLOW_DATABASE_URL", "MIXFLOW_TOKEN_PEPPER")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(YAML(typ="safe").load((REPO / "docker-compose.yml").read_text()))


def _mixflow_services(compose: dict[str, Any]) -> dict[str, Any]:
    return {n: s for n, s in compose["services"].items() if s.get("image") == "mixflow:latest"}


def test_every_service_has_an_image_or_a_build_and_a_healthcheck(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert "image" in service or "build" in service, name
        if name != "init":  # a one-shot job is awaited by `service_completed_successfully`
            assert "healthcheck" in service, name


def test_mixflow_services_get_the_environment_they_need(compose: dict[str, Any]) -> None:
    services = _mixflow_services(compose)
    assert len(services) >= 8
    for name, service in services.items():
        missing = [v for v in MIXFLOW_ENV if v not in service["environment"]]
        assert not missing, f"{name} lacks {missing}"


def test_no_two_services_publish_the_same_host_port(compose: dict[str, Any]) -> None:
    seen: dict[str, str] = {}
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            host = str(mapping).split(":")[0]
            assert host not in seen, f"{name} and {seen.get(host)} both publish {host}"
            seen[host] = name


def test_workers_publish_no_ports_so_they_scale(compose: dict[str, Any]) -> None:
    for name in ("router", "casework", "flows"):
        assert "ports" not in compose["services"][name]


def test_every_service_command_is_a_real_mixflow_command(compose: dict[str, Any]) -> None:
    cli = get_command(app)
    for name, service in _mixflow_services(compose).items():
        words = list(service["command"])
        command: Any = cli
        for word in words:
            if not hasattr(command, "commands"):
                break
            assert word in command.commands, f"{name}: `mixflow {' '.join(words)}` does not exist"
            command = command.commands[word]


def test_secrets_are_required_from_the_environment_not_written_down(
    compose: dict[str, Any],
) -> None:
    text = (REPO / "docker-compose.yml").read_text()
    for variable in ("MIXFLOW_POSTGRES_PASSWORD", "MIXFLOW_TOKEN_PEPPER"):
        assert f"${{{variable}:?" in text
    assert "change-me" not in text
