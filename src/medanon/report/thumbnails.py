"""Small pictures of the files whose pixels were cleaned, the blanked boxes outlined.

For each output file the run's pixel record lists with a box blanked in the image (at most
:data:`THUMBNAILS_SHOWN`, by output path; the report says how many were left out), the
first frame with a box, read back from the output with plain pydicom, windowed, scaled
down and outlined, as a PNG ``data:`` URI. The *before* picture is the same frame of the
source file, and is made only when the caller gives the source folder and the pairing of
outputs with sources (``medanon verify --against SRC --report FILE`` with FILE outside
OUT): a before image shows the original pixels, burned-in text included, so it belongs to
a report that stays on the site's side and is never written into OUT.

Coordinates come from the record (frame and rectangle, never text or pixel values).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from medanon.pixels.record import IMAGE_PLANE, BlankedBox, PixelRecord

THUMBNAILS_SHOWN = 24
THUMBNAIL_SIDE = 160  # pixels, the longer side
OUTLINE = (255, 48, 48)
#: Without a window in the file, a monochrome image is shown from this low to this high
#: percentile of its values (a CT's padding or a bright marker does not flatten the rest).
PERCENTILES = (1.0, 99.0)

Window = tuple[float, float]  # centre, width (of modality values)


@dataclass(frozen=True)
class Thumbnail:
    """One cleaned file's pictures (``before`` empty when not made) and its boxes."""

    file: str
    frame: int
    boxes: int
    after: str
    before: str = ""
    error: str = ""  # why a picture could not be made (a decoder missing, say)


def cleaned_files(records: dict[str, PixelRecord]) -> list[tuple[str, PixelRecord]]:
    """The output files with at least one box blanked in the image, by output path."""
    return sorted((name, record) for name, record in records.items()
                  if any(box.plane == IMAGE_PLANE for box in record.boxes))


def _modality_values(frame: NDArray[Any], ds: Any) -> NDArray[np.float64]:
    """The frame in modality values (rescale or Modality LUT), as pydicom applies them."""
    from pydicom.pixels.processing import apply_modality_lut

    values: NDArray[np.float64] = np.asarray(apply_modality_lut(frame, ds), dtype=np.float64)
    return values


def _first(value: Any) -> float | None:
    from pydicom.multival import MultiValue

    try:
        return float(value[0] if isinstance(value, MultiValue | list | tuple) else value)
    except (TypeError, ValueError, IndexError):
        return None


def window_of(frame: NDArray[Any], ds: Any) -> Window:
    """The file's own window (its first), else the 1st to 99th percentile of ``frame``."""
    centre, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if centre is not None and width is not None and width > 0:
        return centre, width
    values = _modality_values(frame, ds)
    low, high = (float(v) for v in np.percentile(values, PERCENTILES))
    return (low + high) / 2, max(high - low, 1.0)


def to_rgb(frame: NDArray[Any], ds: Any, window: Window | None) -> NDArray[np.uint8]:
    """An 8-bit RGB picture of one decoded frame: monochrome windowed, colour as stored."""
    from medanon.pixels.render import to_rgb8

    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if not photometric.startswith("MONOCHROME"):
        samples = frame if frame.ndim == 3 else frame[..., None]
        return to_rgb8(samples, photometric, int(ds.get("BitsStored", 8) or 8),
                       bool(ds.get("PixelRepresentation", 0)), ds)
    centre, width = window or window_of(frame, ds)
    values = _modality_values(frame, ds)
    scaled = np.rint((values - (centre - width / 2)) * (255.0 / width))
    grey = np.clip(scaled, 0, 255).astype(np.uint8)
    if photometric == "MONOCHROME1":
        grey = 255 - grey
    return np.repeat(grey[..., None], 3, axis=-1)


def _read_frame(path: Path, frame: int) -> tuple[NDArray[Any], Any]:
    """One decoded frame (only that one) and the file's other elements."""
    from pydicom.dataset import Dataset
    from pydicom.pixels.utils import pixel_array

    ds = Dataset()
    array = pixel_array(path, index=frame, ds_out=ds)
    return array, ds


def png_uri(rgb: NDArray[np.uint8], boxes: list[BlankedBox]) -> str:
    """The picture scaled to :data:`THUMBNAIL_SIDE`, ``boxes`` outlined, as a data URI."""
    from PIL import Image, ImageDraw

    image = Image.fromarray(rgb, "RGB")
    scale = min(1.0, THUMBNAIL_SIDE / max(image.width, image.height))
    if scale < 1.0:
        image = image.resize((max(1, round(image.width * scale)),
                              max(1, round(image.height * scale))), Image.Resampling.BOX)
    draw = ImageDraw.Draw(image)
    for box in boxes:
        draw.rectangle((int(box.x0 * scale), int(box.y0 * scale),
                        max(int(box.x0 * scale), int(np.ceil(box.x1 * scale)) - 1),
                        max(int(box.y0 * scale), int(np.ceil(box.y1 * scale)) - 1)),
                       outline=OUTLINE, width=1)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbnail(out: Path, name: str, record: PixelRecord, source: Path | None = None
              ) -> Thumbnail:
    """The pictures of one cleaned output file (``source``: its source file, for before)."""
    image_boxes = [box for box in record.boxes if box.plane == IMAGE_PLANE]
    frame = min(box.frame for box in image_boxes)
    boxes = [box for box in image_boxes if box.frame == frame]
    try:
        after, ds = _read_frame(out / name, frame)
        window = window_of(after, ds)
        before_uri = ""
        if source is not None:
            before, source_ds = _read_frame(source, frame)
            # One window for both (the source's: the output's may be mostly blanked), so
            # that the pair differs only where it was cleaned.
            window = window_of(before, source_ds)
            before_uri = png_uri(to_rgb(before, source_ds, window), boxes)
        after_uri = png_uri(to_rgb(after, ds, window), boxes)
    except Exception as exc:  # noqa: BLE001 - a picture is not worth failing the report
        # The error's type only: its message may quote a path or a value.
        return Thumbnail(name, frame, len(boxes), "", "", f"not drawn ({type(exc).__name__})")
    return Thumbnail(name, frame, len(boxes), after_uri, before_uri)


def thumbnails(out: Path, records: dict[str, PixelRecord], *,
               sources: dict[str, Path] | None = None) -> tuple[list[Thumbnail], int]:
    """Pictures of the first :data:`THUMBNAILS_SHOWN` cleaned files, and how many there are.

    ``sources`` maps an output's path in OUT to its source file: given, the pictures come
    in before/after pairs (only for a report kept on the site's side).
    """
    cleaned = cleaned_files(records)
    made = [thumbnail(out, name, record, (sources or {}).get(name))
            for name, record in cleaned[:THUMBNAILS_SHOWN]]
    return made, len(cleaned)
