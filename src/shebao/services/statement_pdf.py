"""The statement of rights (个人权益记录单) as a PDF (fpdf2): A4, Chinese first with English labels, the platform's
round seal drawn with the PDF's own primitives (no image file), and the verification code whose figures equal the
ledger's. The font is core/pdf.py's, shared with the pension letter.

It sits in `services` (not `web`) because the command line (`shebao person archive ID --pdf FILE`) and the API print it
as well as the citizen's page, and a module imports only downward."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

from shebao.core.money import fen_to_yuan_grouped
from shebao.core.pdf import FAMILY, cjk_document
from shebao.services.schemas import PersonArchiveRead

PLATFORM = ("全国统一社会保障信息平台", "National social security information platform (shebao)")
SEAL_TEXT, SEAL_CENTRE = "全国统一社会保障信息平台", "权益记录专用章"
INK, GREY, RED = (29, 39, 51), (91, 102, 115), (200, 32, 40)
KINDS = {"assessed": "实缴 paid", "archive": "档案 archive", "deemed": "视同 deemed"}
CLAIMS = {"unemployment": "失业保险金 unemployment", "work_injury": "工伤保险待遇 work injury",
          "maternity": "生育津贴 maternity"}
SCHEMES = {"employee_pension": "职工养老 pension", "resident_pension": "居民养老 residents' pension",
           "medical": "医疗 medical", "unemployment": "失业 unemployment", "work_injury": "工伤 work injury",
           "maternity": "生育 maternity"}


def statement_pdf(archive: PersonArchiveRead, *, holder: str, issued: date, font: Path) -> bytes:
    """The statement for one person (named as printed papers name them: masked), issued on a day."""
    pdf = cjk_document(font, title="个人权益记录单 Statement of rights")
    yuan = fen_to_yuan_grouped
    _line(pdf, "个人权益记录单", 20)
    _line(pdf, "Statement of social insurance rights", 11, color=GREY)
    _line(pdf, f"{PLATFORM[0]}  {PLATFORM[1]}", 9, color=GREY, gap=3)
    _line(pdf, f"姓名 Name：{holder}    社会保障号码 Number：{archive.id_number_masked}", 11)
    _line(pdf, f"出具日期 Issued：{issued.isoformat()}    数据截至 As of：{archive.as_of.isoformat()}", 10, color=GREY, gap=3)

    counted = archive.years_counted
    account = archive.personal_account
    _heading(pdf, "权益汇总", "Summary")
    _line(pdf, f"累计缴费月数 Contribution months：{archive.contribution_months}（{counted['years']} 年 years "
               f"{counted['months']} 个月 months）", 10.5)
    _line(pdf, f"视同缴费月数 Deemed months：{archive.deemed_months}", 10.5)
    _line(pdf, f"缴费基数合计 Bases in total：{yuan(archive.base_sum_fen)} 元 yuan", 10.5)
    if account.at_retirement_fen is not None:
        _line(pdf, f"退休时个人账户 Personal account at retirement：{yuan(account.at_retirement_fen)} 元 yuan", 10.5)
        _line(pdf, f"养老金已支取 Drawn by the pension：{yuan(account.drawn_by_pension_fen)} 元 yuan", 10.5)
        _line(pdf, f"个人账户剩余 Remaining：{yuan(account.remaining_fen)} 元 yuan", 10.5)
    else:
        _line(pdf, f"个人账户余额 Personal account balance：{yuan(account.balance_fen)} 元 yuan", 10.5)
    if archive.pension is not None:
        _line(pdf, f"基本养老金 Pension：{yuan(archive.pension.monthly_fen)} 元/月 yuan a month，"
                   f"{archive.pension.retire_date.isoformat()} 起 from，{archive.pension.province_name}", 10.5)
    pdf.ln(2)

    _heading(pdf, "各省缴费月数", "Months by province")
    _table(pdf, ("省份 Province", "缴费月数 Months", "视同 Deemed", "基数合计 Bases (yuan)"),
           [(p.province_name, str(p.months), str(p.deemed_months), yuan(p.base_sum_fen)) for p in archive.provinces],
           (40, 20, 18, 22))

    _heading(pdf, "逐年缴费基数", "Bases by year")
    _table(pdf, ("年度 Year", "省份 Province", "类别 Kind", "月数 Months", "基数合计 Bases (yuan)", "单位 Employers"),
           [(str(y.year), y.province_name, KINDS.get(y.kind, y.kind), str(y.months), yuan(y.base_sum_fen),
             "、".join(y.employers)) for y in archive.years], (11, 17, 15, 10, 17, 30))

    _heading(pdf, "个人账户逐年记录", "Personal account by year (yuan)")
    _table(pdf, ("年度 Year", "年初 Opening", "记入 Credited", "利息 Interest", "养老金支取 Drawn", "年末 Closing"),
           [(str(y.year), yuan(y.opening_fen), yuan(y.contributions_fen), yuan(y.interest_fen), yuan(y.drawn_fen),
             yuan(y.closing_fen)) for y in account.years], (12, 18, 18, 16, 18, 18))

    if archive.insurances:
        _heading(pdf, "参保记录", "Insurances")
        _table(pdf, ("险种 Insurance", "地区 Region", "单位 Employer", "起 From", "止 To"),
               [(SCHEMES.get(i.scheme, i.scheme), i.region_code, i.employer_name or "灵活就业 flexible",
                 i.start_date.isoformat(), i.end_date.isoformat() if i.end_date else "—") for i in archive.insurances],
               (22, 14, 30, 15, 15))
    if archive.transfers or archive.temporary_accounts:
        _heading(pdf, "转移接续与临时账户", "Transfers and temporary accounts")
        for t in archive.transfers:
            _line(pdf, f"{t['from_province']} → {t['to_province']}  {t['step_zh']} {t['step_en']}  "
                       f"{t['months_counted']} 个月 months  {yuan(t['total_fen'])} 元 yuan  ({t['applied_on']})", 9.5)
        for a in archive.temporary_accounts:
            _line(pdf, f"临时账户 temporary account {a['province']}（关系在 relationship in {a['relationship_province']}）"
                       f" {a['opened_on']} – {a['closed_on'] or ''}", 9.5)
        pdf.ln(2)
    if archive.claims:
        _heading(pdf, "其他待遇", "Other benefits")
        for c in archive.claims:
            _line(pdf, f"{CLAIMS[c.kind]}  {c.on.isoformat()}  {yuan(c.amount_fen)} 元 yuan  {c.detail}", 9.5)
        pdf.ln(2)
    if archive.omitted:
        _heading(pdf, "疑似漏缴月份", "Months that look omitted")
        for o in archive.omitted:
            _line(pdf, f"{o.province_name} {o.first_period}–{o.last_period}（{o.months} 个月 months）{o.reason} / {o.reason_en}",
                  9.5)
        pdf.ln(2)

    _verification(pdf, archive)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, size: float, *, color: tuple[int, int, int] = INK, gap: float = 0) -> None:
    pdf.set_font(FAMILY, size=size)
    pdf.set_text_color(*color)
    pdf.multi_cell(pdf.epw, size * 0.55, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if gap:
        pdf.ln(gap)


def _heading(pdf: FPDF, zh: str, en: str) -> None:
    _line(pdf, f"{zh}  {en}", 13, gap=1)


def _table(pdf: FPDF, headings: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
    if not rows:
        _line(pdf, "无记录 none", 9.5, color=GREY, gap=2)
        return
    pdf.set_font(FAMILY, size=8.5)
    pdf.set_text_color(*INK)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5, first_row_as_headings=True,
                   headings_style=FontFace(color=INK, fill_color=(236, 240, 245))) as table:
        for row in (headings, *rows):
            cells = table.row()
            for value in row:
                cells.cell(value)
    pdf.ln(3)


def _verification(pdf: FPDF, archive: PersonArchiveRead) -> None:
    """The code, the digest and where to check them, with the seal beside them."""
    if pdf.will_page_break(48):
        pdf.add_page()
    top = pdf.get_y() + 2
    pdf.set_y(top)
    _line(pdf, "验证 Verification", 13, gap=1)
    pdf.set_x(pdf.l_margin)
    width = pdf.epw - 50
    for text, size in ((f"验证码 Code：{archive.verification_code}", 10.5),
                       (f"数据摘要 Figures digest (SHA-256)：{archive.figures_digest}", 8),
                       ("查验 Verify：GET /api/v1/statements/verify?code=验证码 — 真实且数据与账本一致时答复 genuine / "
                        "figures_match（只显示姓名首字、出具日期和合计，不显示身份证号码）", 8)):
        pdf.set_font(FAMILY, size=size)
        pdf.set_text_color(*(INK if size > 9 else GREY))
        pdf.multi_cell(width, size * 0.6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _seal(pdf, pdf.l_margin + pdf.epw - 22, top + 22, 20)


def _seal(pdf: FPDF, cx: float, cy: float, radius: float) -> None:
    """The platform's red round seal: a double ring, a five-pointed star, its name along the top arc and the
    seal's purpose below the star — vector strokes, so it prints sharp and needs no image file."""
    pdf.set_draw_color(*RED)
    pdf.set_fill_color(*RED)
    pdf.set_text_color(*RED)
    pdf.set_line_width(1.1)
    pdf.circle(cx, cy, radius)  # fpdf2 2.8: the centre
    pdf.set_line_width(0.3)
    pdf.circle(cx, cy, radius - 1.4)
    pdf.star(cx, cy, radius * 0.13, radius * 0.33, 5, rotate_degrees=36, style="F")
    size = 9
    pdf.set_font(FAMILY, size=size)
    sweep = 220  # degrees of the arc the name takes
    step = sweep / (len(SEAL_TEXT) - 1)
    for k, char in enumerate(SEAL_TEXT):
        angle = sweep / 2 - k * step  # counter-clockwise from the top
        with pdf.rotation(angle, x=cx, y=cy):
            pdf.text(cx - pdf.get_string_width(char) / 2, cy - radius + 2.6 + size * 0.35, char)
    pdf.set_font(FAMILY, size=6.5)
    pdf.text(cx - pdf.get_string_width(SEAL_CENTRE) / 2, cy + radius * 0.55, SEAL_CENTRE)
    pdf.set_draw_color(*INK)
    pdf.set_text_color(*INK)
