"""Runs over folders: walk, process each file, collect the report."""
