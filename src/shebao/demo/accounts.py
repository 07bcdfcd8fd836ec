"""The demo accounts that `shebao demo seed` creates and the front page names.

Demo only: these passwords are published on the front page of a demo database.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from shebao.accounts.models import User
from shebao.accounts.service import principal_named
from shebao.core.errors import NotFound
from shebao.core.security import Principal


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    label_zh: str
    label_en: str
    scope_zh: str
    scope_en: str


DEMO_ACCOUNTS = (
    DemoAccount("demo.person", "demo-person-2024", "insured", "参保人", "insured person",
                "查看本人档案、修改联系电话", "read their own record, change their phone"),
    DemoAccount("demo.retiree", "demo-retiree-2024", "insured", "退休人员", "retiree",
                "查看本人养老金、发放记录和资格认证", "read their own pension, payments and certifications"),
    DemoAccount("demo.laidoff", "demo-laidoff-2024", "insured", "被裁员职工", "laid-off worker",
                "一键申领失业保险金、查看申请进度", "apply for unemployment benefit in one step, follow the application"),
    DemoAccount("demo.employer", "demo-employer-2024", "employer", "参保单位", "employer",
                "增减员、申报缴费基数、查看账单和欠费", "hire and let go, declare bases, see bills and arrears"),
    DemoAccount("demo.county", "demo-county-2024", "staff", "区县经办人员", "county clerk",
                "登记、查询、变更本区县人员和单位", "register, find and change people and employers of one county"),
    DemoAccount("demo.province", "demo-province-2024", "staff", "省级管理人员", "provincial manager",
                "查询全省人员和单位", "see people and employers of the whole province"),
    DemoAccount("demo.auditor", "demo-auditor-2024", "auditor", "审计人员", "auditor",
                "查看并校验审计日志", "read and verify the audit chain"),
    DemoAccount("admin", "demo-admin-2024", "admin", "系统管理员", "administrator",
                "创建用户、全国范围", "create users; the whole country"),
)


def existing_demo_accounts(*, session: Session) -> list[DemoAccount]:
    """The demo accounts present in this database (none in a real deployment)."""
    names = set(session.scalars(select(User.username).where(User.username.in_([a.username for a in DEMO_ACCOUNTS]))))
    return [a for a in DEMO_ACCOUNTS if a.username in names]


def demo_principals(*, session: Session) -> dict[str, Principal]:
    """Each present demo account as the principal it logs in as, so the front page can show where each one goes."""
    principals = {}
    for account in existing_demo_accounts(session=session):
        try:
            principals[account.username] = principal_named(session=session, username=account.username)
        except NotFound:  # an account switched off shows no pages
            continue
    return principals
