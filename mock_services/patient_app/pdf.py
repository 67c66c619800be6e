"""A minimal, valid PDF 1.4 writer for text pages: deterministic bytes, no dependency.

Pages are lists of text lines set in Helvetica (one of the 14 standard fonts, so nothing is
embedded). Streams are left uncompressed on purpose: the document stays a few tens of KB, and a
truncated download is obvious. The cross-reference table carries exact byte offsets, so a strict
reader accepts the file, and a cut one fails its `startxref` / `%%EOF` check.
"""

from __future__ import annotations

from collections.abc import Sequence

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN_LEFT, TOP, LEADING, FONT_SIZE = 50, 800, 12, 9


def _escape(text: str) -> str:
    safe = text.encode("latin-1", errors="replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(lines: Sequence[str]) -> bytes:
    ops = [f"BT /F1 {FONT_SIZE} Tf {LEADING} TL {MARGIN_LEFT} {TOP} Td"]
    ops += [f"({_escape(line)}) Tj T*" for line in lines]
    ops.append("ET")
    return "\n".join(ops).encode("latin-1")


def build_pdf(pages: Sequence[Sequence[str]], *, title: str, created: str) -> bytes:
    """A PDF with one page per item of `pages`; `created` is a PDF date, e.g. D:20251027080000."""
    n_pages = len(pages)
    # Object numbers: 1 catalog, 2 page tree, 3 font, 4 info, then a page and its content per page.
    page_ids = [5 + 2 * i for i in range(n_pages)]
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    info = f"<< /Title ({_escape(title)}) /Producer (patient-app mock) /CreationDate ({created}) >>"
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Count {n_pages} /Kids [{kids}] >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        info.encode("latin-1"),
    ]
    for page_id, lines in zip(page_ids, pages, strict=True):
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>".encode()
        )
        stream = _content(lines)
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\n"
        f"startxref\n{xref_at}\n%%EOF\n"
    ).encode()
    return bytes(out)
