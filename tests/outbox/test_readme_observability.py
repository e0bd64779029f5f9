"""The README's Observability section, run as written: its /metrics view serves the
metrics it lists after a known run, and its health command line is the command's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import RequestFactory

from tests.e2e.readme import FENCE, section

from .observe_helpers import known_run

pytestmark = pytest.mark.django_db

pytest.importorskip("prometheus_client")


def test_the_metrics_view_serves_every_metric_the_readme_lists(emulator: Any) -> None:
    text = section("Observability")
    (code,) = [body for language, body in FENCE.findall(text) if language == "python"]
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    (pattern,) = namespace["urlpatterns"]
    known_run()
    response = pattern.callback(RequestFactory().get("/metrics"))
    assert response.status_code == 200
    body = response.content.decode()
    listed = re.findall(r"^\| `(notify_outbox_\w+)` \|", text, re.MULTILINE)
    assert len(listed) == 9
    for name in listed:
        assert re.search(rf"^{name}(\{{|\s|_bucket|_count)", body, re.MULTILINE), name


def test_the_health_command_line_is_the_commands() -> None:
    from django_govuk_notify_outbox.management.commands.notify_outbox_health import Command

    parser = Command().create_parser("manage.py", "notify_outbox_health")
    options = {a for action in parser._actions for a in action.option_strings}
    line = re.search(r"notify_outbox_health\s+# (.*)", section("Observability"))
    assert line is not None
    for option in re.findall(r"--[a-z-]+", line.group(1)):
        assert option in options, option
