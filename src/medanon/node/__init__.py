"""The DICOM network node: ``medanon serve`` receives, de-identifies and forwards.

A received instance is written to a durable queue exactly as it arrived, then goes
through the same per-instance core as a file of ``medanon run`` (``process_file`` with
the same :class:`~medanon.runner.context.RunContext`), and is written under ``--out`` or
forwarded by C-STORE. The ledger records the one state every received instance ends in.
"""
