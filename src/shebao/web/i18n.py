"""User-facing text: Chinese first, English available (?lang=en)."""

from __future__ import annotations

from shebao.benefits.rules import AWARD_STATUS_NAMES, GROUP_NAMES
from shebao.benefits.schemas import ASSUMPTION_NAMES, METHOD_NAMES

TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "社保 · 全国统一社会保障信息平台", "en": "shebao · national social security information platform"},
    "tagline": {"zh": "一人一号、一人一卡、一人一账户、全国一张网",
                "en": "One person, one number, one card, one account, one network"},
    "intro": {"zh": "shebao 为参保人、参保单位、五级经办机构、基金管理者和合作银行提供统一的社会保障信息服务。"
                    "以下为演示省份的合成数据，均非真实个人信息。",
              "en": "shebao serves insured people, employers, agency staff at five levels of government, fund managers "
                    "and banks. What you see is a synthetic demo province: no real person's data."},
    "holdings": {"zh": "平台现有数据", "en": "What the platform holds"},
    "persons": {"zh": "登记人员", "en": "persons"},
    "employers": {"zh": "参保单位", "en": "employers"},
    "regions": {"zh": "现行行政区划（省市县）", "en": "current regions (province, city, county)"},
    "streets": {"zh": "街道乡镇", "en": "streets and townships"},
    "cards": {"zh": "有效社保卡（含制卡中）", "en": "valid cards (some still being made)"},
    "by_county": {"zh": "各区县登记人数", "en": "Persons by county of residence"},
    "accounts": {"zh": "演示账号", "en": "Demo accounts"},
    "accounts_hint": {"zh": "用以下账号在 API 文档中登录（POST /api/v1/auth/token），再点击 Authorize 填入令牌。",
                      "en": "Log in with these in the API docs (POST /api/v1/auth/token), then paste the token into Authorize."},
    "username": {"zh": "用户名", "en": "username"},
    "password": {"zh": "密码", "en": "password"},
    "otp": {"zh": "动态口令（验证器应用显示的六位数字）", "en": "one-time code (the six digits your authenticator app shows)"},
    "role": {"zh": "角色", "en": "role"},
    "can_do": {"zh": "可以做什么", "en": "what it may do"},
    "links": {"zh": "接口与文档", "en": "API and documents"},
    "api_docs": {"zh": "API 文档（OpenAPI）", "en": "API documentation (OpenAPI)"},
    "health": {"zh": "运行状态", "en": "health"},
    "province_page": {"zh": "演示省份区划（JSON）", "en": "demo province regions (JSON)"},
    "no_data": {"zh": "尚无数据。运行 make run 会自动生成演示省份。", "en": "No data yet. make run seeds the demo province."},
    "switch": {"zh": "English", "en": "中文"},
    "login": {"zh": "登录", "en": "Log in"},
    "logout": {"zh": "退出", "en": "Log out"},
    "login_title": {"zh": "参保人登录", "en": "Log in as an insured person"},
    "login_hint": {"zh": "演示账号：demo.person / demo-person-2024", "en": "Demo account: demo.person / demo-person-2024"},
    "my_record": {"zh": "我的社保档案", "en": "My social insurance record"},
    "counted": {"zh": "累计缴费年限", "en": "Contribution time counted"},
    "years": {"zh": "年", "en": "years"},
    "months": {"zh": "个月", "en": "months"},
    "paid_months": {"zh": "已缴费月数", "en": "paid months"},
    "interrupted": {"zh": "断缴月份", "en": "Months without a paid contribution"},
    "no_interruption": {"zh": "没有断缴", "en": "No interruption"},
    "account": {"zh": "个人账户（元）", "en": "Personal account (yuan)"},
    "year": {"zh": "年度", "en": "year"},
    "opening": {"zh": "年初余额", "en": "opening"},
    "contributions": {"zh": "当年记账", "en": "contributions"},
    "interest": {"zh": "当年利息", "en": "interest"},
    "closing": {"zh": "年末余额", "en": "closing"},
    "history": {"zh": "近两年缴费记录", "en": "Contributions, last two years"},
    "period": {"zh": "缴费月份", "en": "month"},
    "payer": {"zh": "缴费单位", "en": "paid through"},
    "base": {"zh": "缴费基数（元）", "en": "base (yuan)"},
    "to_account": {"zh": "记入个人账户（元）", "en": "to the account (yuan)"},
    "paid": {"zh": "已到账", "en": "paid"},
    "unpaid": {"zh": "未缴", "en": "unpaid"},
    "ecard": {"zh": "电子社保卡", "en": "Electronic card"},
    "ecard_hint": {"zh": "出示此二维码办理业务。二维码每分钟自动更新，截图无效。",
                   "en": "Show this code to be served. It renews itself every minute; a screenshot will not work."},
    "ecard_open": {"zh": "在本设备开通电子社保卡", "en": "Open the electronic card on this device"},
    "ecard_open_hint": {"zh": "请再次输入登录密码。在新设备开通后，原设备上的电子社保卡即停止使用。",
                        "en": "Type your login password again. Opening it here stops it on any other device."},
    "ecard_blocked": {"zh": "社保卡当前不能使用（如已挂失），电子社保卡同时停用。", "en": "Your card cannot be used now (reported lost?), so neither can the electronic card."},
    "seconds_left": {"zh": "秒后更新", "en": "seconds until it renews"},
    "only_insured": {"zh": "此页面供参保人查看本人档案；经办人员请使用 API 文档。",
                     "en": "This page shows an insured person's own record; staff use the API documentation."},
    "my_pension": {"zh": "我的养老金", "en": "My pension"},
    "pension_payroll": {"zh": "养老金按月发放（元）", "en": "Pensions paid each month (yuan)"},
    "receivers_paying": {"zh": "正常领取养老金人数", "en": "receivers being paid"},
    "receivers_suspended": {"zh": "暂停发放人数", "en": "payments suspended"},
    "monthly_pension": {"zh": "每月养老金（元）", "en": "monthly pension (yuan)"},
    "payment_status": {"zh": "发放状态", "en": "payment"},
    "certification_due": {"zh": "下次资格认证截止", "en": "next certification due"},
    "suspended_hint": {"zh": "因未按时完成领取资格认证，养老金暂停发放。完成认证后恢复，并补发暂停期间的待遇。",
                       "en": "Payment is suspended because the yearly certification is overdue. Certify and it resumes, "
                             "with the months held paid."},
    "retired_on": {"zh": "退休日期", "en": "retired on"},
    "paid_from": {"zh": "本平台起发月份", "en": "paid on the platform from"},
    "basic": {"zh": "基础养老金", "en": "basic"},
    "account_part": {"zh": "个人账户养老金", "en": "personal account"},
    "transitional": {"zh": "过渡性养老金", "en": "transitional"},
    "payments": {"zh": "发放记录（元）", "en": "Payments (yuan)"},
    "for_month": {"zh": "待遇月份", "en": "for month"},
    "amount": {"zh": "金额（元）", "en": "amount (yuan)"},
    "state": {"zh": "状态", "en": "state"},
    "kind_adjustment": {"zh": "调待补发", "en": "adjustment arrears"},
    "line_paid": {"zh": "已发放", "en": "paid"},
    "line_held": {"zh": "暂缓发放", "en": "held"},
    "line_due": {"zh": "待发放", "en": "due"},
    "line_cancelled": {"zh": "已取消", "en": "cancelled"},
    "hold_deceased": {"zh": "已登记死亡", "en": "death recorded"},
    "hold_stopped": {"zh": "待遇终止", "en": "stopped"},
    "hold_suspended": {"zh": "暂停发放", "en": "suspended"},
    "hold_certification_lapsed": {"zh": "资格认证逾期", "en": "certification overdue"},
    "hold_no_card": {"zh": "无有效社保卡", "en": "no valid card"},
    "hold_card_frozen": {"zh": "社保卡挂失", "en": "card frozen"},
    "hold_card_not_active": {"zh": "社保卡金融功能未启用", "en": "card not active"},
    "hold_bank_returned": {"zh": "银行退回，待更正账户后重发", "en": "returned by the bank; paid again once the account is fixed"},
    "how_computed": {"zh": "养老金核定说明", "en": "How your pension was worked out"},
    "download_letter": {"zh": "下载核定说明 PDF", "en": "Download this explanation (PDF)"},
    "source_label": {"zh": "来源：", "en": "Source: "},
    "calc_details": {"zh": "计算明细（供经办人员核对）", "en": "Calculation details (for staff)"},
    "todays_money": {"zh": "按今天的钱折算（元）", "en": "in today's money (yuan)"},
    "no_award_letter": {"zh": "您还没有核定的养老金，暂无核定说明可以下载。", "en": "You have no pension award yet, so there is no "
                        "explanation to download."},
    "letter_font_missing": {"zh": "暂时无法生成 PDF：服务器缺少中文字体。请联系经办机构，或直接查看网页上的核定说明。",
                            "en": "The PDF cannot be made now: the server lacks a Chinese font. Read the explanation on the "
                                  "pension page, or ask the agency."},
    "back_to_pension": {"zh": "返回我的养老金", "en": "Back to my pension"},
    "letter_footer": {"zh": "本说明根据您的养老金核定记录和当时有效的政策参数生成，仅供本人查阅。如有疑问，请联系参保地社会保险经办机构。",
                      "en": "Made from your pension award and the rules in force at the time, for you alone. Questions: ask "
                            "the social insurance agency where you are insured."},
    "adjustments": {"zh": "历年调整", "en": "Adjustments"},
    "certifications": {"zh": "领取资格认证记录", "en": "Certifications"},
    "no_certification": {"zh": "尚无认证记录", "en": "No certification yet"},
    "not_retired": {"zh": "您尚未领取养老金。可以根据本人缴费记录测算将来的养老金。",
                    "en": "You do not draw a pension yet. Estimate your future pension from your own record."},
    "estimator": {"zh": "养老金测算", "en": "Pension estimator"},
    "category": {"zh": "人员类别", "en": "category"},
    "retire_date": {"zh": "退休日期（空则为法定日期）", "en": "retirement date (empty: the statutory one)"},
    "estimate": {"zh": "测算", "en": "Estimate"},
    "estimated_monthly": {"zh": "预计每月养老金（元）", "en": "estimated monthly pension (yuan)"},
    "retirement_age": {"zh": "退休年龄", "en": "retirement age"},
}

# Names of enumerated values come from the one table beside each enum, never a copy here.
TEXT |= {f"status_{status}": {"zh": zh, "en": en} for status, (zh, en) in AWARD_STATUS_NAMES.items()}
TEXT |= {f"method_{method}": {"zh": zh, "en": en} for method, (zh, en) in METHOD_NAMES.items()}
TEXT |= {f"category_{group}": {"zh": zh, "en": en} for group, (zh, en) in GROUP_NAMES.items()}
TEXT |= {name: {"zh": zh, "en": en} for name, (zh, en) in ASSUMPTION_NAMES.items()}


def language(requested: str | None) -> str:
    return "en" if requested == "en" else "zh"


def translator(lang: str):  # noqa: ANN201 - a callable for templates
    def t(key: str) -> str:
        return TEXT[key][lang]

    return t
