"""The pension letter as a PDF (fpdf2) with a Chinese font: the person's own copy to print or keep. The font is
found (and refused plainly when missing) by core/pdf.py, which the statement of rights shares."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fpdf.enums import XPos, YPos

from shebao.core.pdf import FAMILY, cjk_document, find_font
from shebao.core.pdf import FontMissing as LetterFontMissing

__all__ = ["LetterFontMissing", "find_font", "letter_pdf"]


def letter_pdf(letter: dict, *, holder: str, id_number_masked: str, issued: date, lang: str, font: Path,
               footer: str) -> bytes:
    """The letter (Letter.read(lang)) for one person, named as the archive names them, issued on a day."""
    pdf = cjk_document(font, title=letter["title"])
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
