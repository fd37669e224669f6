"""Test harness: a real PostgreSQL per test session (embedded by default, DATABASE_URL to use
another server). The fixtures live in tests/fixtures/, loaded here for every test."""

pytest_plugins = ["tests.fixtures.store", "tests.fixtures.annotated"]
