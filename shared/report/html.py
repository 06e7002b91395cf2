"""Render a report document (``shared.document``) as one self-contained HTML page (plots inlined)."""

import base64
import html
from typing import Any, List, Sequence


def _h(s: Any) -> str:
    return html.escape(str(s), quote=True)


def _html_inline(parts: Sequence[Any]) -> str:
    out = []
    for p in parts:
        if isinstance(p, str):
            out.append(_h(p))
            continue
        kind, text = p[0], p[1]
        if kind == "code":
            out.append("<code>%s</code>" % _h(text))
        elif kind == "link":
            out.append('<a href="%s">%s</a>' % (_h(p[2]), _h(text)))
        elif kind in ("pass", "fail", "note"):
            out.append('<span class="badge %s">%s</span>' % (kind, _h(text)))
        else:
            out.append("<b>%s</b>" % _h(text))
    return "".join(out)


def _has_fail(row: Sequence[List[Any]]) -> bool:
    return any(isinstance(p, tuple) and p[0] == "fail" for cell in row for p in cell)


def _html_blocks(doc: Sequence[tuple]) -> List[str]:
    out = []  # type: List[str]
    for block in doc:
        kind = block[0]
        if kind == "h":
            anchor = ' id="%s"' % _h(block[3]) if block[3] else ""
            out.append("<h%d%s>%s</h%d>" % (block[1], anchor, _html_inline(block[2]), block[1]))
        elif kind == "p":
            cls = ' class="%s"' % _h(block[2]) if block[2] else ""
            out.append("<p%s>%s</p>" % (cls, _html_inline(block[1])))
        elif kind == "ul":
            out.append("<ul>%s</ul>" % "".join("<li>%s</li>" % _html_inline(i) for i in block[1]))
        elif kind == "table":
            headers, rows, numeric = block[1], block[2], block[3]
            head = "".join("<th>%s</th>" % _h(h) for h in headers)
            body = "".join("<tr%s>%s</tr>" % (' class="bad"' if _has_fail(r) else "", "".join(
                '<td%s>%s</td>' % (' class="num"' if i in numeric else "", _html_inline(c)) for i, c in enumerate(r)))
                for r in rows)
            out.append('<div class="scroll"><table><thead><tr>%s</tr></thead><tbody>%s</tbody></table></div>'
                       % (head, body))
        elif kind == "figure":
            data = base64.b64encode(block[4]).decode("ascii")
            out.append('<figure><figcaption><b>%s</b> (<code>%s</code>) %s</figcaption>'
                       '<img alt="%s" src="data:image/png;base64,%s"></figure>'
                       % (_h(block[2]), _h(block[1]), _h(block[3]), _h(block[2]), data))
        elif kind == "box":
            out.append('<section class="%s">%s</section>' % (_h(block[1]), "\n".join(_html_blocks(block[2]))))
    return out

CSS = """
body{font:15px/1.45 -apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;
max-width:1200px;margin:24px auto;padding:0 20px}
h1{font-size:26px;margin:0 0 10px}h2{font-size:21px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:36px}
h3{font-size:16px;margin:22px 0 6px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;background:#f3f4f6;
padding:1px 4px;border-radius:4px;word-break:break-all}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:6px 0 14px;font-size:13.5px}
th,td{border:1px solid #d0d7de;padding:4px 9px;text-align:left;vertical-align:top}th{background:#f6f8fa;white-space:nowrap}
tbody tr:nth-child(even) td{background:#fafbfc}tbody tr.bad td{background:#fff1f0}td.num{text-align:right;white-space:nowrap;
font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.badge{display:inline-block;font-weight:700;font-size:12px;padding:1px 7px;border-radius:10px;white-space:nowrap}
.badge.pass{background:#dafbe1;color:#116329}.badge.note{background:#ddf4ff;color:#0969da}.badge.fail{background:#cf222e;color:#fff}
.verdict{font-size:17px;padding:10px 14px;border-radius:6px}.verdict.ok{background:#dafbe1;border:1px solid #4ac26b}
.verdict.bad{background:#ffebe9;border:1px solid #ff8182}
.failures{border:2px solid #cf222e;border-radius:8px;padding:0 18px 8px;margin:18px 0;background:#fffafa}
.failures h2{color:#cf222e;margin-top:14px}
figure{margin:14px 0 26px}figure img{max-width:100%;border:1px solid #d0d7de;border-radius:4px;margin-top:4px}
figcaption{color:#57606a;font-size:13px}.footer{color:#57606a;font-size:13px;margin-top:40px}
ul{padding-left:22px}li{margin:2px 0}
"""


def to_html(doc: Sequence[tuple], title: str) -> str:
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>%s</title>\n'
            '<style>%s</style>\n</head>\n<body>\n%s\n</body>\n</html>\n'
            % (_h(title), CSS, "\n".join(_html_blocks(doc))))
