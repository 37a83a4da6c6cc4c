"""Custody: secret keys, and later the re-identification crosswalk and audit log."""
