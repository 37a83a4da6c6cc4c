"""Generate images with burned-in text and the true box of every text item.

Fonts are Debian's fonts-dejavu-core and fonts-liberation (from /usr/share/fonts);
sizes 8-40 px; positions in the corners, in banners and in the centre; white, yellow,
green and grey text, with or without a dark backing; ultrasound-like (speckle in a
sector), CT-like and flat black backgrounds; RGB, palette, monochrome 8 and 16 bit;
single and multi-frame. ``dataset_of`` wraps a sample in a DICOM dataset, optionally
compressed, so the same samples drive the codec and the OCR measurements.

    python bench/pixels/generate.py OUT_DIR [--count N] [--seed S]   # writes .dcm + boxes.json
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype")
FONTS = {
    "dejavu-sans": FONT_DIR / "dejavu/DejaVuSans.ttf",
    "dejavu-mono": FONT_DIR / "dejavu/DejaVuSansMono.ttf",
    "dejavu-bold": FONT_DIR / "dejavu/DejaVuSans-Bold.ttf",
    "liberation-sans": FONT_DIR / "liberation/LiberationSans-Regular.ttf",
    "liberation-mono": FONT_DIR / "liberation/LiberationMono-Regular.ttf",
    "liberation-serif": FONT_DIR / "liberation/LiberationSerif-Regular.ttf",
}
SIZES = (8, 9, 10, 12, 14, 16, 20, 24, 32, 40)
COLOURS = {"white": (255, 255, 255), "yellow": (255, 230, 0), "green": (0, 230, 60),
           "grey": (170, 170, 170)}
POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right", "banner", "centre")
BACKGROUNDS = ("us", "ct", "black")
KINDS = ("rgb", "palette", "mono8", "mono16")
GIVEN = ("JOHN", "MARIA", "WEI", "AMARA", "OLGA", "PEDRO", "YUKI", "FATIMA")
FAMILY = ("DOE", "GARCIA", "NGUYEN", "OKAFOR", "IVANOVA", "SILVA", "TANAKA", "HADDAD")

Box = tuple[int, int, int, int]


@dataclass
class Sample:
    """One generated image: frames × rows × columns × samples, and its true text boxes."""

    frames: NDArray[np.generic]
    kind: str
    boxes: list[list[Box]]  # per frame
    labels: list[list[dict[str, object]]] = field(default_factory=list)  # font, size per box
    palette: NDArray[np.uint8] | None = None  # 256 × 3 for "palette"

    @property
    def photometric(self) -> str:
        return {"rgb": "RGB", "palette": "PALETTE COLOR"}.get(self.kind, "MONOCHROME2")


def text_line(rng: random.Random) -> str:
    """A line like the ones modalities burn in: a name, an ID, a date, a mix."""
    choice = rng.randrange(4)
    if choice == 0:
        return f"{rng.choice(FAMILY)}^{rng.choice(GIVEN)}"
    if choice == 1:
        return f"ID {rng.randrange(10**7, 10**8)}"
    if choice == 2:
        return f"{rng.randrange(1940, 2024)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    return f"{rng.choice(FAMILY)} {rng.choice(GIVEN)[0]} {rng.randrange(10, 99)}Y"


def header_values(text: str) -> list[str]:
    """The header values a line of :func:`text_line` shows, as the file would hold them."""
    if "^" in text:
        return [text, *text.split("^")]
    if text.startswith("ID "):
        return [text[3:]]
    if text[:4].isdigit() and text[4:5] == "-":
        return [text.replace("-", "")]
    return [text.split(" ")[0]]


def background(kind: str, rows: int, columns: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """A grey image in 0..1: ultrasound speckle in a sector, a CT-like body, or black."""
    if kind == "black":
        return np.zeros((rows, columns))
    y, x = np.mgrid[0:rows, 0:columns].astype(float)
    if kind == "us":
        apex_x, apex_y = columns / 2, rows * 0.08
        angle = np.arctan2(x - apex_x, y - apex_y + 1e-9)
        radius = np.hypot(x - apex_x, y - apex_y)
        inside = (np.abs(angle) < 0.6) & (radius < rows * 0.85) & (radius > rows * 0.05)
        # Speckle has a grain of a few pixels (the system's point spread), longer
        # laterally than axially: Rayleigh noise blurred by an anisotropic kernel.
        grain = Image.fromarray((rng.rayleigh(0.25, (rows, columns)) * 100).clip(0, 255)
                                .astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.2))
        speckle = np.asarray(grain, dtype=float) / 100 * 1.8 * (1 - radius / rows * 0.6)
        return np.clip(np.where(inside, speckle, 0), 0, 1)
    body = ((x - columns / 2) / (columns * 0.42)) ** 2 + ((y - rows / 2) / (rows * 0.40)) ** 2
    image = np.where(body < 1, 0.35 + rng.normal(0, 0.04, (rows, columns)), 0.0)
    organ = ((x - columns * 0.4) / (columns * 0.1)) ** 2 + ((y - rows * 0.5) / (rows * 0.12)) ** 2
    return np.clip(np.where(organ < 1, image + 0.15, image), 0, 1)


def _place(position: str, size: tuple[int, int], rows: int, columns: int, slot: int,
           rng: random.Random) -> tuple[int, int]:
    width, height = size
    pad = rng.randrange(2, 12)
    line = slot * (height + 6)
    if position == "top-left":
        return pad, pad + line
    if position == "top-right":
        return columns - width - pad, pad + line
    if position == "bottom-left":
        return pad, rows - height - pad - line
    if position == "bottom-right":
        return columns - width - pad, rows - height - pad - line
    if position == "banner":
        return max(0, (columns - width) // 2 + rng.randrange(-40, 41)), pad + line
    return (columns - width) // 2 + rng.randrange(-30, 31), (rows - height) // 2 + line


def draw_text(canvas: Image.Image, rng: random.Random, font_name: str, size: int,
              colour: tuple[int, int, int], position: str, slot: int, backing: bool,
              text: str | None = None) -> Box | None:
    """Draw one line; returns its ink box (x0, y0, x1, y1, exclusive), None if it did not fit.

    The line is placed by Pillow's text box; the box returned is its ink (:func:`ink_box`).
    """
    font = ImageFont.truetype(str(FONTS[font_name]), size)
    text = text or text_line(rng)
    draw = ImageDraw.Draw(canvas)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    width, height = right - left, bottom - top
    columns, rows = canvas.size
    if width + 4 > columns or height + 4 > rows:
        return None
    x, y = _place(position, (width, height), rows, columns, slot, rng)
    x, y = min(max(2, x), columns - width - 2), min(max(2, y), rows - height - 2)
    if backing:
        draw.rectangle((x - 3, y - 3, x + width + 3, y + height + 3), fill=(16, 16, 16))
    draw.text((x - left, y - top), text, font=font, fill=colour)
    return ink_box(canvas.size, (x - left, y - top), text, font)


def ink_box(size: tuple[int, int], origin: tuple[int, int], text: str,
            font: ImageFont.FreeTypeFont) -> Box:
    """The bounds of the pixels the text touches (x0, y0, x1, y1, exclusive).

    Pillow's ``textbbox`` starts at the first glyph's origin: its left bearing (up to 4
    px of 40 px type) holds no ink. The true box is where the ink is, antialiased edge
    included, so that a box is counted missed only when text is left on the image.
    """
    mask = Image.new("L", size)
    ImageDraw.Draw(mask).text(origin, text, font=font, fill=255)
    bounds = mask.getbbox()
    assert bounds is not None  # the line fitted, so some of its ink is on the canvas
    return (int(bounds[0]), int(bounds[1]), int(bounds[2]), int(bounds[3]))


def sample(seed: int, *, rows: int = 480, columns: int = 640, kind: str | None = None,
           frames: int = 1, text_frames: tuple[int, ...] | None = None,
           sizes: tuple[int, ...] = SIZES, lines: int | None = None) -> Sample:
    """One image with 1-4 text lines (on ``text_frames`` only; default every frame)."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    kind = kind or rng.choice(KINDS)
    grey = background(rng.choice(BACKGROUNDS), rows, columns, nrng)
    base = Image.fromarray((grey * 255).astype(np.uint8)).convert("RGB")
    text_frames = tuple(range(frames)) if text_frames is None else text_frames
    count = lines or rng.randrange(1, 5)
    layout = [(rng.choice(list(FONTS)), rng.choice(sizes), rng.choice(list(COLOURS)),
               rng.choice(POSITIONS), rng.random() < 0.3, text_line(rng)) for _ in range(count)]
    placement = random.Random(seed + 1)
    all_frames, all_boxes, all_labels = [], [], []
    for index in range(frames):
        canvas = base.copy()
        boxes: list[Box] = []
        labels: list[dict[str, object]] = []
        if index in text_frames:
            used: dict[str, int] = {}
            placement.seed(seed + 1)  # the same layout on every frame that has text
            for font_name, size, colour, position, backing, text in layout:
                slot = used.get(position, 0)
                used[position] = slot + 1
                box = draw_text(canvas, placement, font_name, size, COLOURS[colour], position,
                                slot, backing, text)
                if box is not None and not any(_overlap(box, other) for other in boxes):
                    boxes.append(box)
                    labels.append({"font": font_name, "size": size, "colour": colour,
                                   "position": position, "backing": backing, "text": text})
        all_frames.append(np.asarray(canvas))
        all_boxes.append(boxes)
        all_labels.append(labels)
    rgb = np.stack(all_frames)
    return _as_kind(rgb, kind, all_boxes, all_labels)


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _as_kind(rgb: NDArray[np.uint8], kind: str, boxes: list[list[Box]],
             labels: list[list[dict[str, object]]]) -> Sample:
    if kind == "rgb":
        return Sample(rgb, kind, boxes, labels)
    if kind == "palette":
        # 6 × 7 × 6 colour cube: close enough to every colour the generator draws.
        levels = (np.array([0, 51, 102, 153, 204, 255]), np.linspace(0, 255, 7).astype(int),
                  np.array([0, 51, 102, 153, 204, 255]))
        r, g, b = (np.abs(rgb[..., i, None] - levels[i]).argmin(-1) for i in range(3))
        index = (r * 42 + g * 6 + b).astype(np.uint8)
        lut = np.array([(levels[0][i // 42], levels[1][(i // 6) % 7], levels[2][i % 6])
                        for i in range(252)] + [(0, 0, 0)] * 4, dtype=np.uint8)
        return Sample(index[..., None], kind, boxes, labels, palette=lut)
    grey = rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    if kind == "mono8":
        return Sample(np.round(grey).astype(np.uint8)[..., None], kind, boxes, labels)
    return Sample((np.round(grey) * 16).astype(np.uint16)[..., None], kind, boxes, labels)


def dataset_of(item: Sample, syntax: str = "1.2.840.10008.1.2.1", *, modality: str = "US",
               burned_in: str | None = None, patient_name: str = "DOE^JOHN"):  # type: ignore[no-untyped-def]
    """A DICOM dataset holding the sample, in ``syntax`` (compressed through pydicom)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import UID, generate_uid

    frames, rows, columns, samples = item.frames.shape
    ds = Dataset()
    ds.SOPClassUID = ("1.2.840.10008.5.1.4.1.1.3.1" if frames > 1 else
                      "1.2.840.10008.5.1.4.1.1.6.1")
    ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = modality
    ds.PatientName, ds.PatientID = patient_name, "12345678"
    ds.Manufacturer = "ACME MEDICAL"
    ds.ManufacturerModelName = "SONO 9"
    if burned_in is not None:
        ds.BurnedInAnnotation = burned_in
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, columns, samples
    ds.PhotometricInterpretation = item.photometric
    bits = item.frames.dtype.itemsize * 8
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, 12 if bits == 16 else 8, (
        11 if bits == 16 else 7)
    ds.PixelRepresentation = 0
    if samples > 1:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    if item.palette is not None:
        for channel, name in enumerate(("Red", "Green", "Blue")):
            setattr(ds, f"{name}PaletteColorLookupTableDescriptor", [256, 0, 8])
            setattr(ds, f"{name}PaletteColorLookupTableData", item.palette[:, channel].tobytes())
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.1")
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    array = item.frames if samples > 1 else item.frames[..., 0]
    if frames == 1:
        array = array[0]
    if syntax == "1.2.840.10008.1.2.1":
        ds.PixelData = np.ascontiguousarray(array).tobytes()
        ds["PixelData"].VR = "OB" if bits == 8 else "OW"
    elif syntax == JPEG_BASELINE:
        _jpeg_baseline(ds, item)
    else:
        kwargs = {"j2k_cr": [20]} if syntax == "1.2.840.10008.1.2.4.91" else {}
        ds.compress(UID(syntax), np.ascontiguousarray(array), generate_instance_uid=False,
                    **kwargs)
    return ds


JPEG_BASELINE = "1.2.840.10008.1.2.4.50"


def _jpeg_baseline(ds, item: Sample) -> None:  # type: ignore[no-untyped-def]
    """JPEG baseline through Pillow (pydicom has no encoder for it), as a modality writes it."""
    import io

    from pydicom.encaps import encapsulate
    from pydicom.uid import UID

    if item.frames.dtype != np.uint8 or item.kind == "palette":
        raise ValueError("JPEG baseline holds 8-bit RGB or monochrome samples only")
    fragments = []
    for frame in item.frames:
        picture = Image.fromarray(frame if frame.shape[-1] == 3 else frame[..., 0])
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=92)
        fragments.append(buffer.getvalue())
    ds.PixelData = encapsulate(fragments)
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    if item.frames.shape[-1] == 3:
        ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionMethod = "ISO_10918_1"
    ds.file_meta.TransferSyntaxUID = UID(JPEG_BASELINE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    truth = {}
    for index in range(args.count):
        item = sample(args.seed * 100_000 + index)
        name = f"{index:05d}.dcm"
        dataset_of(item).save_as(args.out / name, enforce_file_format=True)
        truth[name] = {"kind": item.kind, "boxes": item.boxes, "labels": item.labels}
    (args.out / "boxes.json").write_text(json.dumps(truth, indent=1))


if __name__ == "__main__":
    main()
