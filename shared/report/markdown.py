"""Render a report document (``shared.document``) as Markdown."""

from typing import Any, Sequence


def _md_text(s: str) -> str:
    s = s.replace("\\", "\\\\")
    for ch in "`*_<>[]|&":
        s = s.replace(ch, "\\" + ch)
    return s.replace("\n", " ")


def _md_inline(parts: Sequence[Any]) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(_md_text(p))
            continue
        kind, text = p[0], str(p[1]).replace("\n", " ")
        if kind == "code":
            fence = "``" if "`" in text else "`"
            out.append("%s%s%s" % (fence, text.replace("|", "\\|"), fence))
        elif kind == "link":
            out.append("[%s](%s)" % (_md_text(text), p[2]))
        elif kind == "fail":
            out.append("**\u274c %s**" % text)
        elif kind == "pass":
            out.append("\u2705 %s" % text)
        elif kind == "note":
            out.append("\u2139\ufe0f %s" % text)
        else:  # emphasis must not end in a space, or CommonMark shows the asterisks
            stripped = text.rstrip()
            out.append("**%s**%s" % (_md_text(stripped), text[len(stripped):]))
    return "".join(out)


def markdown(doc: Sequence[tuple]) -> str:
    lines = []  # type: List[str]
    for block in doc:
        kind = block[0]
        if kind == "h":
            lines += ["#" * block[1] + " " + _md_inline(block[2]), ""]
        elif kind == "p":
            lines += [_md_inline(block[1]), ""]
        elif kind == "ul":
            lines += ["- " + _md_inline(i) for i in block[1]] + [""]
        elif kind == "table":
            headers, rows, numeric = block[1], block[2], block[3]
            lines.append("| " + " | ".join(_md_text(h) for h in headers) + " |")
            lines.append("|" + "|".join("---:" if i in numeric else "---" for i in range(len(headers))) + "|")
            lines += ["| " + " | ".join(_md_inline(c) for c in r) + " |" for r in rows]
            lines.append("")
        elif kind == "figure":
            lines += ["![%s](%s)" % (_md_text(block[2]), block[1]), "", "*%s*" % _md_text(block[3]), ""]
        elif kind == "box":
            lines += markdown(block[2]).splitlines() + [""]
    return "\n".join(lines).rstrip("\n") + "\n"
