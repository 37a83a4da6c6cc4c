"""The independent verifier: residual personal data, structure, census, accounting, validity.

It reads outputs with plain public pydicom and searches them with its own code, sharing
nothing with the de-identification's reader, transform or safety net, so a bug in one
cannot hide in the other.
"""

from medanon.verify.findings import CATEGORIES, Finding
from medanon.verify.verifier import VerifyOptions, VerifyResult, verify_folder

__all__ = ["CATEGORIES", "Finding", "VerifyOptions", "VerifyResult", "verify_folder"]
