"""Which files OCR searches: modalities and SOP classes where burned-in text is common.

Headers lie, so on these classes a BurnedInAnnotation of NO is not trusted; elsewhere a
YES is (the modality says it burned text in).
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from medanon.dicom.backend.peek import peek_text
from medanon.dicom.burned_in import RISKY_MODALITIES, RISKY_SOP_CLASS_ROOTS


def is_likely(dataset: Dataset) -> bool:
    """True for US, SC, XA, OT, ES, DOC, visible light... or a header saying YES."""
    if peek_text(dataset, "Modality").upper() in RISKY_MODALITIES:
        return True
    sop_class = peek_text(dataset, "SOPClassUID")
    if any(sop_class == root or sop_class.startswith(root + ".")
           for root in RISKY_SOP_CLASS_ROOTS):
        return True
    return peek_text(dataset, "BurnedInAnnotation").upper() == "YES"
