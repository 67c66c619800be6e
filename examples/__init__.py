"""Reference clients under test and small demos built on the harness (run from the repo root)."""
