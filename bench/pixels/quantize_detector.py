"""Make the text detector medanon ships: PP-OCRv6 small quantized to 8 bits.

    PYTHONPATH=src python bench/pixels/quantize_detector.py [--out PATH]

Needs the ``onnx`` package beside onnxruntime (``pip install onnx``); medanon itself does
not. The float model is read from the installed rapidocr wheel; the result is written to
``src/medanon/pixels/models`` (see its README for the provenance and the licence).

Steps: the graph is prepared by onnxruntime's ``quant_pre_process`` (shapes inferred, the
graph optimised) and converted to opset 13 (per-channel quantized weights need it), the
float detector is run through medanon's own search on 48 generated images (seed 20 of
the generator, apart from the seeds bench/pixels/run.py measures) and every tensor the
search gives it (whole frames and the closer tiles of textured areas) is kept, and
onnxruntime's static quantization calibrates on them (min-max, per-channel int8
weights, uint8 activations, QDQ format). The same inputs give the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import generate  # noqa: E402
from run import rendered  # noqa: E402

from medanon.pixels import ocr_rapid  # noqa: E402
from medanon.pixels.ocr_models import installed_model  # noqa: E402

SOURCE = "PP-OCRv6_det_small.onnx"
CALIBRATION_SEED = 20
CALIBRATION_IMAGES = 48
#: The scale textured tiles were read at when the shipped file was made (medanon's
#: ``ocr_rapid.CLOSER`` was 2 then, 1.75 now): the calibration inputs stay the same, and
#: so does the file.
CALIBRATION_CLOSER = 2.0


def calibration_tensors(float_model: Path) -> list[Any]:
    """Every input the float detector gets while medanon searches the calibration images."""
    tensors: list[Any] = []
    search = ocr_rapid._probability

    def recorded(image: Any, height: int, width: int) -> Any:
        tensors.append(ocr_rapid.detector_input(image, height, width))
        return search(image, height, width)

    ocr_rapid.model_path = lambda: float_model  # type: ignore[assignment]
    ocr_rapid._session.cache_clear()
    ocr_rapid.CLOSER = CALIBRATION_CLOSER
    ocr_rapid._probability = recorded  # type: ignore[assignment]
    for index in range(CALIBRATION_IMAGES):
        kind = generate.KINDS[index % len(generate.KINDS)]
        item = generate.sample(CALIBRATION_SEED * 100_000 + index, kind=kind)
        ocr_rapid.detect_text(rendered(item, item.frames[0]))
    return tensors


def main() -> None:
    import onnx
    from onnx import version_converter
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=ocr_rapid.DETECTOR)
    args = parser.parse_args()
    source = installed_model((SOURCE,))
    if source is None:
        sys.exit(f"{SOURCE} is not in the installed rapidocr wheel (pip install 'rapidocr>=3.10')")
    tensors = calibration_tensors(source)
    name = onnx.load(str(source)).graph.input[0].name

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.items = iter(tensors)

        def get_next(self) -> dict[str, Any] | None:
            item = next(self.items, None)
            return None if item is None else {name: item}

    with tempfile.TemporaryDirectory() as work:
        prepared, opset13 = Path(work) / "prepared.onnx", Path(work) / "opset13.onnx"
        # Shapes inferred and the graph optimised first (batch norms folded into their
        # convolutions): quantized as they come, the unfused nodes lose more accuracy.
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        onnx.save(version_converter.convert_version(onnx.load(str(prepared)), 13), str(opset13))
        quantize_static(str(opset13), str(args.out), Reader(), quant_format=QuantFormat.QDQ,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        per_channel=True, calibrate_method=CalibrationMethod.MinMax)
    for path in (source, args.out):
        print(hashlib.sha256(path.read_bytes()).hexdigest(), path.name)
    print(f"{len(tensors)} calibration inputs")


if __name__ == "__main__":
    main()
