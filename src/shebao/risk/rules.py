"""The risk rule catalogue (基金监督规则目录): what each rule looks for, how grave it is, when it runs, on whom, under
which law, and the parameters it reads. Data only — the screening SQL and the in-process guards read it (issue #15).

Pure: no database, no clock, no files. A rule's thresholds are parameters in dated YAML (`policy/parameters/national/
risk.yaml` under `risk.*`, and a few paths other contexts own); `risk/catalogue.py` lists them with their values in
force. A legal basis quotes the text actually read, and where it was read; a text read only on another site than the
issuer's says "(restatement: URL; verify)" as everywhere in the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shebao.core.errors import NotFound, given_zh


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class When(StrEnum):
    IN_PROCESS = "in_process"  # inside the use case, blocking it before anything is written
    AFTER_THE_FACT = "after_the_fact"  # set-based screening over the whole fund, opening cases
    BOTH = "both"


class RuleSubject(StrEnum):
    """Whom a finding concerns: a case is opened about it, and no clerk works a case about themselves."""

    PERSON = "person"
    EMPLOYER = "employer"
    STAFF = "staff"
    REGION = "region"


SEVERITY_ORDER = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)
SEVERITY_NAMES = {Severity.LOW: ("低", "low"), Severity.MEDIUM: ("中", "medium"), Severity.HIGH: ("高", "high"),
                  Severity.CRITICAL: ("严重", "critical")}
WHEN_NAMES = {When.IN_PROCESS: ("办理时拦截", "in process"), When.AFTER_THE_FACT: ("事后筛查", "after the fact"),
              When.BOTH: ("办理时拦截并事后筛查", "in process and after the fact")}
SUBJECT_NAMES = {RuleSubject.PERSON: ("参保人员", "person"), RuleSubject.EMPLOYER: ("参保单位", "employer"),
                 RuleSubject.STAFF: ("经办人员", "staff member"), RuleSubject.REGION: ("地区", "region")}

# Read by every rule: a finding's money at stake raises its severity (`finding_severity`).
COMMON_PARAMETERS = ("risk.severity.high_amount_fen", "risk.severity.critical_amount_fen")


@dataclass(frozen=True)
class LegalBasis:
    document: str  # 《中华人民共和国社会保险法》
    article: str  # 第八十八条
    text_zh: str  # the words read (a quotation, or an excerpt of it)
    source: str  # where it was read; "(restatement: URL; verify)" when not on the issuer's own site


@dataclass(frozen=True)
class Rule:
    id: str  # R01_paid_after_death: stable, cited by findings, cases and the audit log
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    severity: Severity
    when: When
    subject: RuleSubject
    parameters: tuple[str, ...]  # the parameter paths it reads (besides COMMON_PARAMETERS)
    legal_basis: tuple[LegalBasis, ...]

    @property
    def in_process(self) -> bool:
        return self.when in (When.IN_PROCESS, When.BOTH)

    @property
    def after_the_fact(self) -> bool:
        return self.when in (When.AFTER_THE_FACT, When.BOTH)


# ---------------------------------------------------------------- the texts read

_OBSIDIAN_SIL = ("https://publish.obsidian.md/wanyulawyer/2.+%E5%85%B6%E4%BB%96%E6%B3%95%E5%BE%8B%E6%B3%95%E8%A7%84%E5%BA%93/"
                 "%E5%B7%B2%E8%A2%AB%E4%BF%AE%E6%94%B9%E6%B3%95%E5%BE%8B%E6%B3%95%E8%A7%84/%E6%B3%95%E5%BE%8B/"
                 "%E4%B8%AD%E5%8D%8E%E4%BA%BA%E6%B0%91%E5%85%B1%E5%92%8C%E5%9B%BD%E7%A4%BE%E4%BC%9A%E4%BF%9D%E9%99%A9%E6%B3%95")
_SIL = "《中华人民共和国社会保险法》"
_AUDIT_2024 = "《国务院关于2024年度中央预算执行和其他财政收支的审计工作报告》（审计署，2025-06-24 公布）"
_REPORTING = "《社会保险基金监督举报工作管理办法》（人力资源社会保障部令第49号，2023-05-01 施行）"
_HANDLING = "《社会保险经办条例》（国务院令第765号，2023-12-01 施行）"

SIL_6 = LegalBasis(_SIL, "第六条", "国家对社会保险基金实行严格监管。国务院和省、自治区、直辖市人民政府建立健全社会保险基金监督管理制度，"
                   "保障社会保险基金安全、有效运行。",
                   f"(restatement of the 2010 text, unchanged by the 2018 amendment as far as read: {_OBSIDIAN_SIL}; verify)")
SIL_16 = LegalBasis(_SIL, "第十六条", "参加基本养老保险的个人，达到法定退休年龄时累计缴费满十五年的，按月领取基本养老金。",
                    "(restatement: https://huggingface.co/datasets/leo009/law-data/viewer/default/train?p=99, quoting the "
                    "2018 text; verify)")
SIL_51 = LegalBasis(_SIL, "第五十一条", "失业人员在领取失业保险金期间有下列情形之一的，停止领取失业保险金，并同时停止享受其他失业保险"
                    "待遇：（一）重新就业的；（二）应征服兵役的；（三）移居境外的；（四）享受基本养老保险待遇的；……",
                    "(restatement: http://shebao.southmoney.com/shiye/lingqu/202102/83505_2.html and 新华社 via "
                    "http://m.shockplant.com/zhuanti/2013-12/19/content_13183937_8.htm; verify)")
SIL_88 = LegalBasis(_SIL, "第八十八条", "以欺诈、伪造证明材料或者其他手段骗取社会保险待遇的，由社会保险行政部门责令退回骗取的社会保险金，"
                    "处骗取金额二倍以上五倍以下的罚款。",
                    "(restatement: http://govwq.com/article/5461.html, whose commentary names forged ages, special-work "
                    "years, files, employment and wage tables among the means; verify)")
HANDLING_26 = LegalBasis(_HANDLING, "第二十六条", "社会保险经办机构应当通过信息比对、自助认证等方式，核验社会保险待遇享受资格。……"
                         "对涉嫌丧失社会保险待遇享受资格后继续享受待遇的，社会保险经办机构应当调查核实。经调查确认不符合社会保险待遇"
                         "享受资格的，停止发放待遇。",
                         "(restatement: 华龙网 https://news.cqnews.net/1/detail/1214166647780167680/web/"
                         "content_1214166647780167680.html; verify)")
SUPERVISION_2 = LegalBasis("《社会保险基金行政监督办法》（人力资源社会保障部令第48号，2022-03-18 施行）", "第二条",
                           "本办法所称社会保险基金行政监督，是指人力资源社会保障行政部门对基本养老保险基金、工伤保险基金、失业保险基金"
                           "等人力资源社会保障部门管理的社会保险基金收支、管理情况进行的监督。",
                           "(restatement: 北京市人民政府网站 https://www.beijing.gov.cn/gate/big5/www.beijing.gov.cn/zhengce/"
                           "zhengcefagui/202204/t20220420_2683387.html; the articles listing what is supervised were not read; "
                           "verify)")
REPORTING_PARTIES = LegalBasis(_REPORTING, "第七条（条号待核）", "（一）以提供虚假证明材料等手段虚构社会保险参保条件、违规补缴的；"
                               "（二）伪造、变造有关证件、档案、材料，骗取社会保险基金的；（三）组织或者协助他人以伪造、变造档案、材料等"
                               "手段骗取参保补缴、提前退休资格或者违规申领社会保险待遇的；（四）个人丧失社会保险待遇享受资格后，本人或者"
                               "相关受益人不按规定履行告知义务、隐瞒事实违规享受社会保险待遇的；……",
                               "(restatement: http://nv.xiaomy.net/forum.php?goto=lastpost&mod=redirect&tid=16945, which lists "
                               "the items without their article number; verify)")
REPORTING_AGENCIES = LegalBasis(_REPORTING, "第九条", "社会保险经办机构及其工作人员涉嫌有下列情形之一的，任何组织或者个人可以依照"
                                "本办法举报：（一）隐匿、转移、侵占、挪用、截留社会保险基金的；（二）违规审核、审批社会保险申报材料，违规办理"
                                "参保、补缴、关系转移、待遇核定、待遇资格认证等，违规发放社会保险待遇的；……",
                                "(restatement: https://www.360docs.net/doc/2510792154.html; verify)")
AUDIT_FILES = LegalBasis(_AUDIT_2024, "养老保险基金审计情况", "2.83万名职工通过提供虚假病历或篡改档案提前退休等方式，违规领取养老待遇"
                         "5.19亿元，如山西蒲县疾控中心一职工的人事档案有14处涂改，“1岁工作、22岁退休”仍层层过审后“退休”。",
                         "(restatement: http://www.hkcw.cn/article/yJkJOZEsRL.shtml and "
                         "https://www.anesthesia.org.cn/21986.html; verify against 审计署's own text)")
AUDIT_AGENCIES = LegalBasis(_AUDIT_2024, "养老保险基金审计情况", "16省90家中介2009年至2024年，通过伪造劳动合同、仲裁书等方式，帮助"
                            "2万多名条件不符人员违规参保，以基金损失为代价，换取中介或个人谋利。",
                            "(restatement: http://www.senqingzn.com/dy/article/K30DJC0F0550B6IS.html; verify against "
                            "审计署's own text)")
PRISON_2001 = LegalBasis("劳社厅函〔2001〕44号 劳动和社会保障部办公厅关于退休人员被判刑后有关养老保险待遇问题的复函", "正文",
                         "退休人员被判处拘役、有期徒刑及以上刑罚或被劳动教养的，服刑或劳动教养期间停发基本养老金，服刑或劳动教养期满后"
                         "可以按服刑或劳动教养前的标准继续发给基本养老金，并参加以后的基本养老金调整。……退休人员被判处管制、有期徒刑"
                         "宣告缓刑和监外执行的，可以继续发给基本养老金，但不参与基本养老金调整。",
                         "(restatement: 中国法院网 https://chinacourt.org/law/detail/2001/03/id/39906.shtml; verify)")
PRISON_2003 = LegalBasis("劳社厅函〔2003〕315号 关于对劳社厅函〔2001〕44号补充说明的函", "正文",
                         "退休人员被判刑后暂予监外执行、假释期间，可以按被判刑前的标准继续发给基本养老金，但不参与基本养老金调整。"
                         "被撤销假释继续服刑的，从撤销之月起停止发放基本养老金。",
                         "(restatement: http://www.360doc.com/content/23/0919/14/48471523_1097085503.shtml; verify)")
BIRTH_DATE_1999 = LegalBasis("劳社部发〔1999〕8号 关于制止和纠正违反国家规定办理企业职工提前退休有关问题的通知", "二（二）",
                             "对职工出生时间的认定，实行居民身份证与职工档案相结合的办法。当本人身份证与档案记载的出生时间不一致时，"
                             "以本人档案最先记载的出生时间为准。要加强对居民身份证和职工档案的管理，严禁随意更改职工出生时间和编造档案。",
                             "(restatement: http://m.hi-and-hello.com/cn/lwzx/8C20201910114134.html; verify)")
RETIREMENT_1978 = LegalBasis("国发〔1978〕104号 国务院关于工人退休、退职的暂行办法", "第一条",
                             "（一）男年满六十周岁，女年满五十周岁，连续工龄满十年的。（二）从事井下、高空、高温、特别繁重体力劳动或者"
                             "其他有害身体健康的工作，男年满五十五周岁、女年满四十五周岁，连续工龄满十年的；……",
                             "(restatement: https://m.huatuoyibo.cn/wenku/resad/N9d3JmVWGE; verify)")
SPECIAL_WORK_1978 = LegalBasis("关于贯彻执行《关于工人退休、退职的暂行办法》的若干具体问题的处理意见（1978-07-11）", "第六条",
                               "从事井下、高空、高温、特别繁重体力劳动和其他有害身体健康工作的工人，无论是现在从事这类工作或者曾经从事过"
                               "这类工作，都需要具备下列条件之一……（一）从事高空和特别繁重体力劳动工作累计满十年的；（二）从事井下、高温"
                               "工作累计满九年的；（三）从事其他有害身体健康工作满八年的。",
                               "(restatement: https://m.110ask.com/wenda/14613404279858915348.html; verify)")
RETIREMENT_2024 = LegalBasis("全国人民代表大会常务委员会关于实施渐进式延迟法定退休年龄的决定（2024，2025-01-01 施行）",
                             "决定及所附办法", "用五年时间，逐步将男职工的法定退休年龄从原六十周岁延迟至六十三周岁，将女职工的法定退休年龄"
                             "从原五十周岁、五十五周岁分别延迟至五十五周岁、五十八周岁。",
                             "(from memory of the decision, as retirement.yaml holds its figures; the text was not read here; "
                             "verify)")
MAKEUP_2019 = LegalBasis("人社厅发〔2019〕94号 人力资源社会保障部办公厅关于职工基本养老保险关系转移接续有关问题的补充通知", "一、二",
                         "对在部规5号实施之后发生的超过3年（含3年）的一次性缴纳养老保险费，由转出地按照部规5号有关规定向转入地提供相关"
                         "法律文书。相关法律文书是由人民法院、审计部门、实施劳动监察的行政部门或劳动人事争议仲裁委员会等部门在履行各自"
                         "法定职责过程中形成且产生于一次性缴纳养老保险费之前，不得通过事后补办的方式开具。",
                         "(restatement: https://guanchang.qwyd.net/caishuifagui/1571239441423065.html; verify)")
LABOUR_15 = LegalBasis("《中华人民共和国劳动法》", "第十五条", "禁止用人单位招用未满十六周岁的未成年人。文艺、体育和特种工艺单位招用"
                       "未满十六周岁的未成年人，必须遵守国家有关规定，并保障其接受义务教育的权利。",
                       "(restatement: 深圳市人力资源和社会保障局 https://hrss.sz.gov.cn/zmhd/cjwt/cjwt/ldgx/content/"
                       "post_1997558.html and http://uianet.net/dictionary/b15157726.html; verify)")
SCHEMES_2014 = LegalBasis("《城乡养老保险制度衔接暂行办法》（人社部发〔2014〕17号，文号待核）", "第八条",
                          "参保人员不得同时领取城镇职工养老保险和城乡居民养老保险待遇。对于同时领取城镇职工养老保险和城乡居民养老保险"
                          "待遇的，终止并解除城乡居民养老保险关系，除政府补贴外的个人账户余额退还本人，已领取的城乡居民养老保险基础养老金"
                          "应予以退还。",
                          "(restatement: http://uianet.net/dictionary/b16649556.html; verify)")
TRANSFER_2009 = LegalBasis("国办发〔2009〕66号 城镇企业职工基本养老保险关系转移接续暂行办法", "第二条（条号待核）",
                           "已经按国家规定领取基本养老保险待遇的人员，不再转移基本养老保险关系。",
                           "(restatement: 新华社 via http://lyrb.lyd.com.cn/html/2009-12/30/content_594886.htm; verify)")
CARD_2011 = LegalBasis("人社部发〔2011〕83号 关于社会保障卡加载金融功能的通知", "二",
                       "加载金融功能后的社会保障卡，作为持卡人享有社会保障和公共就业服务权益的电子凭证，具有信息记录、信息查询、业务办理"
                       "等社会保障卡基本功能的同时，可作为银行卡使用，具有现金存取、转账、消费等金融功能。",
                       "(restatement: http://shebao.southmoney.com/banli/shebaozhishi/202102/81344.html, which also names "
                       "人社部发〔2011〕47号 社会保障卡管理办法, not read; verify)")
CERTIFICATION_2018 = LegalBasis("人社厅发〔2018〕107号 关于印发领取社会保险待遇资格确认经办规程（暂行）的通知", "（正文未读）",
                                "人社建立与民政、卫生、公安、司法等部门信息共享机制。信息中心每月比对部门间共享的数据，将涉及养老待遇领取"
                                "资格变动的人员信息……经核实确认后停发待遇。",
                                "(restatement: 海安市人社局 2024 notice implementing it, via http://lyfhm.com/hasrsj/bmwj/"
                                "content/784dbd8e-1da5-4606-a591-9141958835a7.html; the quoted words are the notice's, not 107号's; "
                                "verify)")


# ---------------------------------------------------------------- the catalogue

_RETIREMENT_AGES = ("retirement.male.original_age_months", "retirement.female_cadre.original_age_months",
                    "retirement.female_worker.original_age_months", "retirement.male.target_age_months",
                    "retirement.female_cadre.target_age_months", "retirement.female_worker.target_age_months")
_SPECIAL_WORK = ("risk.special_work.male_min_age_months", "risk.special_work.female_min_age_months",
                 "risk.special_work.high_altitude_heavy_months", "risk.special_work.underground_high_temperature_months",
                 "risk.special_work.other_harmful_months")

CATALOGUE = (  # tuple[Rule, ...], in id order
    Rule("R01_paid_after_death", "死亡后仍发放待遇", "benefit paid after death",
         "领取人死亡（本系统的死亡记录，或与民政、公安、卫生健康部门死亡登记比对所得）后，仍为停发月份之后的月份发放养老金或其他"
         "待遇。死亡当月照发，自死亡后的停发月起多发的部分全部追回。",
         "A pension or other benefit paid for a month after the one from which it stops on death (the month of death is "
         "paid), the death known from our own record or from the comparison's death registries (civil affairs, police, "
         "health); every fen paid after it is an overpayment to recover. In process, payroll refuses a dead receiver.",
         Severity.CRITICAL, When.BOTH, RuleSubject.PERSON, ("pension.payment_stops_months_after_death",),
         (HANDLING_26, REPORTING_PARTIES, CERTIFICATION_2018, SIL_88)),
    Rule("R02_paid_during_sentence", "服刑期间仍发放养老金", "pension paid during a prison sentence",
         "退休人员被判处拘役、有期徒刑及以上刑罚，服刑期间（据法院、监狱部门的服刑人员名单）仍发放基本养老金。缓刑、管制、监外执行、"
         "假释期间照发，不列入。",
         "A basic pension paid for months in which the receiver served a custodial sentence (detention, fixed-term "
         "imprisonment or more), from the courts' and prisons' list; probation, public surveillance, serving outside "
         "prison and parole keep the pension and are not findings.",
         Severity.HIGH, When.AFTER_THE_FACT, RuleSubject.PERSON, (), (PRISON_2001, PRISON_2003, HANDLING_26)),
    Rule("R03_paid_by_two_provinces", "同一人在两省同时领取养老金", "one person paid a pension by two provinces",
         "同一人（按身份号码，含一人多号合并后的号码）同一月份在两个省份都领取职工基本养老金。",
         "The same person (by ID number, including numbers linked as one person) drawing an employee pension from two "
         "provinces for the same month.",
         Severity.CRITICAL, When.AFTER_THE_FACT, RuleSubject.PERSON, (), (TRANSFER_2009, SIL_88, REPORTING_PARTIES)),
    Rule("R04_exclusive_schemes_together", "同时领取互斥的两种待遇", "two benefits that exclude each other drawn together",
         "同一人同一月份同时领取职工基本养老金和城乡居民基本养老金（应终止居民养老保险关系并退还基础养老金）。",
         "The same person drawing, for the same month, an employee pension and a residents' pension: the residents' "
         "scheme is ended and its basic pension repaid.",
         Severity.HIGH, When.BOTH, RuleSubject.PERSON, (), (SCHEMES_2014, SIL_88)),
    Rule("R05_identity_changed_before_retirement", "退休前变更出生日期或身份信息（双改）",
         "birth date or identity changed shortly before retirement",
         "在退休（或申请退休）前规定月数内变更了出生日期、身份号码或性别，且变更使退休提前；出生日期以档案最先记载者为准。",
         "A birth date, ID number or sex changed within the window before retirement (or its application) in a way that "
         "brings retirement forward (age and file both changed); the birth date first recorded in the file prevails.",
         Severity.HIGH, When.BOTH, RuleSubject.PERSON, ("risk.identity_change.window_months", *_RETIREMENT_AGES),
         (BIRTH_DATE_1999, AUDIT_FILES, SIL_88)),
    Rule("R06_retired_below_statutory_age", "退休年龄低于记录出生日期允许的年龄", "retired younger than the recorded birth date allows",
         "按记录（档案最先记载）的出生日期，核定退休时未达法定退休年龄，也不符合特殊工种、病退或弹性提前退休的条件。",
         "At the award, the person had not reached the statutory age for the recorded (earliest) birth date, and no "
         "special-work, illness or voluntary early-retirement ground allows it.",
         Severity.CRITICAL, When.BOTH, RuleSubject.PERSON,
         (*_RETIREMENT_AGES, "retirement.early_retirement_max_months", "risk.special_work.male_min_age_months",
          "risk.special_work.female_min_age_months"),
         (RETIREMENT_1978, RETIREMENT_2024, BIRTH_DATE_1999, AUDIT_FILES)),
    Rule("R07_special_work_without_years", "特殊工种提前退休但工种年限不足", "special-work early retirement without its years",
         "以特殊工种为由提前退休，但所从事的同一类特殊工种累计年限不足（高空和特别繁重体力劳动满十年、井下和高温满九年、其他有害"
         "身体健康工作满八年），或年龄未达男五十五周岁、女四十五周岁。",
         "Early retirement on a special-work ground without the cumulative years in one kind of special work (high "
         "altitude or especially heavy work 10, underground or high temperature 9, other work harmful to health 8), or "
         "below 55 for a man, 45 for a woman.",
         Severity.HIGH, When.BOTH, RuleSubject.PERSON, _SPECIAL_WORK, (RETIREMENT_1978, SPECIAL_WORK_1978, SIL_88)),
    Rule("R08_base_jump_before_retirement", "退休前缴费基数大幅跃升", "contribution base jumping before retirement",
         "退休前观察期内的平均缴费基数超过此前同样长时期平均基数的规定倍数；基数决定缴费指数，临近退休抬高基数可换取终身更高的"
         "养老金。",
         "The mean contribution base over the window before retirement above the set multiple of the mean over the "
         "same length of time before it; the base sets the contribution index, so a base raised just before retirement "
         "buys a higher pension for life.",
         Severity.MEDIUM, When.AFTER_THE_FACT, RuleSubject.PERSON,
         ("risk.base_jump.window_months", "risk.base_jump.reference_months", "risk.base_jump.ratio"), (SIL_88, REPORTING_PARTIES)),
    Rule("R09_makeup_before_retirement", "临近退休大额补缴", "large make-up payments shortly before retirement",
         "退休前观察期内补缴的月数合计达到规定月数，或补缴金额合计达到规定金额；一次性补缴三年及以上须有补缴前形成的法律文书。",
         "Make-up payments in the window before retirement covering the set number of months or more, or adding up to "
         "the set amount; since 2019 a one-off payment of three years or more needs legal documents made before it.",
         Severity.MEDIUM, When.AFTER_THE_FACT, RuleSubject.PERSON,
         ("risk.makeup.window_months", "risk.makeup.months_covered", "risk.makeup.amount_fen"),
         (MAKEUP_2019, REPORTING_PARTIES, AUDIT_AGENCIES)),
    Rule("R10_contributions_under_16", "为未满16周岁者缴费", "contributions for someone under 16",
         "有缴费记录（单位申报或个人缴费）的月份，本人按记录的出生日期未满16周岁；视同或实际缴费自幼年起，是篡改档案的痕迹。",
         "A month with a contribution (declared by an employer or paid in person) in which the person, by the recorded "
         "birth date, was under 16: work recorded from childhood is the mark of an altered file.",
         Severity.HIGH, When.AFTER_THE_FACT, RuleSubject.PERSON, ("comparison.minimum_age_years",), (LABOUR_15, AUDIT_FILES)),
    Rule("R11_contributions_past_retirement_age", "超过退休年龄仍缴费", "contributions past retirement age",
         "本人已达法定退休年龄（含已领取养老金）后仍有职工养老保险缴费，且不属于为补足最低缴费年限而延长缴费或经同意的弹性延迟退休。",
         "Employee pension contributions for months after the person reached the statutory age (or began drawing a "
         "pension), unless paying on to reach the minimum years or deferring retirement by agreement.",
         Severity.MEDIUM, When.AFTER_THE_FACT, RuleSubject.PERSON,
         (*_RETIREMENT_AGES, "retirement.deferred_retirement_max_months", "pension.minimum_contribution_months"),
         (SIL_16, RETIREMENT_2024)),
    Rule("R12_two_employers_full_bases", "两家单位同时按全额基数申报同一人", "one person declared by two employers at full bases",
         "同一人同一月份被两家单位同时按不低于本省缴费基数下限的基数申报，重叠达到规定月数；其中一家多为挂靠虚构的用工。",
         "One person declared for the same months by two employers, each at a base at or above the province's floor, "
         "for the set number of months or more: one of the two is usually a job on paper, sold for its contribution years.",
         Severity.MEDIUM, When.AFTER_THE_FACT, RuleSubject.PERSON,
         ("risk.two_employers.min_overlap_months", "contribution.base.floor_fen"), (REPORTING_PARTIES, AUDIT_AGENCIES)),
    Rule("R13_fictitious_employment", "虚构用工：申报职工在税务工资记录中查无此人", "fictitious employment: declared employees absent from tax records",
         "单位申报参保的职工，在最近规定月数的税务工资记录中，任何单位都没有为其发放工资的人数和比例均达到规定值。",
         "An employer whose declared employees appear in no employer's tax wage records over the recent months, in a "
         "number and a share at or above the set ones.",
         Severity.HIGH, When.AFTER_THE_FACT, RuleSubject.EMPLOYER,
         ("risk.fictitious_employment.min_months", "risk.fictitious_employment.absent_share",
          "risk.fictitious_employment.min_employees"),
         (REPORTING_PARTIES, AUDIT_AGENCIES, SIL_88)),
    Rule("R14_unemployment_while_employed", "领取失业保险金期间已重新就业", "unemployment benefit while a new employer declares the person",
         "领取失业保险金的月份，已有新单位为其申报参保或在税务记录中发放工资（新单位申报起始月除外）。",
         "Unemployment benefit paid for a month in which a new employer declares the person or pays them a wage in the "
         "tax records (beyond the month the new declaration starts).",
         Severity.HIGH, When.AFTER_THE_FACT, RuleSubject.PERSON, ("risk.unemployment_while_employed.grace_months",),
         (SIL_51, SIL_88)),
    Rule("R15_unemployment_while_pension", "领取养老金期间领取失业保险金", "unemployment benefit while drawing a pension",
         "同一月份同时领取失业保险金和基本养老金；享受基本养老保险待遇的，停止领取失业保险金。",
         "Unemployment benefit and a basic pension paid for the same month: drawing a pension ends unemployment benefit.",
         Severity.HIGH, When.BOTH, RuleSubject.PERSON, (), (SIL_51, SIL_88)),
    Rule("R16_shared_bank_account", "多人待遇发放到同一银行账户", "many benefits paid into one bank account",
         "同一银行账户收取规定人数及以上领取人的待遇；冒领死亡或虚构人员的待遇多经此路。",
         "One bank account receiving the benefits of the set number of receivers or more: how the benefits of the dead "
         "or the invented are collected.",
         Severity.MEDIUM, When.AFTER_THE_FACT, RuleSubject.PERSON, ("risk.shared_account.min_receivers",),
         (HANDLING_26, REPORTING_PARTIES)),
    Rule("R17_shared_phone_or_address", "多名申领人共用同一电话或地址", "one phone or address shared by many claimants",
         "同一电话号码或同一居住地址被规定人数及以上的待遇申领人使用；养老机构、集体宿舍等由经办人员核实后一次排除。",
         "One phone number, or one residential address, given by the set number of benefit claimants or more; care "
         "homes and dormitories are cleared once by a clerk.",
         Severity.LOW, When.AFTER_THE_FACT, RuleSubject.PERSON,
         ("risk.shared_phone.min_claimants", "risk.shared_address.min_claimants"), (HANDLING_26, REPORTING_PARTIES)),
    Rule("R18_staff_own_or_family_record", "经办人员办理本人或亲属的业务", "staff member acting on their own or a family member's record",
         "经办人员经办、审核或修改了本人的记录，或与其同户（据公安户籍登记）亲属的记录。",
         "A staff member who handled, approved or changed their own record, or that of a family member in the same "
         "household (from the police household register), found in the audit log.",
         Severity.HIGH, When.AFTER_THE_FACT, RuleSubject.STAFF, (), (REPORTING_AGENCIES, SIL_6)),
    Rule("R19_staff_approves_own_case", "经办人员审批自己经办的业务", "staff member approving their own case",
         "同一经办人员既受理（或经办）又审核批准同一笔业务，违反经办、复核岗位分离。",
         "One staff member both handling and approving the same case or batch, against the separation of handling and "
         "review.",
         Severity.HIGH, When.AFTER_THE_FACT, RuleSubject.STAFF, (), (REPORTING_AGENCIES, SUPERVISION_2)),
    Rule("R20_payroll_jump", "地区待遇发放总额环比异常增长", "a region's payroll jumping month on month",
         "某地区（省、市、县、街道）当月待遇发放总额比上月增长超过规定比例，且领取人数达到规定人数；年度调待补发等已知原因核实后"
         "排除。",
         "A region's (province, city, county or street) benefit payroll for a month rising over the previous month's by "
         "more than the set share, in a region paying at least the set number of receivers; a month paying the yearly "
         "adjustment's arrears is cleared with that reason.",
         Severity.MEDIUM, When.AFTER_THE_FACT, RuleSubject.REGION, ("risk.payroll_jump.ratio", "risk.payroll_jump.min_receivers"),
         (SIL_6, SUPERVISION_2)),
    Rule("R21_second_pension_award", "重复核定养老金", "a second pension award",
         "为已在本省或其他省份领取职工基本养老金的人再次核定养老金：办理时拦截，不写入任何记录。",
         "Awarding a pension to someone already drawing an employee pension in this or another province: blocked in "
         "the award, before anything is written.",
         Severity.CRITICAL, When.IN_PROCESS, RuleSubject.PERSON, (), (TRANSFER_2009, SCHEMES_2014, SIL_88)),
    Rule("R22_payment_to_frozen_card", "向已挂失冻结的社保卡发放待遇", "a payment to a frozen card",
         "待遇发放到已挂失、冻结或列入黑名单的社会保障卡金融账户：办理时拦截，待换卡或更正账户后再发。",
         "A benefit payment to the bank account of a card reported lost, frozen or blacklisted: held in process until "
         "the card is replaced or the account corrected.",
         Severity.HIGH, When.IN_PROCESS, RuleSubject.PERSON, (), (CARD_2011, HANDLING_26)),
    Rule("R23_transfer_while_drawing", "领取养老金期间申请转移养老保险关系", "a transfer while a benefit is drawn",
         "已按规定领取基本养老金的人员申请跨省转移养老保险关系：办理时拦截。",
         "A transfer of the pension relationship asked for someone already drawing a basic pension: blocked in process.",
         Severity.MEDIUM, When.IN_PROCESS, RuleSubject.PERSON, (), (TRANSFER_2009,)),
    Rule("R24_clerk_own_record", "经办人员办理本人的业务", "a clerk acting on their own record",
         "经办人员对本人的参保、缴费、待遇或核查记录进行经办、审核或修改：办理时拦截，并记录这次尝试。",
         "A clerk handling, approving or changing their own enrolment, contribution, benefit or case record: blocked in "
         "process, and the attempt recorded.",
         Severity.CRITICAL, When.IN_PROCESS, RuleSubject.STAFF, (), (REPORTING_AGENCIES, SIL_6)),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in CATALOGUE}


def rule(rule_id: str) -> Rule:
    """The rule of an id, or a clear refusal naming it."""
    try:
        return RULES[rule_id]
    except (KeyError, TypeError):
        raise NotFound("risk.rule_unknown", f"没有这条风险规则{given_zh(rule_id)}",
                       f"no risk rule {str(rule_id)[:60]!r}", rule_id=str(rule_id)[:60]) from None


def in_process_rules() -> tuple[Rule, ...]:
    return tuple(r for r in CATALOGUE if r.in_process)


def after_the_fact_rules() -> tuple[Rule, ...]:
    return tuple(r for r in CATALOGUE if r.after_the_fact)


def parameter_paths(rules: tuple[Rule, ...] = CATALOGUE) -> tuple[str, ...]:
    """Every parameter path the rules read, the common ones first, each once."""
    seen = dict.fromkeys(COMMON_PARAMETERS)
    for each in rules:
        seen.update(dict.fromkeys(each.parameters))
    return tuple(seen)


def finding_severity(rule_: Rule, amount_fen: int | None, *, high_amount_fen: int, critical_amount_fen: int) -> Severity:
    """A finding's severity: its rule's, raised to high or critical by the money at stake (never lowered)."""
    by_amount = Severity.LOW
    if amount_fen is not None and amount_fen >= critical_amount_fen:
        by_amount = Severity.CRITICAL
    elif amount_fen is not None and amount_fen >= high_amount_fen:
        by_amount = Severity.HIGH
    return max(rule_.severity, by_amount, key=SEVERITY_ORDER.index)
