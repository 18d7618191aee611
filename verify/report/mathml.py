"""A small LaTeX-to-MathML converter for the statements in the report (offline, no dependency).

It covers the LaTeX that lemma statements use: letters and numbers, Greek, sub- and
superscripts, primes, ``\\frac``, ``\\sqrt``, ``\\left``/``\\right``, big operators with limits,
``\\mathbb``/``\\mathcal``/``\\mathbf``/``\\mathrm``/``\\text``/``\\operatorname``, accents,
spacing, and the ``cases``/``aligned``/``matrix`` environments. Text with ``$...$``, ``$$...$$``,
``\\(...\\)`` or ``\\[...\\]`` is split into prose and math. Anything it does not understand
raises ``LatexError``; ``render`` then falls back to the LaTeX source in a ``<code>`` element,
so a statement is always shown, at worst as its source.

MathML Core (what browsers render) ignores ``mathvariant`` other than ``normal``, so styled
alphabets are emitted as their Unicode mathematical letters.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MATHML_NS = "http://www.w3.org/1998/Math/MathML"


class LatexError(ValueError):
    """The converter does not understand this LaTeX."""


GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ϵ",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "varpi": "ϖ",
    "rho": "ρ",
    "varrho": "ϱ",
    "sigma": "σ",
    "varsigma": "ς",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "ϕ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
}

OPERATORS = {
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "lt": "<",
    "gt": ">",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "cong": "≅",
    "equiv": "≡",
    "propto": "∝",
    "ll": "≪",
    "gg": "≫",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "mapsto": "↦",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "implies": "⟹",
    "iff": "⟺",
    "Leftrightarrow": "⇔",
    "in": "∈",
    "notin": "∉",
    "ni": "∋",
    "subset": "⊂",
    "subseteq": "⊆",
    "supset": "⊃",
    "supseteq": "⊇",
    "cup": "∪",
    "cap": "∩",
    "setminus": "∖",
    "times": "×",
    "cdot": "⋅",
    "div": "÷",
    "pm": "±",
    "mp": "∓",
    "ast": "∗",
    "star": "⋆",
    "circ": "∘",
    "bullet": "∙",
    "oplus": "⊕",
    "otimes": "⊗",
    "wedge": "∧",
    "land": "∧",
    "vee": "∨",
    "lor": "∨",
    "neg": "¬",
    "lnot": "¬",
    "forall": "∀",
    "exists": "∃",
    "mid": "∣",
    "parallel": "∥",
    "perp": "⊥",
    "colon": ":",
    "vert": "|",
    "Vert": "‖",
    "|": "‖",
    "langle": "⟨",
    "rangle": "⟩",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "{": "{",
    "}": "}",
    "lbrace": "{",
    "rbrace": "}",
    "ldots": "…",
    "cdots": "⋯",
    "dots": "…",
    "vdots": "⋮",
    "ddots": "⋱",
    "coloneqq": "≔",
    "preceq": "⪯",
    "succeq": "⪰",
    "uparrow": "↑",
    "downarrow": "↓",
    "gets": "←",
    "dagger": "†",
}

IDENTIFIERS = {
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "emptyset": "∅",
    "varnothing": "∅",
    "ell": "ℓ",
    "hbar": "ℏ",
    "prime": "′",
    "aleph": "ℵ",
    "Re": "ℜ",
    "Im": "ℑ",
    "top": "⊤",
    "bot": "⊥",
    "%": "%",
    "$": "$",
    "&": "&",
    "#": "#",
    "_": "_",
}

# Big operators: limits go under/over in display style.
BIG_OPERATORS = {
    "sum": "∑",
    "prod": "∏",
    "coprod": "∐",
    "int": "∫",
    "iint": "∬",
    "oint": "∮",
    "bigcup": "⋃",
    "bigcap": "⋂",
    "bigoplus": "⨁",
    "bigotimes": "⨂",
    "bigvee": "⋁",
    "bigwedge": "⋀",
}
LIMIT_FUNCTIONS = {"sup", "inf", "max", "min", "lim", "limsup", "liminf", "argmax", "argmin"}
FUNCTIONS = {
    "log",
    "ln",
    "exp",
    "sin",
    "cos",
    "tan",
    "sinh",
    "cosh",
    "tanh",
    "det",
    "dim",
    "ker",
    "deg",
    "gcd",
    "arg",
    "Pr",
    "sign",
    "sgn",
    "erf",
    "erfc",
    "Var",
    "Cov",
    "poly",
    "polylog",
}
SPACES = {
    ",": "0.1667em",
    ":": "0.2222em",
    ">": "0.2222em",
    ";": "0.2778em",
    " ": "0.25em",
    "quad": "1em",
    "qquad": "2em",
    "!": "0em",
    "enspace": "0.5em",
    "thinspace": "0.1667em",
}
ACCENTS = {
    "hat": "^",
    "widehat": "^",
    "tilde": "~",
    "widetilde": "~",
    "bar": "¯",
    "overline": "¯",
    "vec": "→",
    "dot": "˙",
    "ddot": "¨",
    "check": "ˇ",
}
UNDER_ACCENTS = {"underline": "_"}
SIZING = {
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "biggl",
    "biggr",
    "Biggl",
    "Biggr",
    "displaystyle",
    "textstyle",
    "scriptstyle",
    "limits",
    "nolimits",
    "middle",
}
STYLE_COMMANDS = {
    "mathrm",
    "text",
    "textrm",
    "textit",
    "mathit",
    "operatorname",
    "mathsf",
    "textsf",
    "texttt",
    "mathtt",
    "mbox",
    "textbf",
    "emph",
}
ALPHABET_COMMANDS = {"mathbb", "mathcal", "mathbf", "boldsymbol", "bm", "mathfrak", "mathscr"}

# Unicode mathematical alphabets: (capitals start, lowercase start, holes filled from the BMP).
_ALPHABETS = {
    "mathbb": (
        0x1D538,
        0x1D552,
        {"C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"},
    ),
    "mathcal": (
        0x1D49C,
        0x1D4B6,
        {
            "B": "ℬ",
            "E": "ℰ",
            "F": "ℱ",
            "H": "ℋ",
            "I": "ℐ",
            "L": "ℒ",
            "M": "ℳ",
            "R": "ℛ",
            "e": "ℯ",
            "g": "ℊ",
            "o": "ℴ",
        },
    ),
    "mathbf": (0x1D400, 0x1D41A, {}),
    "mathfrak": (0x1D504, 0x1D51E, {"C": "ℭ", "H": "ℌ", "I": "ℑ", "R": "ℜ", "Z": "ℨ"}),
}
_ALPHABETS["mathscr"] = _ALPHABETS["mathcal"]
_ALPHABETS["boldsymbol"] = _ALPHABETS["bm"] = _ALPHABETS["mathbf"]
_BB_DIGITS = 0x1D7D8


def styled_letters(command: str, text: str) -> str:
    capitals, lowercase, holes = _ALPHABETS[command]
    out = []
    for ch in text:
        if ch in holes:
            out.append(holes[ch])
        elif "A" <= ch <= "Z":
            out.append(chr(capitals + ord(ch) - ord("A")))
        elif "a" <= ch <= "z":
            out.append(chr(lowercase + ord(ch) - ord("a")))
        elif command == "mathbb" and ch.isdigit():
            out.append(chr(_BB_DIGITS + int(ch)))
        elif command in ("mathbf", "boldsymbol", "bm") and ch in GREEK.values():
            out.append(ch)
        else:
            out.append(ch)
    return "".join(out)


_TOKEN = re.compile(
    r"\\[A-Za-z]+\*?|\\.|\d+(?:\.\d+)?|\s+|[A-Za-z]|'+|[{}^_&]|.",
    re.DOTALL,
)


@dataclass
class _Token:
    text: str

    @property
    def is_command(self) -> bool:
        return self.text.startswith("\\") and len(self.text) > 1


def _tokens(latex: str) -> list[_Token]:
    return [_Token(t) for t in _TOKEN.findall(latex)]


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _mrow(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"<mrow>{''.join(items)}</mrow>"


class _Parser:
    def __init__(self, latex: str, *, lenient: bool = False) -> None:
        self.tokens = _tokens(latex)
        self.pos = 0
        # Lenient: an unknown command is shown as its name (marked) instead of failing.
        self.lenient = lenient

    def peek(self, skip_space: bool = True) -> _Token | None:
        if skip_space:
            while self.pos < len(self.tokens) and self.tokens[self.pos].text.isspace():
                self.pos += 1
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> _Token:
        token = self.peek()
        if token is None:
            raise LatexError("unexpected end of formula")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.next()
        if token.text != text:
            raise LatexError(f"expected {text!r}, found {token.text!r}")

    # -- groups and raw arguments ------------------------------------------------------------

    def raw_group(self) -> str:
        """The source text of a ``{...}`` argument (for \\text and friends), or one token."""
        token = self.next()
        if token.text != "{":
            return token.text
        depth, parts = 1, []
        while self.pos < len(self.tokens):
            text = self.tokens[self.pos].text
            self.pos += 1
            if text == "{":
                depth += 1
            elif text == "}":
                depth -= 1
                if depth == 0:
                    return "".join(parts)
            parts.append(text)
        raise LatexError("unbalanced braces")

    def argument(self) -> str:
        token = self.peek()
        if token is None:
            raise LatexError("missing argument")
        if token.text == "{":
            self.pos += 1
            return _mrow(self.sequence(stop={"}"}) or ["<mrow></mrow>"])
        return self.atom()

    def optional_argument(self) -> str | None:
        token = self.peek()
        if token is None or token.text != "[":
            return None
        self.pos += 1
        return _mrow(self.sequence(stop={"]"}) or ["<mrow></mrow>"])

    # -- sequences ---------------------------------------------------------------------------

    def sequence(self, stop: set[str]) -> list[str]:
        """Parse until a token in ``stop`` (consumed) or the end (only when stop is empty)."""
        items: list[str] = []
        while True:
            token = self.peek()
            if token is None:
                if stop:
                    raise LatexError(f"missing {' or '.join(sorted(stop))}")
                return items
            if token.text in stop:
                self.pos += 1
                return items
            if token.text in ("&", "\\\\") or token.text.startswith("\\end"):
                if stop:
                    raise LatexError(f"unexpected {token.text}")
                return items
            if token.text == "}":
                raise LatexError("unbalanced }")
            if token.text == "\\right":
                raise LatexError("\\right without \\left")
            items.append(self.scripted())

    def cell(self) -> list[str]:
        items: list[str] = []
        while True:
            token = self.peek()
            if token is None:
                raise LatexError("unterminated environment")
            if token.text in ("&", "\\\\") or token.text == "\\end":
                return items
            items.append(self.scripted())

    def scripted(self) -> str:
        token = self.peek()
        assert token is not None
        limits = token.text[1:] in BIG_OPERATORS or token.text[1:] in LIMIT_FUNCTIONS
        base = self.atom()
        sub = sup = None
        primes = ""
        while True:
            token = self.peek(skip_space=False)
            if token is None:
                break
            if token.text.startswith("'"):
                self.pos += 1
                primes += "′" * len(token.text)
                continue
            if token.text == "_" and sub is None:
                self.pos += 1
                sub = self.argument()
                continue
            if token.text == "^" and sup is None:
                self.pos += 1
                sup = self.argument()
                continue
            if token.text.isspace():
                follow = self.tokens[self.pos + 1].text if self.pos + 1 < len(self.tokens) else ""
                if follow in ("_", "^"):
                    self.pos += 1
                    continue
            break
        if primes:
            prime = f"<mo>{primes}</mo>"
            sup = prime if sup is None else f"<mrow>{prime}{sup}</mrow>"
        if sub is None and sup is None:
            return base
        if limits:
            if sub is not None and sup is not None:
                return f"<munderover>{base}{sub}{sup}</munderover>"
            if sub is not None:
                return f"<munder>{base}{sub}</munder>"
            return f"<mover>{base}{sup}</mover>"
        if sub is not None and sup is not None:
            return f"<msubsup>{base}{sub}{sup}</msubsup>"
        if sub is not None:
            return f"<msub>{base}{sub}</msub>"
        return f"<msup>{base}{sup}</msup>"

    # -- atoms ------------------------------------------------------------------------------

    def delimiter(self) -> str:
        token = self.next()
        text = token.text
        if text == ".":
            return ""
        if token.is_command:
            name = text[1:]
            if name in OPERATORS:
                return OPERATORS[name]
            if name in ("{", "}"):
                return name
            raise LatexError(f"unknown delimiter {text}")
        if text in "()[]|/":
            return text
        raise LatexError(f"unknown delimiter {text}")

    def atom(self) -> str:
        token = self.next()
        text = token.text
        if text == "{":
            return _mrow(self.sequence(stop={"}"}) or ["<mrow></mrow>"])
        if text in ("^", "_"):
            # A script with no base, as in {}^2 or a leading _i.
            self.pos -= 1
            return "<mrow></mrow>"
        if token.is_command:
            return self.command(text[1:])
        if text[0].isdigit():
            return f"<mn>{_esc(text)}</mn>"
        if text.isalpha():
            return f"<mi>{_esc(text)}</mi>"
        if text == "~":
            return '<mspace width="0.25em"></mspace>'
        if text == "|":
            # An ordinary symbol in LaTeX (absolute value): no operator spacing around it.
            return '<mo stretchy="false" lspace="0em" rspace="0em">|</mo>'
        if text in "()[]":
            return f'<mo stretchy="false">{_esc(text)}</mo>'
        if text in "+-=<>,;:!/.?*":
            symbol = {"-": "−", "*": "∗"}.get(text, text)
            return f"<mo>{_esc(symbol)}</mo>"
        if text == "'":
            return "<mo>′</mo>"
        if text in ("}", "&", "#", "$", "%", "\\"):
            raise LatexError(f"unexpected {text!r}")
        return f"<mo>{_esc(text)}</mo>" if not text.isalnum() else f"<mi>{_esc(text)}</mi>"

    def command(self, name: str) -> str:
        if name in GREEK:
            normal = ' mathvariant="normal"' if name[0].isupper() else ""
            return f"<mi{normal}>{GREEK[name]}</mi>"
        if name in ("|", "vert", "Vert"):
            return f'<mo stretchy="false" lspace="0em" rspace="0em">{OPERATORS[name]}</mo>'
        if name in OPERATORS:
            stretch = ' stretchy="false"' if name in ("langle", "rangle", "{", "}") else ""
            return f"<mo{stretch}>{_esc(OPERATORS[name])}</mo>"
        if name in IDENTIFIERS:
            return f"<mi>{_esc(IDENTIFIERS[name])}</mi>"
        if name in BIG_OPERATORS:
            return f'<mo largeop="true" movablelimits="true">{BIG_OPERATORS[name]}</mo>'
        if name in LIMIT_FUNCTIONS:
            return f'<mo movablelimits="true" form="prefix">{name}</mo>'
        if name in FUNCTIONS:
            return f'<mi mathvariant="normal">{name}</mi><mo>\u2061</mo>'
        if name in SPACES:
            return f'<mspace width="{SPACES[name]}"></mspace>'
        if name in SIZING:
            return "<mrow></mrow>"
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            numerator = self.argument()
            denominator = self.argument()
            return f"<mfrac>{numerator}{denominator}</mfrac>"
        if name == "binom":
            top = self.argument()
            bottom = self.argument()
            return (
                f'<mrow><mo>(</mo><mfrac linethickness="0">{top}{bottom}</mfrac><mo>)</mo></mrow>'
            )
        if name == "sqrt":
            index = self.optional_argument()
            body = self.argument()
            return f"<mroot>{body}{index}</mroot>" if index else f"<msqrt>{body}</msqrt>"
        if name in ACCENTS:
            body = self.argument()
            return f'<mover accent="true">{body}<mo>{_esc(ACCENTS[name])}</mo></mover>'
        if name in UNDER_ACCENTS:
            body = self.argument()
            return f'<munder accentunder="true">{body}<mo>_</mo></munder>'
        if name in ("underbrace", "overbrace"):
            body = self.argument()
            brace = "⏟" if name == "underbrace" else "⏞"
            tag = "munder" if name == "underbrace" else "mover"
            return f"<{tag}>{body}<mo>{brace}</mo></{tag}>"
        if name in STYLE_COMMANDS:
            content = self.raw_group()
            if name in ("mathrm", "operatorname", "mathsf", "mathtt", "mathit"):
                content = content.replace("\\,", " ").replace("\\ ", " ")
                if re.search(r"\\|[_^]", content):
                    raise LatexError(f"\\{name} with markup inside")
                variant = "italic" if name == "mathit" else "normal"
                suffix = "<mo>\u2061</mo>" if name == "operatorname" else ""
                return f'<mi mathvariant="{variant}">{_esc(content)}</mi>{suffix}'
            return f"<mtext>{_esc(_plain_text(content))}</mtext>"
        if name in ALPHABET_COMMANDS:
            content = self.raw_group()
            if "\\" in content:
                inner = _Parser(content, lenient=self.lenient)
                return _mrow(inner.sequence(stop=set()) or ["<mrow></mrow>"])
            letters = styled_letters(name, content.replace(" ", ""))
            return f"<mi>{_esc(letters)}</mi>"
        if name == "left":
            opening = self.delimiter()
            body = self.sequence(stop={"\\right"})
            closing = self.delimiter()
            parts = [f'<mo fence="true">{_esc(opening)}</mo>'] if opening else []
            parts += body
            parts += [f'<mo fence="true">{_esc(closing)}</mo>'] if closing else []
            return f"<mrow>{''.join(parts)}</mrow>"
        if name == "begin":
            return self.environment(self.raw_group())
        if name == "\\":
            raise LatexError("line break outside an environment")
        if self.lenient:
            return f'<merror title="unknown LaTeX command"><mtext>\\{_esc(name)}</mtext></merror>'
        raise LatexError(f"unknown command \\{name}")

    def environment(self, env: str) -> str:
        known = {
            "cases",
            "aligned",
            "align",
            "align*",
            "gathered",
            "matrix",
            "pmatrix",
            "bmatrix",
            "vmatrix",
            "array",
            "split",
        }
        if env not in known:
            raise LatexError(f"unknown environment {env}")
        if env == "array":
            self.raw_group()  # column spec
        rows: list[list[str]] = [[]]
        while True:
            cell = self.cell()
            rows[-1].append(_mrow(cell) if cell else "<mrow></mrow>")
            token = self.next()
            if token.text == "&":
                continue
            if token.text == "\\\\":
                rows.append([])
                continue
            ended = self.raw_group()
            if ended != env:
                raise LatexError(f"\\begin{{{env}}} ended by \\end{{{ended}}}")
            break
        if rows[-1] == ["<mrow></mrow>"]:
            rows.pop()
        aligned = env in ("aligned", "align", "align*", "split")
        align = ' columnalign="right left"' if aligned else ""
        if env == "cases":
            align = ' columnalign="left left"'
        table = (
            f"<mtable{align}>"
            + "".join("<mtr>" + "".join(f"<mtd>{c}</mtd>" for c in row) + "</mtr>" for row in rows)
            + "</mtable>"
        )
        fences = {
            "cases": ("{", ""),
            "pmatrix": ("(", ")"),
            "bmatrix": ("[", "]"),
            "vmatrix": ("|", "|"),
        }
        if env in fences:
            left, right = fences[env]
            pieces = f'<mo fence="true">{left}</mo>{table}'
            if right:
                pieces += f'<mo fence="true">{right}</mo>'
            return f"<mrow>{pieces}</mrow>"
        return table


def _plain_text(content: str) -> str:
    content = re.sub(r"\\([%$&#_{} ])", r"\1", content)
    return content.replace("~", "\u00a0")


def to_mathml(latex: str, *, display: bool = False, lenient: bool = False) -> str:
    """MathML for one formula (no ``$`` delimiters); raises ``LatexError`` if not understood.

    With ``lenient``, unknown commands become marked ``<merror>`` names instead of errors.
    """
    parser = _Parser(latex, lenient=lenient)
    body = parser.sequence(stop=set())
    if parser.peek() is not None:
        raise LatexError(f"unexpected {parser.peek().text}")
    mode = ' display="block"' if display else ""
    annotation = f'<annotation encoding="application/x-tex">{_esc(latex)}</annotation>'
    return (
        f'<math xmlns="{MATHML_NS}"{mode}><semantics>{_mrow(body or ["<mrow></mrow>"])}'
        f"{annotation}</semantics></math>"
    )


def _fallback(latex: str, display: bool) -> str:
    tag = "pre" if display else "code"
    return f'<{tag} class="latex" title="LaTeX source">{_esc(latex)}</{tag}>'


def formula(latex: str, *, display: bool = False) -> str:
    """MathML for a formula; unknown commands are shown by name; malformed input as source."""
    try:
        return to_mathml(latex, display=display)
    except LatexError:
        pass
    try:
        return to_mathml(latex, display=display, lenient=True)
    except LatexError:
        return _fallback(latex, display)


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
    text = _plain_text(text)
    paragraphs = re.split(r"\n\s*\n", text)
    return "</p><p>".join(_esc(p) for p in paragraphs)
