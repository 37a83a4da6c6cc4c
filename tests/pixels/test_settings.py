"""The [pixels] recipe section: defaults, validation with the line at fault, fingerprints."""

from __future__ import annotations

import pytest

from medanon.errors import RecipeError
from medanon.pixels.settings import DEFAULT_PIXELS, Fill, OcrMode, RegionRule
from medanon.profile.recipe import default_recipe, parse_recipe
from medanon.profile.ruleset import build_ruleset, ruleset_fingerprint

FULL = '''
[pixels]
ocr = "all"
margin = 2
fill = "min"
[[pixels.regions]]
Modality = "US"
Manufacturer = "ACME*"
ManufacturerModelName = "*"
Rows = 480
Columns = 640
boxes = [[0, 0, 640, 40], [600, 440, 640, 480]]
'''


def test_defaults_are_likely_margin_4_black_and_no_regions() -> None:
    assert default_recipe().pixels == DEFAULT_PIXELS
    assert (DEFAULT_PIXELS.ocr, DEFAULT_PIXELS.margin, DEFAULT_PIXELS.fill) == (
        OcrMode.LIKELY, 4, Fill.BLACK)
    assert parse_recipe("").pixels == DEFAULT_PIXELS


def test_every_key_is_read() -> None:
    pixels = parse_recipe(FULL).pixels
    assert (pixels.ocr, pixels.margin, pixels.fill) == (OcrMode.ALL, 2, Fill.MIN)
    assert pixels.regions == (RegionRule("US", "ACME*", "*", 480, 640,
                                         ((0, 0, 640, 40), (600, 440, 640, 480))),)


def test_the_default_section_keeps_earlier_fingerprints() -> None:
    default = default_recipe().fingerprint()
    assert parse_recipe('[pixels]\nocr = "likely"\n').fingerprint() == default
    assert parse_recipe(FULL).fingerprint() != default_recipe().fingerprint()
    assert ruleset_fingerprint(build_ruleset(parse_recipe(FULL))) != ruleset_fingerprint(
        build_ruleset(default_recipe()))


@pytest.mark.parametrize(("text", "line", "words"), [
    ('[pixels]\nocr = "sometimes"\n', 2, "'sometimes' is not one of"),
    ('[pixels]\nmargin = -1\n', 2, "pixels.margin"),
    ('[pixels]\nfill = "white"\n', 2, "pixels.fill"),
    ('[pixels]\ncolour = 1\n', 2, "unknown key 'colour'"),
    ('[pixels]\n[[pixels.regions]]\nModality = "US"\n', 2, "boxes"),
    ('[pixels]\n[[pixels.regions]]\nboxes = [[10, 0, 5, 40]]\n', 3, "x0 < x1"),
    ('[pixels]\n[[pixels.regions]]\nRows = 0\nboxes = [[0, 0, 5, 5]]\n', 3, "Rows"),
    ('[pixels]\n[[pixels.regions]]\nVendor = "X"\nboxes = [[0, 0, 5, 5]]\n', 3, "Vendor"),
])
def test_a_bad_section_is_one_error_naming_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(RecipeError) as caught:
        parse_recipe(text, "r.toml")
    assert f"r.toml, line {line}:" in str(caught.value)
    assert words in str(caught.value)


def test_settings_are_frozen_and_picklable() -> None:
    import pickle

    pixels = parse_recipe(FULL).pixels
    assert pickle.loads(pickle.dumps(pixels)) == pixels
    with pytest.raises(AttributeError):
        pixels.margin = 3  # type: ignore[misc]
