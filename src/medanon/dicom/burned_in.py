"""Burned-in text: which files may carry it, so they are withheld until pixels are cleaned.

Text burned into pixels (names on ultrasound screens, secondary captures of reports) is
invisible to header rules. Until a pixel-cleaning step is configured, a file is withheld
for review when it says it has burned-in annotation, or when it does not say and it is of
a kind where burned-in text is common.
"""

from __future__ import annotations

from pydicom.dataset import Dataset

from medanon.dicom.backend.peek import peek_text

RISKY_MODALITIES = frozenset({"US", "SC", "XA", "OT", "ES", "DOC", "XC", "GM", "SM"})

ENCAPSULATED_DOCUMENT_ROOT = "1.2.840.10008.5.1.4.1.1.104"
# SOP classes where burned-in text is common: secondary captures, ultrasound, visible light.
RISKY_SOP_CLASS_ROOTS = (
    "1.2.840.10008.5.1.4.1.1.7",  # Secondary Capture and its multi-frame variants (.7.1-.7.4)
    "1.2.840.10008.5.1.4.1.1.6",  # Ultrasound (.6.1, .6.2, .6.3)
    "1.2.840.10008.5.1.4.1.1.3.1",  # Ultrasound Multi-frame
    "1.2.840.10008.5.1.4.1.1.77.1",  # Visible Light (endoscopy, photography, microscopy...)
)


def _under(uid: str, root: str) -> bool:
    """True when ``uid`` is ``root`` or lies below it (component-wise, not by characters)."""
    return uid == root or uid.startswith(root + ".")


def is_encapsulated_document(sop_class: str) -> bool:
    """Encapsulated PDF, CDA, STL, ...: always withheld, header rules cannot reach inside."""
    return _under(sop_class, ENCAPSULATED_DOCUMENT_ROOT)


def burned_in_reason(dataset: Dataset, has_pixel_data: bool) -> str | None:
    """Why a file may carry burned-in text, or None when it is not suspected to.

    ``has_pixel_data`` is passed in because headers are read without their pixel data.
    Encapsulated documents (PDF, CDA) are always withheld: header rules cannot reach
    the names inside them.
    """
    sop_class = peek_text(dataset, "SOPClassUID")
    if is_encapsulated_document(sop_class):
        return "an encapsulated document cannot be de-identified by header rules"
    if not has_pixel_data:
        return None
    flag = peek_text(dataset, "BurnedInAnnotation").upper()
    if flag == "YES":
        return "BurnedInAnnotation is YES and no pixel cleaning is configured"
    if flag == "NO":
        return None
    modality = peek_text(dataset, "Modality").upper()
    if modality in RISKY_MODALITIES:
        return (f"BurnedInAnnotation is absent on modality {modality}, where burned-in text is "
                "common, and no pixel cleaning is configured")
    if any(_under(sop_class, root) for root in RISKY_SOP_CLASS_ROOTS):
        return (f"BurnedInAnnotation is absent on SOP class {sop_class}, where burned-in text is "
                "common, and no pixel cleaning is configured")
    return None
