"""PDF documents with Chinese text (fpdf2), shared by the pension letter and the statement of rights.

The font is a TrueType file with CJK glyphs found on the machine (Debian's fonts-wqy-microhei, which .ci/run and the
README install) or named by SHEBAO_LETTER_FONT; without one a document is refused with a clear reason, never a
traceback. A CJK font without Latin letters and digits (Droid Sans Fallback) borrows them from DejaVu Sans where it is
installed. fpdf2 embeds only the glyphs a document uses (a subset), so the files stay small.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from shebao.core.errors import DomainError

# Looked for in this order.
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian: fonts-wqy-microhei (CJK, Latin and digits)
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian: fonts-wqy-zenhei
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # Debian: fonts-droid-fallback (CJK only)
)
LATIN_FALLBACK = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian: fonts-dejavu-core
FAMILY, LATIN = "letter-cjk", "letter-latin"


class FontMissing(DomainError):
    status_code = 503

    def __init__(self, looked: list[str]) -> None:
        super().__init__("letter.font_missing", "服务器缺少中文字体，暂时无法生成 PDF（请安装 fonts-wqy-microhei）",
                         "no Chinese font on the server for the PDF (install fonts-wqy-microhei, or set "
                         "SHEBAO_LETTER_FONT to a TrueType file with CJK glyphs)", looked=looked)


def find_font(configured: str = "") -> Path:
    """The CJK font to embed: the one configured, else the first of CJK_FONTS present."""
    candidates = [configured] if configured else list(CJK_FONTS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise FontMissing(candidates)


def cjk_document(font: Path, *, title: str) -> FPDF:
    """An A4 document with the CJK font (family FAMILY) and its Latin fallback, its first page open."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(18, 16, 18)
    pdf.add_font(FAMILY, "", str(font))
    if Path(LATIN_FALLBACK).is_file():
        pdf.add_font(LATIN, "", LATIN_FALLBACK)
        pdf.set_fallback_fonts([LATIN])
    pdf.set_title(title)
    pdf.set_author("shebao")
    pdf.set_creator("shebao")
    pdf.add_page()
    return pdf
