"""Measure burned-in text detection on generated images with known boxes.

    PYTHONPATH=src python bench/pixels/run.py [--count N] [--seed S|S-T|S,T] [--speed]
                                              [--engine rapid|tesseract] [--second-signal]

Recall: the share of true text boxes whose every pixel is blanked (box plus margin of the
default settings). False blanks: the share of pixels outside every true box grown by the
margin that were blanked anyway (the margin is asked for, so it is not counted).
Images per second per core: the whole pixel step (decode, render, detect, blank, encode)
on a 640 x 480 ultrasound frame, one thread, per transfer syntax, with the second signal
on (the file's identifying values given, as the header gives them); on two frames, one
with a CT-like body and one with a sector of speckle (:data:`SPEED_FRAMES`).

--second-signal gives the detector each image's identifying values, as its header would
hold them (the name and its parts, the ID, the birth date, as the safety net collects
them): weak and faint lines that read as one of them are blanked too.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402

from medanon.dicom.safety_net import element_values  # noqa: E402
from medanon.pixels import ocr_rapid, ocr_tesseract  # noqa: E402
from medanon.pixels.blank import grow  # noqa: E402
from medanon.pixels.identifying import IdentifyingText  # noqa: E402
from medanon.pixels.render import to_rgb8  # noqa: E402
from medanon.pixels.settings import DEFAULT_PIXELS  # noqa: E402

ENGINES = {"rapid": ocr_rapid, "tesseract": ocr_tesseract}
SYNTAXES = {"explicit little": "1.2.840.10008.1.2.1", "RLE": "1.2.840.10008.1.2.5",
            "JPEG baseline": "1.2.840.10008.1.2.4.50", "JPEG-LS lossless": "1.2.840.10008.1.2.4.80",
            "JPEG 2000 lossless": "1.2.840.10008.1.2.4.90"}


def measure(engine: str, count: int, seeds: list[int], second_signal: bool = False
            ) -> dict[str, object]:
    """Recall and false blanks over ``count`` images of every seed, counted together."""
    detect = ENGINES[engine].detect_text
    margin = DEFAULT_PIXELS.margin
    found = total = false = outside = 0
    by_size: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    frames_seen = 0
    for seed, index in ((seed, index) for seed in seeds for index in range(count)):
        kind = generate.KINDS[index % len(generate.KINDS)]
        frames = 2 if index % 10 == 9 else 1
        item = generate.sample(seed * 100_000 + index, kind=kind, frames=frames)
        for number, frame in enumerate(item.frames):
            frames_seen += 1
            picture = rendered(item, frame)
            mask = np.zeros(frame.shape[:2], bool)
            match = None
            if second_signal:
                values = [value for label in item.labels[number]
                          for value in generate.header_values(str(label["text"]))]
                known = IdentifyingText.of(header_spellings(values))
                match = known.matches if known is not None else None
            for box in (detect(picture, match) if match else detect(picture)):
                area = grow(box, margin, *frame.shape[:2])
                if area:
                    mask[area[1]:area[3], area[0]:area[2]] = True
            truth = np.zeros_like(mask)
            for box, label in zip(item.boxes[number], item.labels[number], strict=True):
                ok = bool(mask[box[1]:box[3], box[0]:box[2]].all())
                found += ok
                total += 1
                size = int(label["size"])  # type: ignore[call-overload]
                group = "8-10" if size <= 10 else "12-16" if size <= 16 else "20-40"
                by_size[group][0] += ok
                by_size[group][1] += 1
                by_kind[kind][0] += ok
                by_kind[kind][1] += 1
                area = grow(box, margin, *frame.shape[:2])
                if area:
                    truth[area[1]:area[3], area[0]:area[2]] = True
            false += int((mask & ~truth).sum())
            outside += int((~truth).sum())
    return {"engine": engine, "images": count * len(seeds), "frames": frames_seen,
            "boxes": total, "found": found,
            "recall": found / total, "false": false / outside,
            "by_size": {k: v[0] / v[1] for k, v in sorted(by_size.items())},
            "by_kind": {k: v[0] / v[1] for k, v in sorted(by_kind.items())}}


def header_spellings(values: list[str]) -> list[str]:
    """The values as the safety net collects them from a header (names, IDs, birth date)."""
    from pydicom.dataset import Dataset

    ds = Dataset()
    found: list[str] = []
    for value in values:
        if "^" in value:
            ds.PatientName = value
            found.extend(element_values(ds, ds["PatientName"], 0x00100010))
        elif len(value) == 8 and value.isdigit() and value[:2] in ("19", "20"):
            ds.PatientBirthDate = value
            found.extend(element_values(ds, ds["PatientBirthDate"], 0x00100030))
        else:
            ds.PatientID = value
            found.extend(element_values(ds, ds["PatientID"], 0x00100020))
    return found


def rendered(item: generate.Sample, frame: NDArray[np.generic]) -> NDArray[np.uint8]:
    """One generated frame as the pixel step shows it to the detector (8-bit RGB)."""
    bits = 12 if frame.dtype == np.uint16 else 8
    palette = generate.dataset_of(item) if item.kind == "palette" else None
    return to_rgb8(frame, item.photometric, bits, False, palette)


#: The frames the speed is measured on: the generator's seed 7 (a CT-like body, the frame
#: measured from the start) and seed 2 (an ultrasound sector of speckle, which the detector
#: marks whole and the texture search goes through in tiles: the slow case).
SPEED_FRAMES = {"body": 7, "speckle": 2}


def speed(repeats: int, seed: int = SPEED_FRAMES["body"]) -> dict[str, float]:
    """Images per second of the whole pixel step on one 640 x 480 US frame, per syntax."""
    from medanon.pixels.settings import Fill
    from medanon.pixels.step import PixelPlan, clean_pixels

    plan = PixelPlan((), True, DEFAULT_PIXELS.margin, Fill.BLACK)
    results = {}
    for name, syntax in SYNTAXES.items():
        item = generate.sample(seed, kind="rgb" if name == "JPEG baseline" else "mono8")
        source = generate.dataset_of(item, syntax)
        value = bytes(source.PixelData)
        values = header_spellings(["DOE^JOHN", "12345678", "19700201"])
        clean_pixels(source.copy(), value, syntax, plan, values)  # warm-up: load the models
        start = time.perf_counter()
        for number in range(repeats):
            # A different frame each time: identical frames would share one OCR result.
            out = source.copy()
            out.Rows = source.Rows
            clean_pixels(out, value, syntax, PixelPlan(((0, 0, 1 + number, 1),), True,
                                                       DEFAULT_PIXELS.margin, Fill.BLACK),
                         values)
        results[name] = repeats / (time.perf_counter() - start)
    return results


def seed_list(text: str) -> list[int]:
    """"3" -> [3]; "5-8" -> [5, 6, 7, 8]; "1,3" -> [1, 3]."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        seeds.extend(range(int(first), int(last or first) + 1))
    return seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=seed_list, default=[1],
                        help="a seed, a range (5-8) or a list (1,3): the sets counted together")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="rapid")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--second-signal", action="store_true")
    args = parser.parse_args()
    result = measure(args.engine, args.count, args.seed, args.second_signal)
    print(f"engine {result['engine']}{' + second signal' if args.second_signal else ''}: "
          f"{result['images']} images, {result['frames']} frames, "
          f"{result['boxes']} text boxes")
    print(f"  recall (boxes fully blanked) {result['recall']:.4f} "
          f"({result['found']} of {result['boxes']})")
    for group, value in result["by_size"].items():  # type: ignore[attr-defined]
        print(f"    {group} px: {value:.4f}")
    for kind, value in result["by_kind"].items():  # type: ignore[attr-defined]
        print(f"    {kind}: {value:.4f}")
    print(f"  false blanks (share of non-text pixels) {result['false']:.4f}")
    if args.speed:
        for frame, seed in SPEED_FRAMES.items():
            for name, rate in speed(10, seed).items():
                print(f"  {name}, {frame} frame: {rate:.2f} images/s/core "
                      "(640x480, whole pixel step)")


if __name__ == "__main__":
    main()
