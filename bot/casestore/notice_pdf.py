"""The 信用修复告知书 as a PDF (fpdf2), wording from guides/messages.yml (`notice.*`).

Font: fpdf2 embeds TrueType outlines. Debian's fonts-noto-cjk ships OpenType/CFF collections
(NotoSansCJK-*.ttc) which fpdf2 embeds with a broken text layer (every character extracts
with a NUL before it), so the default is WenQuanYi Micro Hei from `fonts-wqy-microhei`
(TrueType, all of GB 18030's common characters, digits included); tests/system/services.sh
installs it. CASESTORE_NOTICE_FONT names another TrueType CJK file.
"""

from __future__ import annotations

import io
from pathlib import Path

from bot.casestore.errors import ApiError
from bot.texts import t

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def find_font(configured: str = "") -> str:
    for path in ((configured,) if configured else FONT_CANDIDATES):
        if path and Path(path).is_file():
            return path
    raise ApiError(503, "font_missing",
                   "告知书字体未安装（需要 fonts-wqy-microhei，或用 CASESTORE_NOTICE_FONT 指定中文TrueType字体）。")


def _zh(iso: str | None) -> str:
    if not iso:
        return ""
    y, m, d = (int(x) for x in iso[:10].split("-"))
    return f"{y}年{m}月{d}日"


def lines(view: dict, guide, link: str | None) -> list[tuple[str, str]]:
    """The document as (style, text) lines: style is title | small | head | body."""
    out: list[tuple[str, str]] = [("title", t("notice.title")), ("small", t("notice.number", notice_no=view["notice_no"]))]
    out.append(("head", t("notice.to", subject_name=view["subject"]["name"], uscc=view["subject"]["uscc"])))
    out.append(("body", t("notice.intro", decision_date=_zh(view["decision_date"]),
                          decision_number=view["decision_number"], kind_name=_kind_word(view))))
    status = view["status_at_decision"]
    if status == "not_needed":
        out.append(("body", t("notice.not_needed", note="；".join(view["notes"]) or "无需申请信用修复。")))
    elif view["auto_end_date"]:
        out.append(("body", t("notice.published", auto_end_date=_zh(view["auto_end_date"]))))
    else:
        out.append(("body", t("notice.published_no_end")))
    if status != "not_needed":
        if status == "not_repairable":
            out.append(("body", t("notice.earliest_none")))
        elif view["earliest_date"]:
            out.append(("body", t("notice.earliest", earliest_date=_zh(view["earliest_date"]))))
        else:
            out.append(("body", t("notice.earliest_after_correction")))
        conditions = list(view["conditions"])
        if conditions:
            out.append(("head", t("notice.conditions")))
            out += [("body", f"{n}. {c}") for n, c in enumerate(conditions, 1)]
        if view["materials"]:
            out.append(("head", t("notice.materials")))
            for n, m in enumerate(view["materials"], 1):
                note = (t("notice.material_generated") if m.get("generated")
                        else t("notice.material_fetched") if m.get("fetched_by_department")
                        else f"（{m['conditional']}）" if m.get("conditional") else "")
                out.append(("body", f"{n}. {m['name']}{note}"))
        if view["channels"]:
            out.append(("head", t("notice.channels")))
            out += [("body", f"{n}. {c}") for n, c in enumerate(view["channels"], 1)]
        if view["decision_limit_working_days"]:
            out.append(("body", t("notice.limit", working_days=view["decision_limit_working_days"])))
    out.append(("body", guide.service.get("fee", "") + guide.service.get("paid_agent_warning", "")))
    if view["basis"]:
        out.append(("small", t("notice.basis") + "；".join(view["basis"])))
    if view["unverified_rules"]:
        out.append(("small", t("notice.unverified")))
    if link:
        out.append(("small", t("notice.qr")))
        out.append(("small", t("notice.qr_url", url=link)))
    out.append(("right", t("notice.issuer", department_name=view["department_name"])))
    out.append(("right", t("notice.issued_on", date=_zh(view["decision_date"]))))
    return out


def _kind_word(view: dict) -> str:
    return {"penalty": "行政处罚", "abnormal_list": "列入经营异常名录", "serious_list": "列入严重失信主体名单"}.get(
        view["kind"], view.get("kind_name") or "")


def render(view: dict, guide, link: str | None, font: str = "") -> bytes:
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    path = find_font(font)
    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_title(t("notice.title"))
    pdf.set_creator("四川信用修复一件事助手")
    pdf.add_font("cjk", fname=path)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    qr_size = 32
    for style, text in lines(view, guide, link):
        if not text:
            continue
        if style == "title":
            pdf.set_font("cjk", size=20)
            pdf.cell(width, 14, text, align="C", new_x="LMARGIN", new_y="NEXT")
        elif style == "right":
            pdf.set_font("cjk", size=11)
            pdf.cell(width, 7, text, align="R", new_x="LMARGIN", new_y="NEXT")
        else:
            size = {"small": 9, "head": 11.5, "body": 11}[style]
            pdf.set_font("cjk", size=size)
            pdf.multi_cell(width, size * 0.6, text, wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
    if link:
        import segno

        buf = io.BytesIO()
        segno.make(link, error="m").save(buf, kind="png", scale=6, border=2)
        buf.seek(0)
        if pdf.get_y() + qr_size > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.image(buf, x=pdf.l_margin, y=pdf.get_y() + 2, w=qr_size, h=qr_size)
    return bytes(pdf.output())
