"""BERT's WordPiece tokeniser in plain Python, so the bundled word vectors need no library.

It follows the uncased BERT recipe the vectors were made with: lower case, accents stripped,
split at white space and punctuation, then each word cut greedily into the longest pieces
found in the vocabulary ("carers" -> "care", "##rs"). A word with no cut is ``[UNK]``.
Unknown words therefore still land on known pieces, which is what lets a theme hold on a
word no labelled answer ever used.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from functools import lru_cache

MAX_WORD = 100


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def basic_words(text: str) -> list[str]:
    """Lower-cased, accent-free words and single punctuation marks, in order."""
    text = unicodedata.normalize("NFD", text.lower())
    words: list[str] = []
    current: list[str] = []
    for char in text:
        if unicodedata.category(char) == "Mn":  # a combining accent
            continue
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            if current:
                words.append("".join(current))
                current = []
        elif _is_punctuation(char) or 0x4E00 <= ord(char) <= 0x9FFF:
            if current:
                words.append("".join(current))
                current = []
            words.append(char)
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words


class WordPiece:
    """Text to vocabulary ids; ``vocab`` is the model's ``vocab.txt`` as a list of pieces."""

    def __init__(self, vocab: Sequence[str]) -> None:
        self.ids: Mapping[str, int] = {piece: i for i, piece in enumerate(vocab)}
        self.unknown = self.ids["[UNK]"]
        self.pieces = lru_cache(maxsize=65536)(self._pieces)

    def _pieces(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD:
            return (self.unknown,)
        out: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.ids.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return (self.unknown,)
            out.append(found)
            start = end
        return tuple(out)

    def encode(self, text: str, limit: int = 510) -> list[int]:
        """The ids of ``text``'s pieces (no [CLS]/[SEP]), at most ``limit`` of them."""
        ids: list[int] = []
        for word in basic_words(text):
            ids.extend(self.pieces(word))
            if len(ids) >= limit:
                return ids[:limit]
        return ids
