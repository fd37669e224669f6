"""Schemathesis over /openapi.json against the real server: no 5xx, and every response
matches its documented status codes, content types and schemas.

Two phases: every operation on its own (``test_api_conforms_to_its_schema``), then the
stateful phase (``test_api_workflows_conform_to_its_schema``): scenarios that follow the
document's OpenAPI links (api/openapi.py ``LINKS``), e.g. create an article, then read,
revise and diff it with the id and ETag it answered; after a DELETE the resource is gone.

Bounded by default; a longer run on demand: `SCHEMATHESIS_MAX_EXAMPLES=500 python -m pytest
tests/e2e/test_schemathesis.py` (`SCHEMATHESIS_KEEP_LOG=path` keeps the server's log, one JSON
line per request, for docs/security.md's figures). The stateful phase runs
``SCHEMATHESIS_MAX_EXAMPLES`` scenarios (15 by default) of up to
``SCHEMATHESIS_STATEFUL_STEPS`` steps (10 by default).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.core.failures import FailureGroup

from tests.e2e.server import _free_port, _make_key, _start, _stop, _wait_ready, child_env

pytestmark = pytest.mark.e2e
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15"))
STATEFUL_STEPS = int(os.environ.get("SCHEMATHESIS_STATEFUL_STEPS", "10"))
# opaque tokens (cursors) and references to rows that do not exist are schema-valid yet
# rightly refused with a documented 4xx problem; every other check stays on
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]
ALL_CHECKS = [
    check for check in schemathesis.checks.CHECKS.get_all() if check not in EXCLUDED_CHECKS
]
CONFIG: dict[str, Any] = {
    "checks": {
        # a missing If-Match is 428 Precondition Required (RFC 6585), the status made for it;
        # the other statuses are schemathesis's defaults for a missing required header
        "missing_required_header": {"expected-statuses": [400, 401, 403, 406, 415, 422, 428]}
    },
    # scenarios chain valid requests, so that links have answers to follow; invalid
    # input is the first phase's job (every operation, positive and negative)
    "phases": {"stateful": {"generation": {"mode": "positive"}}},
}
# a valid batch holds up to 1,000 articles, and ingest runs at tens of articles/s on a 2-core
# machine (docs/benchmarks.md): schemathesis's default 10 s read timeout failed a 1,000-item
# batch of one repeated article that was still being processed
TIMEOUT = 120


@pytest.fixture(scope="session")
def live_server(make_database: Callable[[], str]) -> Iterator[dict[str, str]]:
    data_dir = Path(tempfile.mkdtemp(prefix="as-st-", dir="/tmp"))
    env = child_env(
        data_dir,
        make_database() if os.environ.get("DATABASE_URL") else None,
        ARTICLE_STORE_RATE_LIMIT_PER_MINUTE="0",
        ARTICLE_STORE_ANON_RATE_LIMIT_PER_MINUTE="0",
        ARTICLE_STORE_AUTH_FAILURES_PER_MINUTE="0",
        # the server under test runs no annotation worker (--no-worker): /readyz would be 503
        ARTICLE_STORE_READINESS_MIN_WORKERS="0",
    )
    port = _free_port()
    log = data_dir / "serve.log"
    proc = _start(env, port, log, "--no-worker")
    try:
        _wait_ready(proc, port, log)
        key = _make_key(env, "schemathesis", scope="admin")
        yield {"base_url": f"http://127.0.0.1:{port}", "key": key, "log": str(log)}
    finally:
        _stop(proc)
        if os.environ.get("SCHEMATHESIS_KEEP_LOG"):  # the server's access log, for the figures
            shutil.copy(log, os.environ["SCHEMATHESIS_KEEP_LOG"])
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def api_schema(live_server: dict[str, str]) -> Any:
    # the key is schemathesis's own auth (not a header we add to each call), so that its
    # ignored_auth probes can remove or replace it and see the server refuse them
    auth = {"auth": {"openapi": {"HTTPBearer": {"bearer": live_server["key"]}}}}
    config = schemathesis.config.SchemathesisConfig.from_dict({**CONFIG, **auth})
    return schemathesis.openapi.from_url(f"{live_server['base_url']}/openapi.json", config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case: Any, live_server: dict[str, str]) -> None:
    case.call_and_validate(
        base_url=live_server["base_url"],
        checks=ALL_CHECKS,
        timeout=TIMEOUT,
    )


def test_the_document_links_operations_for_the_stateful_phase(api_schema: Any) -> None:
    """Without links the stateful phase would silently test nothing."""
    declared = sum(
        len(response.get("links", {}))
        for ops in api_schema.raw_schema["paths"].values()
        for op in ops.values()
        for response in op["responses"].values()
    )
    api_schema.as_state_machine()  # raises NoLinksFound when the document links nothing
    assert declared >= 100
    assert api_schema.statistic.transitions.total >= declared


def test_api_workflows_conform_to_its_schema(
    api_schema: Any, live_server: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    base_url = live_server["base_url"]
    counts: Counter[str] = Counter()
    failures: list[str] = []

    class Workflows(api_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            counts["scenarios"] += 1

        def step(self, input: Any) -> Any:
            counts["steps"] += 1
            if input.transition is not None and input.is_applied:
                counts["linked steps"] += 1
                counts[f"link {input.transition.id}"] += 1
            return super().step(input)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": base_url, "timeout": TIMEOUT}

        def validate_response(
            self,
            response: Any,
            case: Any,
            additional_checks: list[Any] | None = None,
            **kwargs: Any,
        ) -> None:
            try:
                case.validate_response(
                    response,
                    checks=ALL_CHECKS,
                    transport_kwargs=kwargs,
                    recorder=self.recorder,
                )
            except FailureGroup as group:
                failures.append(f"{case.method} {case.formatted_path}: {group}")
                raise

    try:
        Workflows.run(
            settings=settings(
                max_examples=MAX_EXAMPLES,
                stateful_step_count=STATEFUL_STEPS,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                # shrinking replays scenarios against a server whose state has moved on
                phases=[Phase.explicit, Phase.generate],
            )
        )
    except Flaky:
        # Hypothesis replays a scenario (to report it, or on a prefix it saw before) and the
        # live server answers differently the second time (the article now exists, the topic
        # is gone), so a link leads elsewhere: an artifact of external state, as schemathesis's
        # own runner treats it, unless a check failed, which `failures` holds.
        counts["replays that diverged"] += 1
    links = sum(1 for name in counts if name.startswith("link "))
    with capsys.disabled():
        print(
            f"\nstateful phase: {counts['scenarios']} scenarios, {counts['steps']} steps, "
            f"{counts['linked steps']} steps through a link, {links} distinct links followed, "
            f"{counts['replays that diverged']} diverged replays, {len(failures)} failures"
        )
    assert not failures, "\n\n".join(dict.fromkeys(failures))
    # the phase is only worth its time if scenarios chain operations through the links
    assert counts["linked steps"] > 0, counts
