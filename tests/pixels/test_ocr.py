"""OCR: text found and blanked on generated images with known boxes, through every door."""

from __future__ import annotations

import random
from pathlib import Path
from types import ModuleType

import numpy as np
import pydicom
import pytest

import medanon
from medanon.custody.keys import SecretKey
from medanon.pixels import ocr, ocr_rapid
from medanon.pixels.blank import grow
from medanon.pixels.render import to_rgb8
from medanon.profile.recipe import parse_recipe
from medanon.sample import generate_sample

KEY = SecretKey(bytes(range(32)))
SIZE_CLASSES = {"8-10": (8, 9, 10), "12-16": (12, 14, 16), "20-40": (20, 24, 32, 40)}
pytestmark = pytest.mark.usefixtures("ocr_engine")


def _blanked(frame: np.ndarray, box: tuple[int, int, int, int]) -> bool:
    x0, y0, x1, y1 = box
    return not frame[y0:y1, x0:x1].any()


@pytest.mark.parametrize("size_class", sorted(SIZE_CLASSES))
@pytest.mark.parametrize("font", ["dejavu-sans", "dejavu-mono", "dejavu-bold", "liberation-sans",
                                  "liberation-mono", "liberation-serif"])
def test_each_font_and_size_class_is_found(generate: ModuleType, font: str,
                                           size_class: str) -> None:
    """One line per corner on black, white or yellow: every box must be fully covered."""
    from PIL import Image

    rng = random.Random(f"{font}-{size_class}")
    canvas = Image.new("RGB", (320, 240))
    boxes = []
    for slot, position in enumerate(("top-left", "bottom-right")):
        size = SIZE_CLASSES[size_class][slot % len(SIZE_CLASSES[size_class])]
        colour = generate.COLOURS["white" if slot == 0 else "yellow"]
        box = generate.draw_text(canvas, rng, font, size, colour, position, 0, False)
        assert box is not None
        boxes.append(box)
    picture = np.asarray(canvas)
    found = ocr_rapid.detect_text(picture)
    mask = np.zeros(picture.shape[:2], bool)
    for box in found:
        area = grow(box, 4, *picture.shape[:2])
        assert area is not None
        mask[area[1]:area[3], area[0]:area[2]] = True
    for box in boxes:
        assert mask[box[1]:box[3], box[0]:box[2]].all(), (font, size_class, box)
    assert mask.mean() < 0.25  # the rest of the picture is left alone


def test_recall_and_false_blanks_on_mixed_backgrounds(generate: ModuleType) -> None:
    """Speckle, CT-like and black backgrounds, every colour kind: the bench's figures, small."""
    found = total = false = outside = 0
    for seed in range(12):
        item = generate.sample(500 + seed, kind=generate.KINDS[seed % 4], rows=240, columns=320,
                               sizes=(10, 12, 16, 24))
        frame = item.frames[0]
        palette = generate.dataset_of(item) if item.kind == "palette" else None
        picture = to_rgb8(frame, item.photometric, 12 if frame.dtype == np.uint16 else 8,
                          False, palette)
        mask = np.zeros(frame.shape[:2], bool)
        for box in ocr_rapid.detect_text(picture):
            area = grow(box, 4, *frame.shape[:2])
            if area:
                mask[area[1]:area[3], area[0]:area[2]] = True
        truth = np.zeros_like(mask)
        for box in item.boxes[0]:
            found += bool(mask[box[1]:box[3], box[0]:box[2]].all())
            total += 1
            area = grow(box, 4, *frame.shape[:2])
            assert area is not None
            truth[area[1]:area[3], area[0]:area[2]] = True
        false += int((mask & ~truth).sum())
        outside += int((~truth).sum())
    assert found / total >= 0.9, (found, total)
    assert false / outside < 0.05, false / outside


def _with_name(generate: ModuleType, frames: int, text_frames: tuple[int, ...]
               ) -> tuple[pydicom.Dataset, list[list[tuple[int, int, int, int]]]]:
    item = generate.sample(42, kind="rgb", rows=240, columns=320, frames=frames,
                           text_frames=text_frames, sizes=(14, 16), lines=2)
    return generate.dataset_of(item, burned_in="NO"), item.boxes


def test_a_false_burned_in_no_does_not_let_a_name_out(generate: ModuleType) -> None:
    ds, boxes = _with_name(generate, 1, (0,))
    out = medanon.deidentify_dataset(ds, KEY)
    frame = out.pixel_array
    assert boxes[0] and all(_blanked(frame, box) for box in boxes[0])
    assert out.BurnedInAnnotation == "NO"
    assert "113101" in [item.CodeValue for item in out.DeidentificationMethodCodeSequence]


def test_multi_frame_text_on_frame_7_only_is_cleaned_on_frame_7(generate: ModuleType) -> None:
    ds, boxes = _with_name(generate, 10, (7,))
    before = ds.pixel_array.copy()
    out = medanon.deidentify_dataset(ds, KEY)
    after = out.pixel_array
    assert boxes[7] and all(_blanked(after[7], box) for box in boxes[7])
    for number in range(10):
        if number != 7:
            assert np.array_equal(after[number], before[number]), number
    assert not np.array_equal(after[7], before[7])


def test_identical_frames_share_one_search(generate: ModuleType,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = ocr_rapid.detect_text

    def counting(picture: np.ndarray, match: ocr.TextMatch | None = None
                 ) -> list[tuple[int, int, int, int]]:
        calls.append(1)
        return real(picture, match)

    monkeypatch.setattr(ocr_rapid, "detect_text", counting)
    ds, _ = _with_name(generate, 6, (0, 1, 2, 3, 4, 5))  # six identical frames
    medanon.deidentify_dataset(ds, KEY)
    assert len(calls) == 1


def test_a_missing_engine_withholds_with_the_reason(generate: ModuleType,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "BACKENDS", ())
    ds, _ = _with_name(generate, 1, (0,))
    with pytest.raises(medanon.DeidentificationError, match="no OCR engine"):
        medanon.deidentify_dataset(ds, KEY)
    ct = pydicom.dcmread(pydicom.data.get_testdata_file("CT_small.dcm"))
    medanon.deidentify_dataset(ct, KEY)  # CT is not searched: no engine needed


def test_ocr_all_searches_ct_and_off_searches_nothing(generate: ModuleType) -> None:
    ds, boxes = _with_name(generate, 1, (0,))
    ds.Modality, ds.SOPClassUID = "CT", "1.2.840.10008.5.1.4.1.1.2"
    del ds.BurnedInAnnotation
    out = medanon.deidentify_dataset(ds, KEY, parse_recipe('[pixels]\nocr = "all"\n'))
    assert all(_blanked(out.pixel_array, box) for box in boxes[0])
    kept = medanon.deidentify_dataset(ds, KEY, parse_recipe('[pixels]\nocr = "off"\n'))
    assert np.array_equal(kept.pixel_array, ds.pixel_array)


def test_the_sample_burned_in_files_are_written_clean(tmp_path: Path) -> None:
    collection = generate_sample(tmp_path / "sample")
    burned = [e for e in collection.expected if e.kind.value == "burned-in"]
    assert len(burned) == 2
    for entry in burned:
        source = pydicom.dcmread(collection.root / entry.path)
        before = source.pixel_array
        out = medanon.deidentify_dataset(source, KEY)
        after = out.pixel_array
        text = before == 255  # the sample burns its text at full white
        assert text.any()
        assert not after[text].any(), entry.modality
        # The image below the text (and its margin) is kept.
        below = int(np.flatnonzero(text.any(axis=1))[-1]) + 8
        assert np.mean(after[below:] == before[below:]) > 0.97, entry.modality
