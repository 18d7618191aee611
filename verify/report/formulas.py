"""LaTeX statements as MathML for the HTML report, through ``latex2mathml`` (offline).

``to_mathml`` converts one formula and raises ``LatexError`` when the result would not be a
faithful rendering (malformed input, an unknown command or environment); ``formula`` then marks
unknown commands by name in ``<merror>`` and keeps the rest as MathML, and shows malformed
input as its LaTeX source, so a statement is always shown, at worst as its source. ``render``
splits prose with ``$...$``, ``$$...$$``, ``\\(...\\)`` or ``\\[...\\]`` into text and math.

latex2mathml writes characters as numeric references; those that are not markup are turned
back into characters, so the pages read (and search) as text.
"""

from __future__ import annotations

import html
import re

from latex2mathml import commands as latex_commands
from latex2mathml.converter import convert

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

# Environments latex2mathml lays out as tables; any other ``\begin{...}`` would lose its
# structure silently. ``aligned`` is the same layout as ``align*``.
_ENVIRONMENTS = {name.lstrip("\\") for name in latex_commands.MATRICES} | {"aligned"}
_RENAMED_ENVIRONMENTS = {"aligned": "align*"}
_UNKNOWN_COMMAND = re.compile(r"<mi>(\\[A-Za-z]+)</mi>")
_MARKUP = set("<>&\"'")


class LatexError(ValueError):
    """This LaTeX would not convert faithfully."""


def _characters(mathml: str) -> str:
    def replace(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return match.group(0) if char in _MARKUP else char

    return re.sub(r"&#x([0-9A-Fa-f]+);", replace, mathml)


def _balanced(latex: str) -> bool:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", latex):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _convert(latex: str, display: bool) -> str:
    """latex2mathml's MathML with the LaTeX source as annotation; raises ``LatexError``."""
    if not _balanced(latex):
        raise LatexError("unbalanced braces")
    source = latex
    for env in re.findall(r"\\begin\{([^}]*)\}", latex):
        if env not in _ENVIRONMENTS:
            raise LatexError(f"unknown environment {env}")
        if env in _RENAMED_ENVIRONMENTS:
            new = _RENAMED_ENVIRONMENTS[env]
            source = source.replace(f"\\begin{{{env}}}", f"\\begin{{{new}}}")
            source = source.replace(f"\\end{{{env}}}", f"\\end{{{new}}}")
    try:
        converted = convert(source, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own and plain errors alike
        raise LatexError(f"{type(exc).__name__}: {exc}") from None
    match = re.fullmatch(r"<math[^>]*>(.*)</math>", converted, re.DOTALL)
    if match is None:
        raise LatexError("latex2mathml returned no <math> element")
    body = _characters(match.group(1))
    mode = ' display="block"' if display else ""
    annotation = f'<annotation encoding="application/x-tex">{html.escape(latex)}</annotation>'
    return f'<math xmlns="{MATHML_NS}"{mode}><semantics>{body}{annotation}</semantics></math>'


def to_mathml(latex: str, *, display: bool = False) -> str:
    """MathML for one formula (no ``$`` delimiters); raises ``LatexError`` if not understood."""
    mathml = _convert(latex, display)
    unknown = _UNKNOWN_COMMAND.search(mathml)
    if unknown is not None:
        raise LatexError(f"unknown command {unknown.group(1)}")
    return mathml


def _fallback(latex: str, display: bool) -> str:
    tag = "pre" if display else "code"
    return f'<{tag} class="latex" title="LaTeX source">{html.escape(latex)}</{tag}>'


def formula(latex: str, *, display: bool = False) -> str:
    """MathML for a formula; unknown commands are shown by name; malformed input as source."""
    try:
        mathml = _convert(latex, display)
    except LatexError:
        return _fallback(latex, display)
    return _UNKNOWN_COMMAND.sub(
        lambda m: f'<merror title="unknown LaTeX command"><mtext>{m.group(1)}</mtext></merror>',
        mathml,
    )


_MATH_SEGMENT = re.compile(
    r"\$\$(.+?)\$\$|\\\[(.+?)\\\]|(?<!\\)\$(.+?)(?<!\\)\$|\\\((.+?)\\\)", re.DOTALL
)


def render(text: str) -> str:
    """HTML for a statement: prose with ``$...$`` math, or a formula on its own.

    Text without any math delimiter is taken as one display formula, since lemma statements
    are LaTeX formulas; ``\\text{...}`` inside carries the words.
    """
    text = text.strip()
    if not _MATH_SEGMENT.search(text):
        return formula(text, display=True)
    out: list[str] = []
    last = 0
    for match in _MATH_SEGMENT.finditer(text):
        out.append(_prose(text[last : match.start()]))
        display_math, bracket_math, inline_math, paren_math = match.groups()
        if display_math is not None or bracket_math is not None:
            out.append(formula(display_math or bracket_math, display=True))
        else:
            out.append(formula(inline_math or paren_math, display=False))
        last = match.end()
    out.append(_prose(text[last:]))
    return "".join(out)


def _prose(text: str) -> str:
    text = re.sub(r"\\(?:emph|textbf|textit)\{([^{}]*)\}", r"\1", text)
    text = re.sub(r"\\([%$&#_{} ])", r"\1", text).replace("~", "\u00a0")
    paragraphs = re.split(r"\n\s*\n", text)
    return "</p><p>".join(html.escape(p) for p in paragraphs)
