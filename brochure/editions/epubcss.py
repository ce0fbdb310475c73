"""The EPUB's stylesheet, written for reading systems that know no CSS custom properties.

The design tokens (styles/tokens.css, the brand colour of brochure.yaml) stay the single source: `book_css`
reads them and writes the EPUB's CSS with every `var()` replaced by its value at build time. MuPDF, calibre's
conversions (AZW3, MOBI) and RMSDK readers drop a declaration holding `var()`, even one with a fallback inside:
links turned black and call-out boxes lost their tint. Font sizes given in points become `em` (the body's size
is 1em), so a reader's text-size setting scales them; custom property declarations are left out. em, not rem:
MuPDF 1.21 takes rem from a fixed 16 px, whatever text size the reader chose. (A size set inside a box of another
size compounds: the contact box's title, 12.5pt in a 10pt box, is 1.1364em of 0.9091em, 1.03 body sizes.)
"""
from __future__ import annotations

import tinycss2
from tinycss2 import ast

POINTS_PER_BODY = "body-size"  # the token whose value is 1em in the EPUB


def custom_properties(*sheets: str) -> dict[str, list[ast.Node]]:
    """The custom properties set on :root by the stylesheets, later ones winning, each resolved against the others."""
    raw: dict[str, list[ast.Node]] = {}
    for sheet in sheets:
        for rule in tinycss2.parse_stylesheet(sheet, skip_comments=True, skip_whitespace=True):
            if rule.type == "qualified-rule" and tinycss2.serialize(rule.prelude).strip() == ":root":
                for declaration in _declarations(rule):
                    if declaration.name.startswith("--"):
                        raw[declaration.name] = _strip(declaration.value)
    resolved: dict[str, list[ast.Node]] = {}
    for name in raw:
        resolved[name] = _resolve(raw[name], raw, depth=0)
    return resolved


def book_css(sheets: list[str], tokens: dict[str, list[ast.Node]]) -> str:
    """The stylesheets as one, with var() resolved, font sizes in points as em and no custom property declared."""
    body_pt = _points(tokens.get(f"--{POINTS_PER_BODY}", []))
    out: list[str] = []
    for sheet in sheets:
        for rule in tinycss2.parse_stylesheet(sheet, skip_comments=False, skip_whitespace=True):
            if rule.type == "comment":
                out.append(f"/*{rule.value}*/")
            elif rule.type == "qualified-rule":
                declarations = [_declaration(d, tokens, body_pt) for d in _declarations(rule) if not d.name.startswith("--")]
                if declarations:
                    out.append(f"{tinycss2.serialize(rule.prelude).strip()} {{ {'; '.join(declarations)}; }}")
            elif rule.type == "at-rule":
                out.append(tinycss2.serialize(_resolve([rule], tokens, depth=0)))
    return "\n".join(out) + "\n"


def _declarations(rule: ast.QualifiedRule) -> list[ast.Declaration]:
    return [d for d in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True) if d.type == "declaration"]


def _declaration(declaration: ast.Declaration, tokens: dict[str, list[ast.Node]], body_pt: float | None) -> str:
    value = _resolve(_strip(declaration.value), tokens, depth=0)
    important = " !important" if declaration.important else ""
    if declaration.lower_name == "font-size" and body_pt:
        value = [_relative(node, body_pt, "em") for node in value]
    return f"{declaration.name}: {tinycss2.serialize(value).strip()}{important}"


def _is_points(node: ast.Node) -> bool:
    return node.type == "dimension" and node.lower_unit == "pt"


def _relative(node: ast.Node, body_pt: float, unit: str) -> ast.Node:
    """A length in points relative to the body size (11pt → 1em); anything else unchanged."""
    if _is_points(node):
        number = round(node.value / body_pt, 4)
        return ast.DimensionToken(node.source_line, node.source_column, number, None, f"{number:g}", unit)
    return node


def _points(value: list[ast.Node]) -> float | None:
    lengths = [node.value for node in value if node.type == "dimension" and node.lower_unit == "pt"]
    return float(lengths[0]) if lengths else None


def _strip(nodes: list[ast.Node]) -> list[ast.Node]:
    """Component values without leading and trailing whitespace or comments."""
    nodes = [node for node in nodes if node.type != "comment"]
    while nodes and nodes[0].type == "whitespace":
        nodes = nodes[1:]
    while nodes and nodes[-1].type == "whitespace":
        nodes = nodes[:-1]
    return nodes


def _resolve(nodes: list[ast.Node], tokens: dict[str, list[ast.Node]], depth: int) -> list[ast.Node]:
    """The component values with each var(--name, fallback) replaced by the token's value (or its fallback)."""
    if depth > 20:
        raise ValueError("custom properties refer to each other in a loop")
    resolved: list[ast.Node] = []
    for node in nodes:
        if node.type == "function" and node.lower_name == "var":
            arguments = _strip(node.arguments)
            name = tinycss2.serialize(arguments[:1]).strip()
            comma = next((n for n, a in enumerate(arguments) if a.type == "literal" and a.value == ","), None)
            fallback = _strip(arguments[comma + 1:]) if comma is not None else []
            value = tokens.get(name, fallback)
            if not value:
                raise ValueError(f"var({name}) has no value and no fallback")
            resolved.extend(_resolve(value, tokens, depth + 1))
        elif node.type == "function":
            resolved.append(ast.FunctionBlock(node.source_line, node.source_column, node.name, _resolve(node.arguments, tokens, depth)))
        elif node.type in ("() block", "[] block", "{} block"):
            block = type(node)(node.source_line, node.source_column, _resolve(node.content, tokens, depth))
            resolved.append(block)
        elif node.type == "at-rule":
            content = _resolve(node.content, tokens, depth) if node.content is not None else None
            resolved.append(ast.AtRule(node.source_line, node.source_column, node.at_keyword, node.lower_at_keyword,
                                       _resolve(node.prelude, tokens, depth), content))
        else:
            resolved.append(node)
    return resolved
