"""User-facing text: Chinese first, English available (?lang=en)."""

from __future__ import annotations

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
}


def language(requested: str | None) -> str:
    return "en" if requested == "en" else "zh"


def translator(lang: str):  # noqa: ANN201 - a callable for templates
    def t(key: str) -> str:
        return TEXT[key][lang]

    return t
