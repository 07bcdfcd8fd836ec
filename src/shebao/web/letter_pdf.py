"""The pension letter as a PDF (fpdf2) with a Chinese font: the person's own copy to print or keep.

The font is a TrueType file with CJK glyphs found on the machine (Debian's fonts-wqy-microhei, which .ci/run and the
README install) or named by SHEBAO_LETTER_FONT; without one the letter is refused with a clear reason, never a traceback.
A CJK font without Latin letters and digits (Droid Sans Fallback) borrows them from DejaVu Sans where it is installed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from shebao.core.errors import DomainError

# Looked for in this order; fpdf2 embeds only the glyphs the letter uses (a subset), so the PDF stays small.
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian: fonts-wqy-microhei (CJK, Latin and digits)
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian: fonts-wqy-zenhei
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",  # Debian: fonts-droid-fallback (CJK only)
)
LATIN_FALLBACK = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian: fonts-dejavu-core
FAMILY, LATIN = "letter-cjk", "letter-latin"


class LetterFontMissing(DomainError):
    status_code = 503

    def __init__(self, looked: list[str]) -> None:
        super().__init__("letter.font_missing", "服务器缺少中文字体，暂时无法生成 PDF（请安装 fonts-wqy-microhei）",
                         "no Chinese font on the server for the PDF letter (install fonts-wqy-microhei, or set "
                         "SHEBAO_LETTER_FONT to a TrueType file with CJK glyphs)", looked=looked)


def find_font(configured: str = "") -> Path:
    """The CJK font to embed: the one configured, else the first of CJK_FONTS present."""
    candidates = [configured] if configured else list(CJK_FONTS)
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise LetterFontMissing(candidates)


def letter_pdf(letter: dict, *, holder: str, id_number_masked: str, issued: date, lang: str, font: Path,
               footer: str) -> bytes:
    """The letter (Letter.read(lang)) for one person, named as the archive names them, issued on a day."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(18, 16, 18)
    pdf.add_font(FAMILY, "", str(font))
    if Path(LATIN_FALLBACK).is_file():
        pdf.add_font(LATIN, "", LATIN_FALLBACK)
        pdf.set_fallback_fonts([LATIN])
    pdf.set_title(letter["title"])
    pdf.set_author("shebao")
    pdf.set_creator("shebao")
    pdf.add_page()
    width = pdf.epw

    def line(text: str, size: float, *, color: tuple[int, int, int] = (29, 39, 51), height: float | None = None,
             gap: float = 0) -> None:
        pdf.set_font(FAMILY, size=size)
        pdf.set_text_color(*color)
        pdf.multi_cell(width, height or size * 0.55, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        if gap:
            pdf.ln(gap)

    line(letter["title"], 18, gap=2)
    line(f"{holder}  {id_number_masked}  ·  {issued.isoformat()}", 11, color=(91, 102, 115), gap=4)
    for section in letter["sections"]:
        line(section["title"], 14, gap=1)
        line(section["text"], 10.5, height=6, gap=1)
        if section["formula"]:
            pdf.set_fill_color(243, 246, 250)
            pdf.set_font(FAMILY, size=10.5)
            pdf.set_text_color(29, 39, 51)
            pdf.multi_cell(width, 6, section["formula"], fill=True, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(1)
        for figure in section["figures"]:
            line(f"{figure['label']}：{figure['value']}" if lang != "en" else f"{figure['label']}: {figure['value']}",
                 10.5, height=5.6)
            if figure["source"]:
                line(figure["source"], 8.5, color=(91, 102, 115), height=4.6)
            pdf.ln(0.8)
        pdf.ln(3)
    line(footer, 8.5, color=(91, 102, 115), height=4.6)
    return bytes(pdf.output())
