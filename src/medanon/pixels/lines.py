"""Join the words of one line of text into one box.

The detector finds a line in pieces where its words are far apart ("ID", then the
number; a name, then the age): each piece is blanked with the margin, and the space
between two words, wider than twice the margin, is left. That space holds no ink, but a
line blanked in pieces keeps its layout, word lengths and the gap between them, and a
stroke of a character the detector cut short sits at the piece's end. Blanking the line
whole costs the gaps between its words and nothing else.
"""

from __future__ import annotations

from medanon.pixels.settings import Box

#: Two boxes are words of one line when they share at least this share of the lower
#: one's height...
SAME_ROWS = 0.5
#: ...their heights differ by at most this factor...
SAME_HEIGHT = 1.5
#: ...and the gap between their ink is at most this share of the lower one's height: a
#: monospaced font's space, with the bearings of the letters either side, leaves about
#: 0.8 of the type's size between two words, 1.2 times the height of its capitals.
WORD_GAP = 1.5
#: Boxes lower than this (image pixels) are not joined: dots of texture, not words.
#: 8 px type makes a box of 6.
MIN_HEIGHT = 5


def join_words(boxes: list[Box]) -> list[Box]:
    """``boxes`` with the words of every line joined into one box (a line's bounds).

    Each pass joins every group of boxes linked pair by pair; passes repeat until none
    joins, since a joined line may now reach a word it was too short for. Boxes that
    join nothing are returned as they came.
    """
    joined = list(boxes)
    while True:
        group = list(range(len(joined)))
        for first in range(len(joined)):
            for second in range(first + 1, len(joined)):
                if words_of_one_line(joined[first], joined[second]):
                    group[_root(group, second)] = _root(group, first)
        lines: dict[int, Box] = {}
        for index, box in enumerate(joined):
            line = lines.get(_root(group, index))
            lines[_root(group, index)] = box if line is None else (
                min(line[0], box[0]), min(line[1], box[1]), max(line[2], box[2]),
                max(line[3], box[3]))
        if len(lines) == len(joined):
            return joined
        joined = list(lines.values())


def _root(group: list[int], index: int) -> int:
    """The box that stands for ``index``'s group (union-find, paths halved on the way)."""
    while group[index] != index:
        group[index] = group[group[index]]
        index = group[index]
    return index


def words_of_one_line(a: Box, b: Box) -> bool:
    """True when ``a`` and ``b`` sit on the same rows, are as tall, and a word space apart."""
    height_a, height_b = a[3] - a[1], b[3] - b[1]
    low = min(height_a, height_b)
    if low < MIN_HEIGHT or max(height_a, height_b) > SAME_HEIGHT * low:
        return False
    shared = min(a[3], b[3]) - max(a[1], b[1])
    gap = max(a[0], b[0]) - min(a[2], b[2])  # negative when they overlap along the row
    return shared >= SAME_ROWS * low and gap <= WORD_GAP * low
