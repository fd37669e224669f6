"""The OpenAPI contract holds for a client generated from it, as an integrating team would do:
`openapi-python-client` over the live /openapi.json, a script using that client type-checked
with mypy, then run against the real server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import _free_port, _make_key, _start, _stop, _wait_ready, child_env

pytestmark = pytest.mark.e2e

SCRIPT = textwrap.dedent(
    '''
    """Uses the generated client the way a newsroom's service would."""

    import sys
    import time

    from article_store_client import AuthenticatedClient, Client
    from article_store_client.api.articles import create_article, get_article
    from article_store_client.api.diffs import diff_texts_unified
    from article_store_client.api.quotes import list_quotes
    from article_store_client.models import ArticleCreate, ArticleWritten, Problem, QuotePage


    def main(base_url: str, key: str) -> None:
        plain = Client(base_url=base_url, raise_on_unexpected_status=True)
        # reads need no key: a plain client (not an AuthenticatedClient) type-checks
        deadline = time.monotonic() + 120
        while True:
            page = list_quotes.sync(client=plain, speaker="Miller")
            assert isinstance(page, QuotePage), page
            if page.items or time.monotonic() > deadline:
                break
            time.sleep(1)  # the worker is still annotating the seeds
        assert page.items, "no quote by Miller"
        speakers = {q.speaker.name for q in page.items if q.speaker}
        assert speakers == {"Matthew Miller"}, speakers

        writer = AuthenticatedClient(base_url=base_url, token=key)
        written = create_article.sync(
            client=writer,
            body=ArticleCreate(
                outlet="Generated Wire",
                external_id="gen-1",
                body='"We will build the bridge," the mayor said on Monday.',
            ),
        )
        assert isinstance(written, ArticleWritten), written
        assert written.result == "created"

        missing = get_article.sync(client=plain, article_id=424242)
        assert isinstance(missing, Problem), missing
        assert missing.status == 404 and missing.title

        unified = diff_texts_unified.sync(client=plain, left="2", right="4")
        assert isinstance(unified, str) and unified.startswith("---"), unified
        print("generated client ok")


    if __name__ == "__main__":
        main(sys.argv[1], sys.argv[2])
    '''
)


@pytest.fixture(scope="module")
def served(make_database: Callable[[], str]) -> Iterator[tuple[str, str, dict[str, str]]]:
    data_dir = Path(tempfile.mkdtemp(prefix="as-gen-", dir="/tmp"))
    env = child_env(data_dir, make_database() if os.environ.get("DATABASE_URL") else None)
    port = _free_port()
    log = data_dir / "serve.log"
    proc = _start(env, port, log)
    try:
        _wait_ready(proc, port, log)
        key = _make_key(env, "generated-client")
        yield f"http://127.0.0.1:{port}", key, env
    finally:
        _stop(proc)
        shutil.rmtree(data_dir, ignore_errors=True)


def test_a_generated_client_type_checks_and_works_against_the_server(
    served: tuple[str, str, dict[str, str]], tmp_path: Path
) -> None:
    base_url, key, env = served
    spec = tmp_path / "openapi.json"
    spec.write_bytes(httpx.get(f"{base_url}/openapi.json", timeout=10).content)
    generator = shutil.which("openapi-python-client") or str(
        Path(sys.executable).with_name("openapi-python-client")
    )
    gen = subprocess.run(
        [generator, "generate", "--path", str(spec), "--output-path", str(tmp_path / "client")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert gen.returncode == 0, gen.stdout + gen.stderr
    assert "Warning" not in gen.stdout + gen.stderr, gen.stdout + gen.stderr
    script = tmp_path / "use_client.py"
    script.write_text(SCRIPT)
    client_path = str(tmp_path / "client")
    typed = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "MYPYPATH": client_path},
        cwd=tmp_path,
    )
    assert typed.returncode == 0, typed.stdout + typed.stderr
    ran = subprocess.run(
        [sys.executable, str(script), base_url, key],
        capture_output=True,
        text=True,
        timeout=300,
        env={**env, "PYTHONPATH": client_path},
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "generated client ok" in ran.stdout
