"""The attributes a whitelist keeps without being asked: what every image needs.

In whitelist mode anything the ruleset does not name is removed. The Basic
Profile's own rules already keep (transformed) the identifying attributes a
valid file needs: the UIDs, the patient and study attributes of Type 2, the
dates. What remains to decide is the attributes the profile does not list at
all because they identify nobody, yet without which an image cannot be decoded,
displayed correctly or checked again by the next stage. They are listed here,
each with the reason it is kept, and get ``Rule(Action.KEEP, "whitelist:structural")``
unless the profile or the recipe already has a rule for them.

The list is kept small on purpose: a research whitelist adds its own
attributes in a recipe (see ``recipes/whitelist-ct-mr.toml``).
"""

from __future__ import annotations

from functools import cache

from medanon.errors import MedanonError

STRUCTURAL_ORIGIN = "whitelist:structural"

#: ``(keyword, why it is kept)``. Groups follow the DICOM module that needs them.
STRUCTURAL_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    # Image Pixel module (PS3.3 C.7.6.3): without these the pixel data cannot be decoded.
    ("SamplesPerPixel", "image pixel: decoding"),
    ("PhotometricInterpretation", "image pixel: decoding"),
    ("Rows", "image pixel: decoding"),
    ("Columns", "image pixel: decoding"),
    ("BitsAllocated", "image pixel: decoding"),
    ("BitsStored", "image pixel: decoding"),
    ("HighBit", "image pixel: decoding"),
    ("PixelRepresentation", "image pixel: decoding"),
    ("PlanarConfiguration", "image pixel: decoding of colour images"),
    ("PixelData", "image pixel: the image itself"),
    ("FloatPixelData", "image pixel: the image itself (float images)"),
    ("DoubleFloatPixelData", "image pixel: the image itself (double float images)"),
    ("PixelAspectRatio", "image pixel: display geometry"),
    ("SmallestImagePixelValue", "image pixel: display range"),
    ("LargestImagePixelValue", "image pixel: display range"),
    ("PixelPaddingValue", "image pixel: padding must not be read as tissue"),
    ("PixelPaddingRangeLimit", "image pixel: padding must not be read as tissue"),
    ("RedPaletteColorLookupTableDescriptor", "image pixel: PALETTE COLOR decoding"),
    ("GreenPaletteColorLookupTableDescriptor", "image pixel: PALETTE COLOR decoding"),
    ("BluePaletteColorLookupTableDescriptor", "image pixel: PALETTE COLOR decoding"),
    ("RedPaletteColorLookupTableData", "image pixel: PALETTE COLOR decoding"),
    ("GreenPaletteColorLookupTableData", "image pixel: PALETTE COLOR decoding"),
    ("BluePaletteColorLookupTableData", "image pixel: PALETTE COLOR decoding"),
    ("ICCProfile", "image pixel: colour rendering as acquired"),
    ("ExtendedOffsetTable", "encapsulated pixel data: frame offsets"),
    ("ExtendedOffsetTableLengths", "encapsulated pixel data: frame offsets"),
    # Multi-frame module.
    ("NumberOfFrames", "multi-frame: decoding"),
    ("FrameIncrementPointer", "multi-frame: Type 1 with Number of Frames"),
    # Modality and VOI LUT: pixel values become physical values and a sensible display.
    ("RescaleIntercept", "modality LUT: stored values to physical units (e.g. HU)"),
    ("RescaleSlope", "modality LUT: stored values to physical units"),
    ("RescaleType", "modality LUT: the unit of the rescaled values"),
    ("WindowCenter", "VOI LUT: default display window"),
    ("WindowWidth", "VOI LUT: default display window"),
    ("VOILUTFunction", "VOI LUT: how the window applies"),
    # SOP Common, General Series/Image/Equipment: what the object is, Type 1 and Type 2.
    ("SOPClassUID", "SOP common: what kind of object this is (Type 1)"),
    ("SpecificCharacterSet", "SOP common: how every text value is encoded"),
    ("Modality", "general series: Type 1"),
    ("SeriesNumber", "general series: Type 2"),
    ("InstanceNumber", "general image: Type 2, image order"),
    ("PatientOrientation", "general image: Type 2C, display orientation"),
    ("ImageType", "general image: original/derived, primary/secondary"),
    ("Manufacturer", "general equipment: Type 2; a vendor name identifies no one"),
    # Lossy compression history must never be lost (PS3.3 C.7.6.1.1.5).
    ("LossyImageCompression", "general image: an image once lossy stays marked lossy"),
    ("LossyImageCompressionRatio", "general image: lossy compression history"),
    ("LossyImageCompressionMethod", "general image: lossy compression history"),
    # Burned-in text flags: the next stage needs them to decide about pixel data.
    ("BurnedInAnnotation", "general image: burned-in text check of the next stage"),
    ("RecognizableVisualFeatures", "general image: face check of the next stage"),
    # De-identification markers (PS3.15 E.1.1): the output says how it was de-identified.
    ("PatientIdentityRemoved", "patient: de-identification marker"),
    ("DeidentificationMethod", "patient: de-identification marker"),
    ("DeidentificationMethodCodeSequence", "patient: de-identification marker"),
    ("LongitudinalTemporalInformationModified", "general image: date handling marker"),
    # Code items: the rules apply at every depth, so the items of kept code
    # sequences (the de-identification method codes above) need their codes.
    ("CodeValue", "code sequence items"),
    ("CodingSchemeDesignator", "code sequence items"),
    ("CodingSchemeVersion", "code sequence items"),
    ("CodeMeaning", "code sequence items"),
    ("LongCodeValue", "code sequence items"),
    ("URNCodeValue", "code sequence items"),
)


@cache
def structural_tags() -> tuple[int, ...]:
    """The tags of :data:`STRUCTURAL_ATTRIBUTES` (a missing keyword is a programming error)."""
    tags = []
    for keyword, _ in STRUCTURAL_ATTRIBUTES:
        from pydicom import datadict  # loaded on first use, as in the rest of profile/

        tag = datadict.tag_for_keyword(keyword)
        if tag is None:
            raise MedanonError(f"structural attribute {keyword} is not in pydicom's dictionary")
        tags.append(tag)
    return tuple(tags)
