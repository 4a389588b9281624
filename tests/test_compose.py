"""docker-compose.yml, checked without Docker: valid against the Compose specification's schema
(vendored in check-jsonschema), and shaped so `docker compose up --scale slack=3` works: no fixed
host port or container name on the scaled service, a load balancer in front of it that finds every
replica, and health checks on `/healthz` that really pass against the app."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.adapters.slack.runner import HEALTH_PATH, serve_http

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded["services"]  # type: ignore[no-any-return]


def slack_port(service: dict[str, Any]) -> int:
    command = service["command"]
    return int(command[command.index("--port") + 1])


def test_the_compose_file_follows_the_compose_specification() -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_slack_service_can_be_scaled(services: dict[str, Any]) -> None:
    slack = services["slack"]
    assert "--http" in slack["command"]
    # Two replicas cannot publish one host port, nor share a container name.
    assert "ports" not in slack and "container_name" not in slack
    assert str(slack_port(slack)) in [str(port) for port in slack.get("expose", [])]
    assert slack["depends_on"]["redis"]["condition"] == "service_healthy"
    assert slack["environment"]["REDIS_URL"].startswith("redis://redis:")


def test_a_load_balancer_from_an_official_image_fronts_every_slack_replica(services: dict[str, Any]) -> None:
    lb = services["lb"]
    assert re.fullmatch(r"caddy:[\w.-]+", lb["image"])  # the Docker official image
    [published] = lb["ports"]
    assert published.endswith(":80")
    assert lb["depends_on"]["slack"]["condition"] == "service_healthy"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in lb["volumes"]}
    caddyfile = (REPO / mounts["/etc/caddy/Caddyfile"]).read_text()
    assert re.search(r"^:80\s*\{", caddyfile, re.M)
    # Upstreams are looked up in Docker's DNS (one address per replica) and refreshed, so
    # replicas added by --scale are found without a reload.
    found = re.search(r"dynamic a (\S+) (\d+) \{\s*refresh (\d+)s", caddyfile)
    assert found is not None
    assert found.group(1) == "slack" and int(found.group(2)) == slack_port(services["slack"])
    assert int(found.group(3)) <= 10
    assert "lb_try_duration" in caddyfile and "fail_duration" in caddyfile


def test_health_checks_use_healthz(services: dict[str, Any]) -> None:
    for name in ("slack", "lb"):
        test = services[name]["healthcheck"]["test"]
        assert test[0] == "CMD" and any(HEALTH_PATH in part for part in test), name
    assert services["redis"]["healthcheck"]["test"][:2] == ["CMD", "redis-cli"]


async def test_the_slack_health_check_command_passes_against_the_app_and_fails_without_it(
    services: dict[str, Any],
) -> None:
    test = services["slack"]["healthcheck"]["test"]
    assert test[1] == "python"  # the image is python:3.x-slim: no curl or wget in it
    runner = await serve_http(web.Application(), 0, host="127.0.0.1")
    port = runner.addresses[0][1]
    script = test[3].replace(f":{slack_port(services['slack'])}/", f":{port}/")

    async def check() -> int:
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
        return await asyncio.wait_for(process.wait(), 30)

    try:
        assert await check() == 0
    finally:
        await runner.cleanup()
    assert await check() != 0  # nothing listening: unhealthy


def test_a_scheduler_service_runs_timed_jobs_on_the_shared_redis(services: dict[str, Any]) -> None:
    scheduler = services["scheduler"]
    assert scheduler["command"] == ["scheduler"]
    assert scheduler["environment"]["REDIS_URL"] == services["slack"]["environment"]["REDIS_URL"]
    assert scheduler["depends_on"]["redis"]["condition"] == "service_healthy"
