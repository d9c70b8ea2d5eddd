"""Test configuration."""

# Deliberately faulty implementations are run by the CLI tests, never imported by pytest.
collect_ignore = ["faulty"]
