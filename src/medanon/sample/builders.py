"""Build one dataset per sample instance: the shared modules plus the modality's own.

CT, MR, ultrasound and secondary capture instances each get the Type 1 and
Type 2 attributes of their IOD (image pixel, image plane, modality image
module), consistent geometry within a series, and the references, private
blocks, overlays and curves their series' features ask for.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset
from pydicom.encaps import encapsulate
from pydicom.sequence import Sequence
from pydicom.uid import (
    CTImageStorage,
    ExplicitVRLittleEndian,
    JPEGBaseline8Bit,
    MRImageStorage,
    SecondaryCaptureImageStorage,
    UltrasoundImageStorage,
)

from medanon.sample import extras, jpeg, pixels, texts
from medanon.sample.derive import Deriver, dicom_date, dicom_time
from medanon.sample.modules import Slot, base_dataset, code_item, file_meta, reference_item
from medanon.sample.people import Staff
from medanon.sample.plan import Series, SeriesKind

SOP_CLASSES: Mapping[SeriesKind, str] = {
    SeriesKind.CT_LOCALIZER: CTImageStorage,
    SeriesKind.CT_AXIAL: CTImageStorage,
    SeriesKind.CT_MPR: CTImageStorage,
    SeriesKind.MR: MRImageStorage,
    SeriesKind.US: UltrasoundImageStorage,
    SeriesKind.SC_CAPTURE: SecondaryCaptureImageStorage,
    SeriesKind.SC_JPEG: SecondaryCaptureImageStorage,
}
CT_FOV_MM = 350.0
MR_FOV_MM = 230.0


def _fmt(value: float) -> str:
    """A DS string: compact, at most 16 characters."""
    return f"{value:.6g}"


def _pixel_module(ds: Dataset, image: NDArray[np.generic], bits_stored: int) -> None:
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows, ds.Columns = (int(n) for n in image.shape)
    ds.BitsAllocated = 8 * image.dtype.itemsize
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    vr = "OB" if image.dtype.itemsize == 1 else "OW"
    ds.add(DataElement(0x7FE00010, vr, image.astype(image.dtype.newbyteorder("<")).tobytes()))


def _plane(ds: Dataset, orientation: tuple[float, ...], position: tuple[float, ...],
           spacing: float, thickness: float, frame_uid: str) -> None:
    ds.ImageOrientationPatient = [_fmt(v) for v in orientation]
    ds.ImagePositionPatient = [_fmt(v) for v in position]
    ds.PixelSpacing = [_fmt(spacing), _fmt(spacing)]
    ds.SliceThickness = _fmt(thickness)
    ds.FrameOfReferenceUID = frame_uid
    ds.PositionReferenceIndicator = ""


def _series_by_kind(series: Series, all_series: tuple[Series, ...],
                    kind: SeriesKind) -> Series | None:
    return next((s for s in all_series if s.study is series.study and s.shape.kind is kind), None)


def _ct(ds: Dataset, slot: Slot, d: Deriver, all_series: tuple[Series, ...]) -> None:
    series = slot.series
    kind = series.shape.kind
    region = series.study.shape.region
    flavour = {SeriesKind.CT_LOCALIZER: ["ORIGINAL", "PRIMARY", "LOCALIZER"],
               SeriesKind.CT_MPR: ["DERIVED", "SECONDARY", "REFORMATTED"]}
    ds.ImageType = flavour.get(kind, ["ORIGINAL", "PRIMARY", "AXIAL"])
    spacing = CT_FOV_MM / pixels.CT_SIZE
    corner = -CT_FOV_MM / 2
    if kind is SeriesKind.CT_AXIAL:
        z = -40.0 - 5.0 * (slot.number - 1)
        _plane(ds, (1, 0, 0, 0, 1, 0), (corner, corner, z), spacing, 5.0,
               series.frame_of_reference_uid)
        ds.SliceLocation = _fmt(z)
        ds.SpacingBetweenSlices = "5"
    else:  # coronal localizer or coronal reformat
        y = -20.0 + 10.0 * (slot.number - 1)
        _plane(ds, (1, 0, 0, 0, 0, -1), (corner, y, 135.0), spacing,
               10.0 if kind is SeriesKind.CT_MPR else 1.0, series.frame_of_reference_uid)
        ds.SliceLocation = _fmt(y)
    draw = pixels.ct_slice if kind is SeriesKind.CT_AXIAL else pixels.ct_coronal
    image = draw(d.integer(f"{series.label}.i{slot.number}.noise", 0, 2**62),
                 float(ds.SliceLocation), region)
    _pixel_module(ds, image, 12)
    ds.RescaleIntercept = str(pixels.CT_INTERCEPT)
    ds.RescaleSlope = "1"
    if kind is not SeriesKind.CT_LOCALIZER:
        ds.RescaleType = "HU"
    ds.WindowCenter, ds.WindowWidth = ("40", "400") if region != "CHEST" else ("-600", "1500")
    ds.KVP = "120"
    ds.AcquisitionNumber = 1
    ds.ConvolutionKernel = "STANDARD"
    ds.XRayTubeCurrent = 250
    ds.ExposureTime = 800
    ds.ReconstructionDiameter = _fmt(CT_FOV_MM)
    ds.GantryDetectorTilt = "0"
    ds.PatientOrientation = ["L", "P"] if kind is SeriesKind.CT_AXIAL else ["L", "F"]
    if kind is SeriesKind.CT_AXIAL:
        localizer = _series_by_kind(series, all_series, SeriesKind.CT_LOCALIZER)
        if localizer is not None:
            item = reference_item(CTImageStorage, localizer.instance_uids[0])
            item.PurposeOfReferenceCodeSequence = Sequence([
                code_item("121311", "DCM", "Localizer")])
            ds.ReferencedImageSequence = Sequence([item])
    if kind is SeriesKind.CT_MPR:
        axial = _series_by_kind(series, all_series, SeriesKind.CT_AXIAL)
        if axial is not None:
            ds.SourceImageSequence = Sequence(
                [reference_item(CTImageStorage, uid) for uid in axial.instance_uids])
            ds.DerivationDescription = "Coronal multiplanar reformat of the axial series"


def _mr(ds: Dataset, slot: Slot, d: Deriver) -> None:
    series = slot.series
    description = series.shape.description
    weighting = "T1" if description.startswith("T1") else "T2"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "M", "ND"]
    if description.startswith("FLAIR"):
        ds.ScanningSequence = ["SE", "IR"]
        ds.SequenceVariant = ["SK", "SP", "MP"]
        ds.InversionTime = "2500"
    else:
        ds.ScanningSequence = "SE"
        ds.SequenceVariant = ["SK", "SP"]
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = "*tse2d1_5"
    ds.AngioFlag = "N"
    ds.RepetitionTime = "550" if weighting == "T1" else "4200"
    ds.EchoTime = "12" if weighting == "T1" else "96"
    ds.EchoTrainLength = 3 if weighting == "T1" else 15
    ds.EchoNumbers = 1
    ds.NumberOfAverages = "1"
    ds.ImagingFrequency = "63.68"
    ds.ImagedNucleus = "1H"
    ds.MagneticFieldStrength = "1.5"
    ds.FlipAngle = "150"
    ds.PixelBandwidth = "190"
    spacing = MR_FOV_MM / pixels.MR_SIZE
    corner = -MR_FOV_MM / 2
    offset = -8.0 + 6.0 * (slot.number - 1)
    if " SAG" in f" {description}":
        orientation, position = (0, 1, 0, 0, 0, -1), (offset, corner, -corner)
        ds.PatientOrientation = ["P", "F"]
    else:
        orientation, position = (1, 0, 0, 0, 1, 0), (corner, corner, offset)
        ds.PatientOrientation = ["L", "P"]
    _plane(ds, orientation, position, spacing, 5.0, series.frame_of_reference_uid)
    ds.SliceLocation = _fmt(offset)
    ds.SpacingBetweenSlices = "6"
    image = pixels.mr_slice(d.integer(f"{series.label}.i{slot.number}.noise", 0, 2**62),
                            slot.number, weighting)
    _pixel_module(ds, image, 12)
    ds.WindowCenter, ds.WindowWidth = "1400", "2800"


def _us(ds: Dataset, slot: Slot, d: Deriver) -> None:
    series = slot.series
    ds.ImageType = ["ORIGINAL", "PRIMARY", "ABDOMINAL", "0001"]
    frame = pixels.us_frame(d.integer(f"{series.label}.i{slot.number}.noise", 0, 2**62))
    if series.shape.burned_in == "YES":
        pixels.burn_lines(frame, texts.burned_lines(series.study))
    _pixel_module(ds, frame, 8)
    ds.BurnedInAnnotation = series.shape.burned_in
    ds.PatientOrientation = ""
    ds.TransducerData = "C1-6"
    region = Dataset()
    region.RegionSpatialFormat = 1
    region.RegionDataType = 1
    region.RegionFlags = 0
    region.RegionLocationMinX0 = 0
    region.RegionLocationMinY0 = 0
    region.RegionLocationMaxX1 = frame.shape[1] - 1
    region.RegionLocationMaxY1 = frame.shape[0] - 1
    region.PhysicalUnitsXDirection = 3
    region.PhysicalUnitsYDirection = 3
    region.PhysicalDeltaX = 0.12
    region.PhysicalDeltaY = 0.12
    ds.SequenceOfUltrasoundRegions = Sequence([region])


def _sc(ds: Dataset, slot: Slot, d: Deriver) -> bytes | None:
    """Secondary capture; returns the JPEG frame when the series is the JPEG key image."""
    series = slot.series
    study = series.study
    ds.ConversionType = "WSD"
    ds.SecondaryCaptureDeviceManufacturer = "WXVIEW"
    ds.SecondaryCaptureDeviceManufacturerModelName = "KeyCapture"
    ds.DateOfSecondaryCapture = dicom_date(study.date)
    ds.TimeOfSecondaryCapture = dicom_time(slot.acquired)
    ds.PatientOrientation = ""
    if series.shape.kind is SeriesKind.SC_CAPTURE:
        ds.ImageType = ["DERIVED", "SECONDARY", "SCREEN SAVE"]
        lines = [*texts.burned_lines(study)[:4], "CTDIVOL 42.1 MGY", "DLP 812 MGY-CM"]
        _pixel_module(ds, pixels.capture_screen(lines), 8)
        return None  # BurnedInAnnotation deliberately absent
    ds.ImageType = ["DERIVED", "SECONDARY"]
    stored = pixels.ct_slice(d.integer(f"{series.label}.i{slot.number}.noise", 0, 2**62),
                             0.0, study.shape.region)
    image = pixels.window_to_8bit(stored, 1024 - 160, 1024 + 240)
    _pixel_module(ds, image, 8)
    ds.BurnedInAnnotation = series.shape.burned_in
    frame = jpeg.insert_after_soi(jpeg.encode_baseline(image, quality=90), [
        jpeg.comment_segment(texts.jpeg_comment(study).encode("latin-1")),
        jpeg.app_segment(1, b"http://ns.adobe.com/xap/1.0/\x00"
                         + texts.jpeg_xmp(study).encode("utf-8")),
    ])
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = _fmt(image.size / len(frame))
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    return frame


def build_instance(slot: Slot, staff: Staff, d: Deriver,
                   all_series: tuple[Series, ...]) -> Dataset:
    """The complete dataset, with file meta, of one sample instance."""
    series = slot.series
    features = series.shape.features
    patient = series.study.patient
    ds = base_dataset(slot, staff)
    kind = series.shape.kind
    frame: bytes | None = None
    if kind in (SeriesKind.CT_LOCALIZER, SeriesKind.CT_AXIAL, SeriesKind.CT_MPR):
        _ct(ds, slot, d, all_series)
    elif kind is SeriesKind.MR:
        _mr(ds, slot, d)
    elif kind is SeriesKind.US:
        _us(ds, slot, d)
    else:
        frame = _sc(ds, slot, d)
    if "private-safe" in features:
        extras.add_safe_ct_block(ds)
    if "private-unknown" in features:
        extras.add_archive_block(ds, patient)
    if "private-empty-creator" in features:
        extras.add_empty_creator(ds)
    if "private-orphan" in features:
        extras.add_orphan(ds, series.study)
    if "private-siemens" in features:
        extras.add_siemens_blocks(ds, patient, b_value=0)
    if "private-sequence" in features:
        extras.add_private_sequence(ds, patient)
    if "overlay" in features and slot.number == 1:
        extras.add_overlay(ds, patient)
    if "curve" in features and slot.number == 2:
        extras.add_curve(ds, patient)
    if "real-world-value" in features:
        extras.add_real_world_value_mapping(ds)
    if _has_unlisted_text(slot):
        extras.add_unlisted_text(ds, patient, series.study.site.name)
    syntax = ExplicitVRLittleEndian
    if frame is not None:
        syntax = JPEGBaseline8Bit
        element = DataElement(0x7FE00010, "OB", encapsulate([frame]))
        element.is_undefined_length = True
        ds.add(element)
    ds.file_meta = file_meta(slot.sop_class, slot.sop_instance_uid, syntax)
    return ds


def instance_features(slot: Slot) -> frozenset[str]:
    """The features one instance actually exercises (per-instance ones only where placed)."""
    features = set(slot.series.shape.features)
    if slot.number != 1:
        features.discard("overlay")
    if slot.number != 2:
        features.discard("curve")
    if slot.number == 1:
        features.add("image-comments")
    if _has_unlisted_text(slot):
        features.add("unlisted-text")
    return frozenset(features)


def _has_unlisted_text(slot: Slot) -> bool:
    """The first slice of every axial CT series carries personal data in unlisted places."""
    return slot.series.shape.kind is SeriesKind.CT_AXIAL and slot.number == 1
