"""The ``[pixels]`` recipe section as a frozen, picklable settings object.

Validation lives here (one place); :mod:`medanon.profile.recipe` turns a problem into a
recipe error naming the line. A :class:`PixelSettings` in hand is always usable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

#: A rectangle in pixel coordinates: x0, y0 inclusive; x1, y1 exclusive.
Box = tuple[int, int, int, int]

SECTION_KEYS = ("ocr", "margin", "fill", "regions")
REGION_KEYS = ("Modality", "Manufacturer", "ManufacturerModelName", "Rows", "Columns", "boxes")
MAX_MARGIN = 256


class OcrMode(StrEnum):
    """Which files OCR searches for burned-in text."""

    LIKELY = "likely"  # modalities and SOP classes where burned-in text is common
    ALL = "all"  # every file with pixel data
    OFF = "off"  # none: suspected files are withheld for review, as without [pixels]


class Fill(StrEnum):
    """What a blanked box is filled with."""

    BLACK = "black"  # what the display shows as black (photometric interpretation aware)
    MIN = "min"  # the image's minimum stored value


@dataclass(frozen=True)
class RegionRule:
    """A known vendor layout: files matching the globs get ``boxes`` blanked, OCR or not."""

    modality: str = "*"
    manufacturer: str = "*"
    model: str = "*"
    rows: int | None = None
    columns: int | None = None
    boxes: tuple[Box, ...] = ()


@dataclass(frozen=True)
class PixelSettings:
    """What the pixel step does; the default is OCR on likely files, margin 4, black."""

    ocr: OcrMode = OcrMode.LIKELY
    margin: int = 4
    fill: Fill = Fill.BLACK
    regions: tuple[RegionRule, ...] = ()

    def canonical(self) -> dict[str, Any]:
        """Plain JSON-ready content, for recipe fingerprints."""
        return {
            "ocr": self.ocr.value, "margin": self.margin, "fill": self.fill.value,
            "regions": [
                {"Modality": r.modality, "Manufacturer": r.manufacturer,
                 "ManufacturerModelName": r.model, "Rows": r.rows, "Columns": r.columns,
                 "boxes": [list(b) for b in r.boxes]}
                for r in self.regions
            ],
        }


DEFAULT_PIXELS = PixelSettings()


class PixelSettingsError(ValueError):
    """A problem in the ``[pixels]`` section; ``path`` locates it (keys and list indices)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def pixel_settings(section: Mapping[str, Any]) -> PixelSettings:
    """Validate a ``[pixels]`` table (as ``tomllib`` gives it) into settings."""
    unknown = sorted(set(section) - set(SECTION_KEYS))
    if unknown:
        raise PixelSettingsError((unknown[0],), f"pixels: unknown key {unknown[0]!r}; "
                                 f"valid keys: {', '.join(SECTION_KEYS)}")
    ocr = _choice(section.get("ocr", "likely"), OcrMode, ("ocr",))
    fill = _choice(section.get("fill", "black"), Fill, ("fill",))
    margin = section.get("margin", 4)
    if not _is_int(margin) or not 0 <= margin <= MAX_MARGIN:
        raise PixelSettingsError(("margin",), f"pixels.margin: expected a whole number of "
                                 f"pixels from 0 to {MAX_MARGIN}")
    regions = section.get("regions", [])
    if not isinstance(regions, list):
        raise PixelSettingsError(("regions",), "pixels.regions: expected [[pixels.regions]] "
                                 "tables")
    rules = tuple(_region(index, item) for index, item in enumerate(regions))
    return PixelSettings(ocr=ocr, margin=margin, fill=fill, regions=rules)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _choice(value: object, kind: type[OcrMode] | type[Fill], path: tuple[str, ...]) -> Any:
    names = [member.value for member in kind]
    if not isinstance(value, str) or value not in names:
        raise PixelSettingsError(path, f"pixels.{path[0]}: {value!r} is not one of "
                                 f"{', '.join(repr(n) for n in names)}")
    return kind(value)


def _region(index: int, item: object) -> RegionRule:
    where = f"pixels.regions[{index}]"
    if not isinstance(item, Mapping):
        raise PixelSettingsError(("regions", index), f"{where}: expected a table")
    unknown = sorted(set(item) - set(REGION_KEYS))
    if unknown:
        raise PixelSettingsError(("regions", index, unknown[0]),
                                 f"{where}: unknown key {unknown[0]!r}; valid keys: "
                                 f"{', '.join(REGION_KEYS)}")
    globs: dict[str, str] = {}
    for key in REGION_KEYS[:3]:
        value = item.get(key, "*")
        if not isinstance(value, str) or not value:
            raise PixelSettingsError(("regions", index, key),
                                     f"{where}.{key}: expected a text pattern such as \"ACME*\"")
        globs[key] = value
    sizes: dict[str, int | None] = {}
    for key in ("Rows", "Columns"):
        value = item.get(key)
        if value is not None and (not _is_int(value) or value < 1):
            raise PixelSettingsError(("regions", index, key),
                                     f"{where}.{key}: expected a positive whole number")
        sizes[key] = value
    boxes = _boxes(index, item.get("boxes"), where)
    return RegionRule(globs["Modality"], globs["Manufacturer"], globs["ManufacturerModelName"],
                      sizes["Rows"], sizes["Columns"], boxes)


def _boxes(index: int, value: object, where: str) -> tuple[Box, ...]:
    problem = PixelSettingsError(("regions", index, "boxes"),
                                 f"{where}.boxes: expected a list of [x0, y0, x1, y1] with "
                                 "x0 < x1 and y0 < y1, e.g. [[0, 0, 640, 40]]")
    if not isinstance(value, list) or not value:
        raise problem
    boxes: list[Box] = []
    for box in value:
        if (not isinstance(box, list) or len(box) != 4 or not all(_is_int(v) for v in box)
                or min(box) < 0 or box[0] >= box[2] or box[1] >= box[3]):
            raise problem
        boxes.append((box[0], box[1], box[2], box[3]))
    return tuple(boxes)
