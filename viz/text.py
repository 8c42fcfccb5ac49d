"""Text on the pictures: numbers, slide-style names with real sub- and superscripts, in every output format.

A name such as ``z^[3]_1`` (the lecture's z with superscript [3] and
subscript 1) is split once into pieces by :func:`math_pieces`; each output
writes the pieces its own way: Graphviz HTML-like labels
(:func:`label_markup`, escaping with :func:`escape_label`, the only place viz
escapes DOT text), HTML pages (:func:`html_markup`) and LaTeX
(:func:`tex_markup`). Over-long names are cut by :func:`shorten` before any of them.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata

__all__ = [
    "MAX_LABEL_CHARS",
    "MAX_TOOLTIP_CHARS",
    "escape_label",
    "escaped_tooltip",
    "format_number",
    "html_markup",
    "label_markup",
    "math_pieces",
    "shorten",
    "tex_escape",
    "tex_markup",
    "unicode_markup",
]

MAX_LABEL_CHARS = 48
"""Longer names are shown cut, ending in an ellipsis (the full text goes to the tooltip)."""
MAX_TOOLTIP_CHARS = 12000
"""Graphviz fails on a quoted string longer than 16 KB: an escaped tooltip is cut to this many characters."""

# Graphviz expands escString sequences (\N, \G, \E, \L, ...) even in HTML-like labels, after decoding entities,
# and reads a doubled backslash as one: so each backslash is written twice.
_ENTITIES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "]": "&#93;", "\\": "&#92;&#92;", "\t": " "}
)
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_label(text: str) -> str:
    r"""``text`` as a fragment of a Graphviz HTML-like label, shown literally.

    The only place viz escapes text for Graphviz. ``& < > " ]`` become entities
    (Graphviz's label parser rejects a bare ``]`` next to markup), a
    backslash is doubled (Graphviz would otherwise expand ``\N``, ``\G``...
    into node and graph names), a newline becomes ``<BR/>``, and characters
    that XML (hence HTML-like labels and SVG) cannot carry, such as control
    characters, are written visibly as ``\xNN``. Non-ASCII text (δ, ŷ) passes
    through as UTF-8.

    >>> escape_label('a<b> & "c"\\N')
    'a&lt;b&gt; &amp; &quot;c&quot;&#92;&#92;N'
    >>> escape_label("two\nlines\x01")
    'two<BR/>lines&#92;&#92;x01'
    """
    text = _UNPRINTABLE.sub(_visible, str(text).replace("\r\n", "\n").replace("\r", "\n"))
    return "<BR/>".join(line.translate(_ENTITIES) for line in text.split("\n"))


def shorten(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis, when it is longer.

    >>> shorten("a" * 60, 10)
    'aaaaaaaaa…'
    >>> shorten("short")
    'short'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escaped_tooltip(text: str, limit: int = MAX_TOOLTIP_CHARS) -> str:
    """``text`` escaped as :func:`escape_label` does, cut (with an ellipsis) to at most ``limit`` characters.

    >>> escaped_tooltip("<<<<", 10)
    '&lt;&lt;…'
    """
    escaped = escape_label(text)
    if len(escaped) <= limit:
        return escaped
    used, pieces = 0, []
    for c in text:
        piece = escape_label(c)
        if used + len(piece) > limit - 1:
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces) + "…"


_MATH_NAME = re.compile(r"(?P<base>[^\W_]+)(?:\^(?P<sup>\[[^\[\]]*\]|[^\W_]+))?(?:_(?P<sub>[^\W_]+))?")
Piece = str | tuple[str, str | None, str | None]


def math_pieces(text: str) -> list[Piece]:
    """``text`` split into plain strings and ``(base, superscript, subscript)`` names written the slides' way.

    >>> math_pieces("δ(z^[3]_1) = 2")
    ['δ(', ('z', '[3]', '1'), ') = 2']
    """
    pieces: list[Piece] = []
    start = 0
    for m in _MATH_NAME.finditer(text):
        if m["sup"] is None and m["sub"] is None:
            continue
        if m.start() > start:
            pieces.append(text[start : m.start()])
        pieces.append((m["base"], m["sup"], m["sub"]))
        start = m.end()
    if start < len(text) or not pieces:
        pieces.append(text[start:])
    return pieces


def label_markup(text: str) -> str:
    """``text`` as Graphviz HTML-like markup: slide-style names get real super- and subscripts.

    ``z^[2]_1`` is drawn as z with superscript [2] and subscript 1 (the
    lecture's notation); everything else is shown literally via :func:`escape_label`.

    >>> label_markup("w^[1]_12")
    'w<SUP>[1&#93;</SUP><SUB>12</SUB>'
    >>> label_markup("x1 < 2")
    'x1 &lt; 2'
    """
    out = []
    for piece in math_pieces(text):
        if isinstance(piece, str):
            out.append(escape_label(piece))
        else:
            base, sup, sub = piece
            out.append(escape_label(base))
            out.append(f"<SUP>{escape_label(sup)}</SUP>" if sup else "")
            out.append(f"<SUB>{escape_label(sub)}</SUB>" if sub else "")
    return "".join(out)


def html_markup(text: str) -> str:
    """``text`` as HTML with ``<sup>``/``<sub>`` for slide-style names (captions on pages and in notebooks).

    >>> html_markup("δ(z^[3]_1) < 1")
    'δ(z<sup>[3]</sup><sub>1</sub>) &lt; 1'
    """
    out = []
    for piece in math_pieces(text):
        if isinstance(piece, str):
            out.append(html.escape(piece, quote=False))
        else:
            base, sup, sub = piece
            out.append(html.escape(base, quote=False))
            out.append(f"<sup>{html.escape(sup, quote=False)}</sup>" if sup else "")
            out.append(f"<sub>{html.escape(sub, quote=False)}</sub>" if sub else "")
    return "".join(out)


_SUBSCRIPT_DIGITS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def unicode_markup(text: str) -> str:
    """``text`` as plain Unicode for places without markup (tooltips): ``z^[3]_12`` → ``z[3]₁₂``.

    A numeric subscript becomes subscript digits; a superscript keeps its
    brackets; any other subscript stays written ``_sub``.

    >>> unicode_markup("δ(z^[3]_1) = δ(w_ab)")
    'δ(z[3]₁) = δ(w_ab)'
    """
    out = []
    for piece in math_pieces(text):
        if isinstance(piece, str):
            out.append(piece)
        else:
            base, sup, sub = piece
            out.append(base + (sup or ""))
            if sub:
                out.append(sub.translate(_SUBSCRIPT_DIGITS) if sub.isdigit() else f"_{sub}")
    return "".join(out)


_TEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}
_TEX_SYMBOLS = {
    "·": r"$\cdot$",
    "∂": r"$\partial$",
    "Σ": r"$\Sigma$",
    "−": "-",
    "…": r"\ldots{}",
    "√": r"$\surd$",
    "ŷ": r"$\hat y$",
    "²": r"$^2$",
    "³": r"$^3$",
    "ᵀ": r"$^T$",
}


def _greek(c: str) -> str | None:
    """The TeX math command (or Latin look-alike) of a Greek letter, else None."""
    name = unicodedata.name(c, "")
    if name.startswith("GREEK SMALL LETTER ") or name.startswith("GREEK CAPITAL LETTER "):
        letter = name.rsplit(" ", 1)[1].lower()
        letter = {"lamda": "lambda", "omicron": "o"}.get(letter, letter)
        if name.startswith("GREEK CAPITAL"):
            letter = letter.capitalize()
        if letter in ("o", "O", "Alpha", "Beta", "Epsilon", "Zeta", "Eta", "Iota", "Kappa", "Mu", "Nu", "Rho", "Tau"):
            return letter[0] if len(letter) > 1 else letter  # no TeX command: the Latin capital looks the same
        return "X" if letter == "Chi" else f"\\{letter} "
    return None


def _tex_char(c: str) -> str:
    if c in _TEX_SPECIAL:
        return _TEX_SPECIAL[c]
    if c in _TEX_SYMBOLS:
        return _TEX_SYMBOLS[c]
    if c.isascii():
        return c if c.isprintable() else " "
    greek = _greek(c)
    if greek is not None:
        return f"${greek.strip()}$" if greek.startswith("\\") else greek
    return f"[U+{ord(c):04X}]"  # pdflatex without extra packages has no glyph for it; say which character it was


def _tex_math(text: str) -> str:
    """``text`` inside math mode: letters and digits as they are, Greek as commands, the rest as boxed text."""
    return "".join(
        c if c.isascii() and (c.isalnum() or c in "[],.") else _greek(c) or r"\mbox{" + _tex_char(c) + "}" for c in text
    )


def tex_escape(text: str) -> str:
    r"""``text`` as LaTeX that pdflatex typesets literally (Greek letters and the engine's symbols as math).

    >>> tex_escape("δ 50% of a_b")
    '$\\delta$ 50\\% of a\\_b'
    """
    return "".join(_tex_char(c) for c in str(text))


def tex_markup(text: str) -> str:
    r"""``text`` as LaTeX with slide-style names typeset as math (``z^[2]_1`` → ``$\mathit{z}^{[2]}_{1}$``).

    >>> tex_markup("w^[1]_12 & σ_2")
    '$\\mathit{w}^{[1]}_{12}$ \\& $\\mathit{\\sigma }_{2}$'
    """
    out = []
    for piece in math_pieces(text):
        if isinstance(piece, str):
            out.append(tex_escape(piece))
        else:
            base, sup, sub = piece
            math_text = r"\mathit{" + _tex_math(base) + "}"
            math_text += "^{" + _tex_math(sup) + "}" if sup else ""
            math_text += "_{" + _tex_math(sub) + "}" if sub else ""
            out.append(f"${math_text}$")
    return "".join(out)


def format_number(x: float, precision: int = 4) -> str:
    """``x`` with ``precision`` decimals, or in scientific notation when that would hide it.

    >>> format_number(0.70710678), format_number(-0.0), format_number(1.5e-7), format_number(3e9)
    ('0.7071', '0.0000', '1.500e-07', '3.000e+09')
    """
    x = float(x) + 0.0  # turns -0.0 into 0.0
    if x != 0.0 and math.isfinite(x) and not 10.0**-precision <= abs(x) < 1e6:
        return f"{x:.{max(precision - 1, 0)}e}"
    return f"{x:.{precision}f}"
