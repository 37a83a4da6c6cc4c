"""The awkward parts real files carry: private blocks, overlays, legacy curves, value maps.

Private data comes in the forms a de-identifier must tell apart: a creator on
the PS3.15 E.3.10 safe list with its listed elements (GEMS_ACQU_01 table speed),
vendor blocks off that list holding personal data (a Siemens CSA-style blob, an
archive's block, a private sequence whose item has its own creator), a creator
reserving a block with no elements, and an element whose creator is missing.
"""

from __future__ import annotations

from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.pixels.utils import pack_bits
from pydicom.sequence import Sequence

from medanon.sample import texts
from medanon.sample.derive import dicom_date
from medanon.sample.modules import code_item
from medanon.sample.people import Patient
from medanon.sample.pixels import curve_points, overlay_bitmap
from medanon.sample.plan import Study

#: Private creator of the PS3.15 Table E.3.10-1 safe list used for the CT safe block.
SAFE_CT_CREATOR = "GEMS_ACQU_01"
#: Creators off the safe list; their blocks carry personal data.
ARCHIVE_CREATOR = "WXRIS ARCHIVE 2.1"
CSA_CREATOR = "SIEMENS CSA HEADER"
SAFE_MR_CREATOR = "SIEMENS MR HEADER"
NESTED_CREATOR = "WXRIS IMPORT SQ"
EMPTY_CREATOR = "WXRIS RESERVED 1.0"
#: The tag of the private element written without its creator (an orphan).
ORPHAN_TAG = 0x00431050


def add_safe_ct_block(ds: Dataset) -> None:
    """GEMS_ACQU_01 at (0019,10xx): table speed, mid scan time, rotation speed (all safe)."""
    block = ds.private_block(0x0019, SAFE_CT_CREATOR, create=True)
    block.add_new(0x23, "DS", "1.375")
    block.add_new(0x24, "DS", "6.25")
    block.add_new(0x27, "DS", "0.5")


def add_archive_block(ds: Dataset, patient: Patient) -> None:
    """An unlisted archive block at (0033,10xx) copying the patient's name, ID and birth date."""
    block = ds.private_block(0x0033, ARCHIVE_CREATOR, create=True)
    block.add_new(0x10, "LO", patient.name.alphabetic)
    block.add_new(0x11, "LO", patient.patient_id)
    block.add_new(0x12, "DA", dicom_date(patient.birth_date))
    block.add_new(0x13, "LT", texts.private_note(patient))


def add_empty_creator(ds: Dataset) -> None:
    """Reserve (0041,10xx) with a creator but write no element in the block."""
    ds.add_new(0x00410010, "LO", EMPTY_CREATOR)


def add_orphan(ds: Dataset, study: Study) -> None:
    """A private element whose creator (0043,0010) is absent, holding the accession number."""
    ds.add_new(ORPHAN_TAG, "LO", study.accession)


def add_siemens_blocks(ds: Dataset, patient: Patient, b_value: int) -> None:
    """Siemens-style MR private data: a safe MR header element and an unlisted CSA blob.

    The CSA blob is binary (OB) as in real files, with the patient's name inside it,
    which only a byte-level search of the output can catch.
    """
    header = ds.private_block(0x0019, SAFE_MR_CREATOR, create=True)
    header.add_new(0x0C, "IS", str(b_value))
    header.add_new(0x0D, "CS", "NONE")
    csa = ds.private_block(0x0029, CSA_CREATOR, create=True)
    csa.add_new(0x08, "CS", "IMAGE NUM 4")
    csa.add_new(0x09, "LO", "20100114")
    name = patient.name.alphabetic.encode("utf-8")
    blob = b"SV10\x04\x03\x02\x01" + len(name).to_bytes(4, "little") + name
    csa.add_new(0x10, "OB", blob + b"\x00" * (len(blob) % 2))
    csa.add_new(0x18, "LO", patient.name.alphabetic)


def add_private_sequence(ds: Dataset, patient: Patient) -> None:
    """A private SQ whose item has its own private creator and repeats patient data."""
    outer = ds.private_block(0x0071, NESTED_CREATOR, create=True)
    item = Dataset()
    inner = item.private_block(0x0071, NESTED_CREATOR, create=True)
    inner.add_new(0x02, "LO", patient.name.alphabetic)
    inner.add_new(0x03, "DA", dicom_date(patient.birth_date))
    inner.add_new(0x04, "LO", patient.other_id)
    outer.add_new(0x01, "SQ", Sequence([item]))


def add_overlay(ds: Dataset, patient: Patient) -> None:
    """An overlay plane in group 6000 (outline + initials) with a comment naming the patient."""
    rows, cols = int(ds.Rows), int(ds.Columns)
    initials = f"{patient.name.given[:1]}{patient.name.family[:1]}"
    plane = overlay_bitmap((rows, cols), f"ROI 1 {initials}")
    ds.add_new(0x60000010, "US", rows)
    ds.add_new(0x60000011, "US", cols)
    ds.add_new(0x60000022, "LO", "Reader annotation")
    ds.add_new(0x60000040, "CS", "G")
    ds.add_new(0x60000050, "SS", [1, 1])
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    ds.add_new(0x60003000, "OW", pack_bits(plane))
    ds.add_new(0x60004000, "LT", texts.overlay_comment(patient))


def add_curve(ds: Dataset, patient: Patient) -> None:
    """Retired curve data (group 5000): an ROI outline as a legacy workstation stored it."""
    points = curve_points(24)
    ds.add_new(0x50000005, "US", 2)
    ds.add_new(0x50000010, "US", len(points) // 2)
    ds.add_new(0x50000020, "CS", "ROI")
    ds.add_new(0x50000022, "LO", texts.curve_description(patient))
    ds.add_new(0x50000030, "SH", ["PIXL", "PIXL"])
    ds.add_new(0x50000103, "US", 0)
    ds.add_new(0x50002500, "LO", "LESION 1")
    ds.add_new(0x50003000, "OW", points.astype("<u2").tobytes())


def add_real_world_value_mapping(ds: Dataset) -> None:
    """A RealWorldValueMappingSequence item (no personal data: it must survive intact)."""
    item = Dataset()
    item.add(DataElement(0x00409216, "US", 0))  # RealWorldValueFirstValueMapped
    item.add(DataElement(0x00409211, "US", 4095))  # RealWorldValueLastValueMapped
    item.RealWorldValueIntercept = 0.0
    item.RealWorldValueSlope = 1.0
    item.LUTExplanation = "Signal intensity"
    item.LUTLabel = "SI"
    item.MeasurementUnitsCodeSequence = Sequence([code_item("1", "UCUM", "no units")])
    ds.RealWorldValueMappingSequence = Sequence([item])


#: Public attributes PS3.15 Table E.1-1 does not list, where the sample plants personal
#: data as vendors and hand-typed protocols do: the safety net's ground.
UNLISTED_TEXT_TAG = 0x0018003A  # Intervention Description (ST)
UNLISTED_SEQUENCE_TAG = 0x00140200  # Data Element Label Sequence
UNLISTED_ITEM_TEXT_TAG = 0x00140204  # Data Element Description (LO)


def add_unlisted_text(ds: Dataset, patient: Patient, site_name: str) -> None:
    """The patient's name in unlisted free text, the institution in an unlisted sequence.

    Where a de-identifier that trusts Table E.1-1 alone leaves them.
    """
    ds.add_new(UNLISTED_TEXT_TAG, "ST",
               f"Contrast given after consent from {patient.name.natural}")
    item = Dataset()
    item.add_new(UNLISTED_ITEM_TEXT_TAG, "LO", f"{site_name} protocol 7")
    ds.add_new(UNLISTED_SEQUENCE_TAG, "SQ", Sequence([item]))
