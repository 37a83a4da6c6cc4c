"""The second signal: faint burned-in text that reads as the file's own values is blanked."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pydicom
import pytest
from PIL import Image, ImageDraw, ImageFont

import medanon
from medanon.custody.keys import SecretKey
from medanon.pixels import ocr_rapid, ocr_read

KEY = SecretKey(bytes(range(32)))
BACKING, INK = 16, 30  # 14 grey levels apart: readable, yet the detector barely marks it
pytestmark = pytest.mark.usefixtures("ocr_engine")

Box = tuple[int, int, int, int]


def _faint_line(generate: ModuleType, text: str, seed: int = 3
                ) -> tuple[np.ndarray, Box, Box]:
    """An ultrasound frame: ``text`` faint on a dark backing, and a bright caption."""
    grey = generate.background("us", 480, 640, np.random.default_rng(seed))
    canvas = Image.fromarray((grey * 255).astype(np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.truetype(str(generate.FONTS["dejavu-sans"]), 12)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x, y = 20, 440
    box = (x, y, x + right - left, y + bottom - top)
    draw.rectangle((x - 3, y - 3, box[2] + 3, box[3] + 3), fill=(BACKING,) * 3)
    draw.text((x - left, y - top), text, font=font, fill=(INK,) * 3)
    bright = generate.draw_text(canvas, generate.random.Random(1), "dejavu-sans", 16,
                                (255, 255, 255), "top-left", 0, False, "SONO 9 C5-2")
    assert bright is not None
    return np.asarray(canvas), box, bright


def _dataset(generate: ModuleType, frame: np.ndarray, name: str = "DOE^JOHN",
             birth_date: str = "19700201") -> pydicom.Dataset:
    item = generate.Sample(frame[None], "rgb", [[]], [[]])
    ds = generate.dataset_of(item, burned_in="NO", patient_name=name)
    ds.PatientBirthDate = birth_date
    ds.AccessionNumber = "ACC99417"
    return ds


def _blank(frame: np.ndarray, box: Box) -> bool:
    x0, y0, x1, y1 = box
    return not frame[y0:y1, x0:x1].any()


def _detection_covers(frame: np.ndarray, box: Box, margin: int = 4) -> bool:
    covered = np.zeros(frame.shape[:2], bool)
    for x0, y0, x1, y1 in ocr_rapid.detect_text(frame):
        covered[max(0, y0 - margin):y1 + margin, max(0, x0 - margin):x1 + margin] = True
    x0, y0, x1, y1 = box
    return bool(covered[y0:y1, x0:x1].all())


@pytest.mark.parametrize("text", ["DOE^JOHN 12345678", "DOB 01/02/1970", "Acc ACC99417",
                                  "Pt: John Doe"])
def test_a_faint_line_that_reads_as_the_patient_is_blanked(generate: ModuleType,
                                                           text: str) -> None:
    frame, faint, bright = _faint_line(generate, text)
    assert not _detection_covers(frame, faint)  # detection alone leaves it
    out = medanon.deidentify_dataset(_dataset(generate, frame), KEY).pixel_array
    assert _blank(out, faint), text
    assert _blank(out, bright)


def test_faint_text_of_another_patient_is_left_to_detection(generate: ModuleType) -> None:
    frame, faint, bright = _faint_line(generate, "DOE^JOHN 12345678")
    other = _dataset(generate, frame, name="ROE^JANE", birth_date="19811130")
    other.PatientID, other.AccessionNumber = "55501234", "X1"
    out = medanon.deidentify_dataset(other, KEY).pixel_array
    x0, y0, x1, y1 = faint
    assert np.array_equal(out[y0:y1, x0:x1], frame[y0:y1, x0:x1])  # not read as this file's
    assert _blank(out, bright)


def test_without_the_reading_model_the_file_is_withheld(generate: ModuleType,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    frame, _faint, _bright = _faint_line(generate, "DOE^JOHN")
    monkeypatch.setattr(ocr_read, "MODEL_NAMES", ("not-installed.onnx",))
    with pytest.raises(medanon.DeidentificationError, match="no OCR engine"):
        medanon.deidentify_dataset(_dataset(generate, frame), KEY)
