from __future__ import annotations

import numpy as np

from medanon.sample.font import GLYPH_HEIGHT, GLYPH_WIDTH, glyph, render_text, stamp

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789^-/:.,'_()"


def test_every_glyph_is_distinct_and_not_blank() -> None:
    shapes = {glyph(c).tobytes() for c in ALPHABET}
    assert len(shapes) == len(ALPHABET)
    assert all(glyph(c).shape == (GLYPH_HEIGHT, GLYPH_WIDTH) and glyph(c).any() for c in ALPHABET)
    assert not glyph(" ").any() and not glyph("§").any()
    assert (glyph("a") == glyph("A")).all()


def test_letter_shapes() -> None:
    assert glyph("I")[:, 2].all()  # the stem of I
    assert glyph("L")[:, 0].all() and glyph("L")[-1].all()
    assert glyph("T")[0].all() and glyph("T")[1:, 2].all()


def test_render_and_stamp_clip_to_the_image() -> None:
    line = render_text("AB", scale=2)
    assert line.shape == (2 * GLYPH_HEIGHT, 2 * (2 * GLYPH_WIDTH + 1))
    assert render_text("").shape == (GLYPH_HEIGHT, 0)
    image = np.zeros((10, 12), dtype=np.uint8)
    stamp(image, "HELLO WORLD", 5, 3, 255)
    assert image[5:, 3:].any() and not image[:5].any() and not image[:, :3].any()
    stamp(image, "X", 20, 20, 255)  # entirely outside: no error, no change
