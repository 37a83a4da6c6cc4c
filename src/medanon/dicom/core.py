"""The per-instance core: one instance in, one de-identified instance out, for every door.

The folder runner, the Python API, Dask workers and the network node all hand their
instance to :func:`deidentify_instance` and get back what to write; nothing that
de-identifies lives in one of them alone. In one documented order:

0. the site's withhold rule, when one is bound (``EVT_WITHHOLD_LOOKUP``): an instance it
   names is withheld before anything else runs;
1. the header rules of the profile and recipe, with the collection plan's values;
2. the safety net (the file's own identifying values searched for in what survived);
3. the markers (PatientIdentityRemoved, DeidentificationMethod and its codes);
4. the pixel steps: the burned-in text plan (region rules, OCR) where the pixels must be
   decoded, else the JPEG comment and application segments of encapsulated frames.

Steps 1 to 3 are :func:`medanon.dicom.transform.deidentify`; step 4 is here, because it
needs the pixel data, which a file source streams from disk and an in-memory source
carries inside its dataset. The output is a new dataset; no value of the input is changed
(raw elements of the input may be decoded in place, as reading them with pydicom does:
the Python API hands over a copy so that even that never reaches the caller's dataset).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydicom.dataset import Dataset

from medanon.custody.keys import SecretKey
from medanon.dicom import jpeg_segments
from medanon.dicom.pixel_steps import (
    clean_pixels_in_dataset,
    clean_segments_in_dataset,
    drop_offset_tables,
    pixel_value,
)
from medanon.dicom.plan import EMPTY_PLAN, CollectionPlan
from medanon.dicom.read import PixelSpan, SourceInstance
from medanon.dicom.transform import Transformed, deidentify
from medanon.dicom.write import SourceReadError
from medanon.errors import DeidentificationError
from medanon.events import WithholdRule, handler_name
from medanon.pixels.record import PixelRecord
from medanon.profile.model import Ruleset


@dataclass(frozen=True)
class FilePixels:
    """Pixel data left in the source file: the element's span, read only when needed."""

    path: Path
    span: PixelSpan

    def read(self) -> bytes:
        """The whole Pixel Data element as stored (its header included)."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.span.start)
                return handle.read(self.span.end - self.span.start)
        except OSError as exc:
            raise SourceReadError(exc) from None


@dataclass(frozen=True)
class Instance:
    """One instance as a source hands it over.

    ``pixels`` is where the pixel data is when it is not inside ``dataset``: a span of the
    source file (what the folder runner reads, so that untouched pixels are copied by the
    kernel and never decoded). None when the dataset carries its pixel data itself (the
    Python API, a file read whole, a dataset received over the network) or has none.
    """

    dataset: Dataset
    transfer_syntax: str
    pixels: FilePixels | None = None
    has_pixel_data: bool | None = None  # None: look in the dataset

    @classmethod
    def from_file(cls, source: SourceInstance, path: Path) -> Instance:
        """The instance :func:`medanon.dicom.read.read_instance` read from ``path``."""
        pixels = FilePixels(path, source.pixels) if source.pixels is not None else None
        return cls(source.dataset, source.transfer_syntax, pixels, source.has_pixel_data)


@dataclass(frozen=True)
class Deidentified:
    """What to write: the new dataset, its transfer syntax, and where its pixels come from.

    ``pixel_element`` is a whole new Pixel Data element to write after the header (JPEG
    frames with their segments cleaned); else ``copy_pixels`` names source bytes to copy
    unchanged; else the pixel data, if any, is inside ``dataset``. ``pixels`` is what the
    burned-in text step did (frames searched, boxes blanked), None when it did not run.
    """

    transformed: Transformed
    transfer_syntax: str
    pixel_element: bytes | None = None
    copy_pixels: FilePixels | None = None
    pixels: PixelRecord | None = None

    @property
    def dataset(self) -> Dataset:
        """The de-identified dataset (file meta not included)."""
        return self.transformed.dataset


def deidentify_instance(instance: Instance, ruleset: Ruleset, key: SecretKey,
                        plan: CollectionPlan = EMPTY_PLAN, *,
                        withhold: WithholdRule | None = None) -> Deidentified:
    """De-identify one instance; see the module docstring for the order of the steps.

    ``withhold`` is a site's rule: it sees the original header, and True withholds the
    instance. The reason recorded names the rule (its code), never what it looked at.

    Raises
    ------
    DeidentificationError
        The instance cannot be fully de-identified: it must be withheld, never written.
    SourceReadError
        The source file could not be read again for its pixel data.
    """
    if withhold is not None and withhold(instance.dataset):
        raise DeidentificationError(f"withheld by the site's rule {handler_name(withhold)}")
    transformed = deidentify(instance.dataset, ruleset, key, plan,
                             has_pixel_data=instance.has_pixel_data)
    syntax, pixels = instance.transfer_syntax, instance.pixels
    if transformed.pixel_plan is not None:
        tag, value = pixel_value(pixels.read(), syntax, pixels.span.encapsulated) \
            if pixels is not None else (None, None)
        report = clean_pixels_in_dataset(transformed.dataset, syntax, transformed.pixel_plan,
                                         value, transformed.identifying_values, tag)
        # The pixels are now inside the dataset.
        return Deidentified(transformed, report.transfer_syntax, pixels=report.record)
    if not jpeg_segments.applies_to(syntax):
        return Deidentified(transformed, syntax, copy_pixels=pixels)
    if pixels is None:
        clean_segments_in_dataset(transformed.dataset, syntax)
        return Deidentified(transformed, syntax)
    if not pixels.span.encapsulated:
        return Deidentified(transformed, syntax, copy_pixels=pixels)
    cleaned = jpeg_segments.clean_encapsulated(pixels.read(), syntax)
    if cleaned is None:
        return Deidentified(transformed, syntax, copy_pixels=pixels)
    drop_offset_tables(transformed.dataset)
    return Deidentified(transformed, syntax, pixel_element=cleaned)
