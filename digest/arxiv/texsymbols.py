"""The TeX math commands `texmath` knows, each with the Unicode a reader expects for it. Pure data."""

from __future__ import annotations

import unicodedata

_GREEK = (
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu",
    "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"
)  # fmt: skip
_GREEK_NAMES = {"lambda": "LAMDA"}  # Unicode spells it without the b
_LOWER = {name: unicodedata.lookup(f"GREEK SMALL LETTER {_GREEK_NAMES.get(name, name.upper())}") for name in _GREEK}
_UPPER = {
    name.capitalize(): unicodedata.lookup(f"GREEK CAPITAL LETTER {_GREEK_NAMES.get(name, name.upper())}")
    for name in _GREEK
}
# TeX draws \epsilon and \phi in their other forms; the var- commands give the common ones.
_VARIANTS = {
    "epsilon": "\u03f5", "varepsilon": "\u03b5", "phi": "\u03d5", "varphi": "\u03c6", "vartheta": "\u03d1",
    "varpi": "\u03d6", "varrho": "\u03f1", "varsigma": "\u03c2", "varkappa": "\u03f0",
}  # fmt: skip
_SIGNS = {
    "ell": "ℓ", "hbar": "ℏ", "infty": "∞", "partial": "∂", "nabla": "∇", "times": "×", "cdot": "·", "pm": "±",
    "mp": "∓", "div": "÷", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "sim": "∼", "simeq": "≃", "cong": "≅", "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "to": "→",
    "rightarrow": "→", "leftarrow": "←", "gets": "←", "Rightarrow": "⇒", "Leftarrow": "⇐", "leftrightarrow": "↔",
    "Leftrightarrow": "⇔", "iff": "⇔", "mapsto": "↦", "uparrow": "↑", "downarrow": "↓", "in": "∈", "notin": "∉",
    "ni": "∋", "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "supseteq": "⊇", "cup": "∪", "cap": "∩",
    "setminus": "∖", "emptyset": "∅", "varnothing": "∅", "forall": "∀", "exists": "∃", "neg": "¬", "lnot": "¬",
    "wedge": "∧", "land": "∧", "vee": "∨", "lor": "∨", "oplus": "⊕", "otimes": "⊗", "odot": "⊙", "circ": "∘",
    "bullet": "•", "star": "⋆", "ast": "∗", "dagger": "†", "ddagger": "‡", "top": "⊤", "bot": "⊥", "perp": "⊥",
    "parallel": "∥", "mid": "|", "vert": "|", "|": "‖", "Vert": "‖", "langle": "⟨", "rangle": "⟩", "lfloor": "⌊",
    "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱",
    "prime": "′", "sum": "∑", "prod": "∏", "int": "∫", "oint": "∮", "sqrt": "√", "aleph": "ℵ", "Re": "ℜ",
    "Im": "ℑ", "wp": "℘", "angle": "∠", "triangle": "△", "square": "□", "checkmark": "✓", "degree": "°",
    "lbrace": "{", "rbrace": "}", "colon": ":", "vdash": "⊢", "models": "⊨", "preceq": "⪯", "succeq": "⪰",
    "prec": "≺", "succ": "≻", "lesssim": "≲", "gtrsim": "≳", "sharp": "♯", "flat": "♭", "S": "§",
}  # fmt: skip
SYMBOLS = {**_LOWER, **_UPPER, **_VARIANTS, **_SIGNS}
SYMBOLS.pop("sqrt")  # \sqrt takes its radicand: texmath reads it
# Operator names TeX sets upright; "n\log n" reads "n log n".
_OPERATORS = (
    "log", "ln", "lg", "exp", "sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh", "arcsin",
    "arccos", "arctan", "max", "min", "sup", "inf", "lim", "limsup", "liminf", "arg", "argmax", "argmin", "det",
    "dim", "ker", "deg", "gcd", "lcm", "Pr", "mod", "bmod", "tr", "Tr", "rank", "diag", "sgn"
)  # fmt: skip
FUNCTIONS = {name: name for name in _OPERATORS}
FUNCTIONS["operatorname"] = ""  # \operatorname{Tr}: its argument is read as a group after it
# Spacing and sizing that draw nothing of their own; \left( is a bracket.
SPACING = {
    ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": " ", "qquad": " ", "left": "", "right": "", "big": "",
    "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "", "Bigl": "", "Bigr": "", "displaystyle": "",
    "textstyle": "", "limits": "", "nolimits": "",
}  # fmt: skip
# Font and text commands: their argument as it reads (\mathcal{L} is an L).
FONTS = frozenset((
    "mathcal", "mathbf", "mathrm", "mathit", "mathsf", "mathtt", "mathscr", "mathfrak", "boldsymbol", "bm",
    "pmb", "text", "textrm", "textbf", "textit", "textsf", "texttt", "textup", "mbox", "emph"
))  # fmt: skip
_STRUCK_ALONE = {"C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"}
DOUBLE_STRUCK = {
    **{chr(code): chr(0x1D538 + code - ord("A")) for code in range(ord("A"), ord("Z") + 1)},
    **_STRUCK_ALONE,
    "1": "𝟙",
}
# Accents over one letter, as the combining mark Unicode has for each.
ACCENTS = {
    "hat": "\u0302", "widehat": "\u0302", "tilde": "\u0303", "widetilde": "\u0303", "bar": "\u0304",
    "overline": "\u0305", "vec": "\u20d7", "dot": "\u0307", "ddot": "\u0308", "breve": "\u0306", "check": "\u030c",
    "acute": "\u0301", "grave": "\u0300",
}  # fmt: skip
_DIGITS_UP, _DIGITS_DOWN = "⁰¹²³⁴⁵⁶⁷⁸⁹", "₀₁₂₃₄₅₆₇₈₉"
SUPERSCRIPTS = {
    **{str(digit): _DIGITS_UP[digit] for digit in range(10)},
    "+": "⁺", "-": "⁻", "−": "⁻", "=": "⁼", "(": "⁽", ")": "⁾", "′": "′", "'": "′", "*": "∗", "∗": "∗", "†": "†",
    "⊤": "ᵀ", "∘": "°", "a": "ᵃ", "b": "ᵇ", "c": "ᶜ", "d": "ᵈ", "e": "ᵉ", "f": "ᶠ", "g": "ᵍ", "h": "ʰ", "i": "ⁱ",
    "j": "ʲ", "k": "ᵏ", "l": "ˡ", "m": "ᵐ", "n": "ⁿ", "o": "ᵒ", "p": "ᵖ", "r": "ʳ", "s": "ˢ", "t": "ᵗ", "u": "ᵘ",
    "v": "ᵛ", "w": "ʷ", "x": "ˣ", "y": "ʸ", "z": "ᶻ", "A": "ᴬ", "B": "ᴮ", "D": "ᴰ", "E": "ᴱ", "G": "ᴳ", "H": "ᴴ",
    "I": "ᴵ", "J": "ᴶ", "K": "ᴷ", "L": "ᴸ", "M": "ᴹ", "N": "ᴺ", "O": "ᴼ", "P": "ᴾ", "R": "ᴿ", "T": "ᵀ", "U": "ᵁ",
    "V": "ⱽ", "W": "ᵂ", "α": "ᵅ", "β": "ᵝ", "γ": "ᵞ", "δ": "ᵟ", "φ": "ᵠ", "χ": "ᵡ", "θ": "ᶿ",
}  # fmt: skip
SUBSCRIPTS = {
    **{str(digit): _DIGITS_DOWN[digit] for digit in range(10)},
    "+": "₊", "-": "₋", "−": "₋", "=": "₌", "(": "₍", ")": "₎", "a": "ₐ", "e": "ₑ", "h": "ₕ", "i": "ᵢ", "j": "ⱼ",
    "k": "ₖ", "l": "ₗ", "m": "ₘ", "n": "ₙ", "o": "ₒ", "p": "ₚ", "r": "ᵣ", "s": "ₛ", "t": "ₜ", "u": "ᵤ", "v": "ᵥ",
    "x": "ₓ", "β": "ᵦ", "γ": "ᵧ", "ρ": "ᵨ", "φ": "ᵩ", "χ": "ᵪ",
}  # fmt: skip
