"""The UI's words in Chinese (the default) and English, and the translator pages call as ``t``.

A small catalogue in code rather than gettext files: a few hundred short
strings, reviewed with the pages that use them, and a test checks that every
key a page uses exists here in both languages. ``t('key', n=3)`` formats
with ``str.format``; an unknown key raises ``KeyError`` (a bug, caught by the
tests, never shown to a reviewer as a raw key).
"""

from __future__ import annotations

from collections.abc import Mapping

#: Languages in order of preference; the first is the default.
LANGUAGES = ("zh", "en")

MESSAGES: Mapping[str, tuple[str, str]] = {
    "app.name": ("短信合规审核", "SMS compliance review"),
    "app.skip": ("跳到主要内容", "Skip to main content"),
    "app.creditor": ("债权机构", "Creditor"),
    "app.other_language": ("English", "中文"),
    "app.sign_out": ("退出登录", "Sign out"),
    "app.navigation": ("主导航", "Main navigation"),
    "app.signed_in_as": ("当前登录", "Signed in as"),
    "nav.queue": ("待审模板", "Review queue"),
    "nav.held": ("暂扣短信", "Held messages"),
    "nav.opt_outs": ("退订名单", "Opt-outs"),
    "nav.audit": ("审计日志", "Audit trail"),
    "nav.wordlists": ("敏感词库", "Wordlists"),
    "nav.dashboard": ("概览", "Dashboard"),
    "nav.replies": ("回复", "Replies"),
    "replies.title": ("收信人回复", "Recipients' replies"),
    "replies.explain": (
        "收信人的回复、其含义（退订、打错了、第三方拒绝、投诉）以及系统已采取的措施。",
        "What recipients replied, what it meant (stop, wrong number, third-party refusal, "
        "complaint) and what the gateway did.",
    ),
    "replies.intent": ("含义", "Intent"),
    "replies.any": ("全部", "Any"),
    "replies.date": ("日期", "Date"),
    "replies.phone": ("手机号", "Phone"),
    "replies.filter": ("筛选", "Filter"),
    "replies.received": ("收到时间", "Received"),
    "replies.text": ("回复内容", "Reply"),
    "replies.action": ("已采取措施", "Action taken"),
    "replies.withheld": (
        "（未注明机构的回复，已对所有近期发过短信的机构生效；内容不予显示）",
        "(named no creditor; acted for every creditor that texted recently; words withheld)",
    ),
    "replies.empty": ("没有符合条件的回复。", "No reply matches."),
    "intent.stop": ("退订", "stop"),
    "intent.wrong_party": ("打错了/非本人", "wrong number"),
    "intent.third_party_refusal": ("第三方拒绝", "third-party refusal"),
    "intent.complaint": ("投诉", "complaint"),
    "action.opted_out": ("已退订，待发短信已取消", "opted out; queued messages rejected"),
    "action.detached_from_debtor": ("号码已与该债务人解除关联", "phone detached from the debtor"),
    "action.third_party_refused": (
        "该号码不再就任何债务人联系",
        "phone never contacted again for any debtor",
    ),
    "action.do_not_contact_and_held": (
        "已标记勿扰，短信暂扣待审",
        "do-not-contact; messages held for a reviewer",
    ),
    "login.title": ("登录", "Sign in"),
    "login.explain": (
        "请使用具有“审核员”或“管理员”角色的 API 密钥登录。",
        "Sign in with an API key that has the reviewer or admin role.",
    ),
    "login.key": ("登录密钥", "Login key"),
    "login.submit": ("登录", "Sign in"),
    "login.rate_limited": (
        "登录失败次数过多，请稍后再试。",
        "Too many failed sign-ins from this address; try again shortly.",
    ),
    "login.unknown_key": ("密钥无效或已被吊销。", "This key is unknown or has been revoked."),
    "login.wrong_role": (
        "此密钥没有审核员或管理员角色，不能登录审核界面。",
        "This key has neither the reviewer nor the admin role and cannot sign in here.",
    ),
    "login.reason.expired": (
        "登录已过期，请重新登录。",
        "Your session has expired; sign in again.",
    ),
    "login.reason.revoked": (
        "此密钥已被吊销或不再有审核权限，请使用其他密钥登录。",
        "This key was revoked or lost its review role; sign in with another key.",
    ),
    "login.reason.signed_out": ("您已退出登录。", "You have signed out."),
    "error.title": ("无法完成操作", "That did not work"),
    "error.csrf": (
        "表单已失效或来源不明（CSRF 校验失败），未做任何更改。请返回页面重新提交。",
        "The form was stale or did not come from this site (CSRF check failed); nothing was"
        " changed. Go back and submit it again.",
    ),
    "error.back": ("返回待审模板", "Back to the review queue"),
    "error.needs_role": (
        "此操作需要{roles}角色的密钥，未做任何更改。",
        "This needs a key with the {roles} role; nothing was changed.",
    ),
    "error.role_separator": ("或", " or "),
    "role.sender": ("发送方", "sender"),
    "role.author": ("撰写人", "author"),
    "role.reviewer": ("审核员", "reviewer"),
    "role.admin": ("管理员", "admin"),
    "notice.approved": ("已批准该模板版本。", "The template version was approved."),
    "notice.rejected": ("已驳回该模板版本。", "The template version was rejected."),
    "notice.released": ("已放行所选短信。", "The selected messages were released."),
    "notice.held_rejected": ("已拒发所选短信。", "The selected messages were rejected."),
    "notice.opt_out_added": ("已加入退订名单。", "The opt-out was added."),
    "notice.opt_out_exists": (
        "该号码已有同类退订记录，未重复添加。",
        "That phone already had an active opt-out of this kind; nothing changed.",
    ),
    "notice.opt_out_removed": ("已解除该退订记录。", "The opt-out was lifted."),
    "queue.title": ("待审模板", "Review queue"),
    "queue.counts": ("统计", "Counts"),
    "queue.count_waiting": ("个版本待审", "versions waiting for review"),
    "queue.count_held": ("条短信暂扣待审", "messages held for review"),
    "queue.count_templates": ("个模板", "templates"),
    "queue.template": ("模板", "Template"),
    "queue.version": ("版本", "Version"),
    "queue.audience": ("受众", "Audience"),
    "queue.author": ("作者", "Author"),
    "queue.submitted": ("提交时间", "Submitted"),
    "queue.open": ("审核", "Review"),
    "queue.empty": ("没有待审的模板版本。", "No template version is waiting for review."),
    "review.wordlist": ("检查所用词库", "Checked with wordlist"),
    "review.relinted": ("已按当前词库重新检查", "re-checked with the live wordlist"),
    "review.body": ("模板正文", "Template body"),
    "review.findings_body": ("正文中的敏感词", "Sensitive terms in the body"),
    "review.preview": ("预览（变量取最大长度）", "Preview (variables at their longest)"),
    "review.segments": ("条计费短信", "segments"),
    "review.units": ("个编码单位", "units"),
    "review.encoding": ("编码", "encoding"),
    "review.preview_hint": (
        "含签名。所有条件分支取最长时最多 {segments} 条。",
        "Signature included. With the longest branch of every condition: at most"
        " {segments} segments.",
    ),
    "review.findings_preview": ("预览中的敏感词", "Sensitive terms in the preview"),
    "review.no_preview": ("无法生成预览：", "No preview could be rendered:"),
    "review.lint": ("模板检查", "Lint"),
    "review.diff": ("与上一个已批准版本的差异", "Changes since the last approved version"),
    "review.diff_against": ("对比版本 v{version}", "Compared with v{version}"),
    "review.no_previous": (
        "此前没有已批准的版本，无可对比。",
        "No earlier version was approved: nothing to compare.",
    ),
    "review.decision": ("审核决定", "Decision"),
    "review.own_version": (
        "此版本由您（您的密钥、同一人、同一轮换链或签发链）编写；根据四眼原则，须由另一位审核员决定。",
        "You wrote this version (this key, its person, rotation chain or minting line); under"
        " the four-eyes rule another reviewer must decide.",
    ),
    "review.reason": ("理由（必填）", "Reason (required)"),
    "review.reason_required": ("请填写理由。", "Please give a reason."),
    "review.approve": ("批准", "Approve"),
    "review.reject": ("驳回", "Reject"),
    "review.not_decidable": (
        "此版本状态为“{status}”，无需审核。",
        "This version is {status}; there is nothing to decide.",
    ),
    "review.history": ("版本与审核记录", "Versions and reviews"),
    "review.versions": ("版本", "Versions"),
    "review.status": ("状态", "Status"),
    "review.created": ("创建时间", "Created"),
    "review.reviews": ("审核记录", "Reviews"),
    "lint.error": ("错误", "error"),
    "lint.warning": ("警告", "warning"),
    "lint.at": ("第 {line} 行第 {column} 列", "line {line}, column {column}"),
    "lint.clean": ("检查通过，没有问题。", "Lint found nothing."),
    "finding.as_found": ("原文写法", "As written"),
    "finding.term": ("词条", "Term"),
    "finding.category": ("类别", "Category"),
    "finding.severity": ("级别", "Severity"),
    "finding.none": ("未发现敏感词。", "No sensitive term found."),
    "finding.evasion": ("写法", "Written as"),
    "evasion.plain": ("原词", "as listed"),
    "evasion.spaced": ("插入间隔", "spaced out"),
    "evasion.traditional": ("繁体", "traditional characters"),
    "evasion.confusable": ("形近字符", "look-alike letters"),
    "evasion.leet": ("字母数字替换", "leetspeak"),
    "evasion.pinyin": ("拼音", "pinyin"),
    "evasion.homophone": ("谐音字", "homophone"),
    "evasion.initials": ("拼音首字母", "pinyin initials"),
    "severity.block": ("禁止", "block"),
    "severity.review": ("需审核", "review"),
    "verdict.block": ("禁止发送", "blocked"),
    "verdict.review": ("需人工审核", "held for review"),
    "verdict.pass": ("通过", "passes"),
    "status.draft": ("草稿", "draft"),
    "status.submitted": ("待审", "submitted"),
    "status.approved": ("已批准", "approved"),
    "status.rejected": ("已驳回", "rejected"),
    "status.retired": ("已停用", "retired"),
    "status.queued": ("排队中", "queued"),
    "status.scheduled": ("已排期", "scheduled"),
    "status.held": ("暂扣", "held"),
    "status.sending": ("发送中", "sending"),
    "status.sent": ("已发送", "sent"),
    "status.delivered": ("已送达", "delivered"),
    "status.failed": ("失败", "failed"),
    "status.unknown": ("未知", "unknown"),
    "decision.approve": ("批准", "approved"),
    "decision.reject": ("驳回", "rejected"),
    "audience.debtor": ("债务人", "debtor"),
    "audience.third_party": ("第三方（联系人）", "third party"),
    "kind.opt_out": ("退订", "opt-out"),
    "kind.third_party_refusal": ("第三方拒绝联系", "third-party refusal"),
    "kind.do_not_contact": ("禁止联系", "do not contact"),
    "held.title": ("暂扣短信", "Held messages"),
    "held.explain": (
        "这些短信含有需人工审核的词语。放行时会重新检查退订、时段和频次。",
        "These texts contain a word that needs a person's review. Release re-checks"
        " opt-outs, contact hours and caps.",
    ),
    "held.some_failed": ("部分短信未能处理：", "Some messages could not be processed:"),
    "held.done": ("已完成", "done"),
    "held.bulk": ("批量处理所选短信", "Act on the selected messages"),
    "held.select_all": ("全选", "Select all"),
    "held.select": ("选择短信 {id}", "Select message {id}"),
    "held.release_selected": ("放行所选", "Release selected"),
    "held.reject_selected": ("拒发所选", "Reject selected"),
    "held.more": ("仅显示最早的 200 条。", "Only the oldest 200 are shown."),
    "held.recipient": ("收信人", "Recipient"),
    "held.debtor": ("债务人编号", "Debtor"),
    "held.findings": ("短信中的敏感词", "Sensitive terms in the text"),
    "held.complaint": (
        "暂扣原因：收信人于 {when} 回复投诉，内容如下",
        "Held because the recipient complained on {when}:",
    ),
    "held.release": ("放行", "Release"),
    "held.reject": ("拒发", "Reject"),
    "held.empty": ("没有暂扣的短信。", "No message is held."),
    "held.choose": ("请选择短信和操作。", "Choose messages and an action."),
    "evidence.label": ("证据包：", "Evidence pack:"),
    "evidence.of_message": ("本短信", "This message"),
    "evidence.of_debtor": ("该债务人", "This debtor"),
    "evidence.json": ("JSON（可验证）", "JSON (verifiable)"),
    "evidence.html": ("HTML（供阅读）", "HTML (for reading)"),
    "evidence.download": (
        "下载{what}的证据包：{format}",
        "Download the evidence pack of {what}: {format}",
    ),
    "opt_outs.title": ("退订与禁止联系名单", "Opt-outs and do-not-contact list"),
    "opt_outs.search": ("按号码查询", "Search by phone"),
    "opt_outs.phone": ("手机号（含国家码）", "Phone (with country code)"),
    "opt_outs.search_button": ("查询", "Search"),
    "opt_outs.show_all": ("显示全部", "Show all"),
    "opt_outs.add": ("添加", "Add"),
    "opt_outs.kind": ("类型", "Kind"),
    "opt_outs.reason": ("原因", "Reason"),
    "opt_outs.add_button": ("加入名单", "Add to the list"),
    "opt_outs.all": ("当前有效记录", "Active entries"),
    "opt_outs.of_phone": ("{phone} 的有效记录", "Active entries of {phone}"),
    "opt_outs.source": ("来源", "Source"),
    "opt_outs.since": ("生效时间", "Since"),
    "opt_outs.remove_reason": ("解除原因（必填）", "Reason for lifting (required)"),
    "opt_outs.remove": ("解除", "Lift"),
    "opt_outs.needs_admin": (
        "解除退订需要管理员角色的密钥。",
        "Lifting an opt-out needs a key with the admin role.",
    ),
    "opt_outs.empty": ("名单为空。", "The list is empty."),
    "opt_outs.none_for_phone": ("此号码没有有效的退订记录。", "This phone has no active opt-out."),
    "audit.title": ("审计日志", "Audit trail"),
    "audit.chain_ok": (
        "审计树校验通过：{n} 条记录，根哈希 {root}…，签名有效（{when} 校验）。",
        "The audit tree verifies: {n} entries, root {root}…, signed ({when}).",
    ),
    "audit.chain_bad": (
        "审计树校验失败：{where}{fault}（{reason}）；此前 {n} 条记录正常（{when} 校验）。",
        "The audit tree does NOT verify: {where}{fault} ({reason}); {n} entries good before"
        " it (checked {when}).",
    ),
    "audit.chain_bad_leaf": ("第 {leaf} 个叶子：", "leaf {leaf}: "),
    "audit.chain_unverified": (
        "审计树尚未校验：服务每分钟校验新的签名树头，也可运行 smsgate audit verify。",
        "The audit tree has not been verified yet: the service checks each new signed tree"
        " head every minute, or run smsgate audit verify.",
    ),
    "audit.from": ("开始日期", "From"),
    "audit.to": ("结束日期", "To"),
    "audit.actor": ("操作者", "Actor"),
    "audit.action": ("操作", "Action"),
    "audit.template": ("模板", "Template"),
    "audit.any": ("全部", "any"),
    "audit.filter": ("筛选", "Filter"),
    "audit.reset": ("清除", "Reset"),
    "audit.total": ("共 {n} 条匹配记录", "{n} matching entries"),
    "audit.export_csv": ("导出 CSV", "Export CSV"),
    "audit.export_json": ("导出 JSON", "Export JSON"),
    "audit.truncated": (
        "页面显示最新的 {shown} 条；导出包含全部 {n} 条。",
        "The page shows the newest {shown}; the export holds all {n}.",
    ),
    "audit.too_many": (
        "匹配记录超过 {n} 条，请缩小筛选范围后再导出。",
        "More than {n} entries match; narrow the filter to export.",
    ),
    "audit.at": ("时间", "When"),
    "audit.subject": ("对象", "Subject"),
    "audit.detail": ("详情", "Detail"),
    "audit.empty": ("没有符合条件的记录。", "No entry matches."),
    "wordlists.title": ("敏感词库", "Wordlists"),
    "wordlists.live": ("当前生效版本", "Live version"),
    "wordlists.allowed": ("豁免短语 {n} 条", "{n} allowed phrases"),
    "wordlists.scratch": ("试扫描", "Scratch scan"),
    "wordlists.text": ("要扫描的文字", "Text to scan"),
    "wordlists.scan": ("扫描", "Scan"),
    "wordlists.findings": ("扫描结果", "Findings"),
    "wordlists.by_category": ("按类别查看词条", "Terms by category"),
    "wordlists.terms": ("{n} 个词条", "{n} terms"),
    "wordlists.pinyin": ("含拼音", "pinyin too"),
    "wordlists.initials": ("含首字母", "initials too"),
    "dashboard.title": ("今日概览", "Today"),
    "dashboard.by_status": ("短信状态", "Messages by status"),
    "dashboard.refusals": ("拒绝原因", "Refusals by reason"),
    "dashboard.findings": ("常见敏感词", "Top findings"),
    "dashboard.delivery": ("各运营商送达率", "Delivery rate per carrier"),
    "dashboard.count": ("次数", "Count"),
    "dashboard.no_messages": ("今天还没有短信。", "No message today yet."),
    "dashboard.no_refusals": ("今天没有被拒绝的请求。", "No refusal today."),
    "dashboard.no_findings": ("今天的短信中没有敏感词。", "No finding in today's messages."),
    "dashboard.no_deliveries": ("今天还没有发出的短信。", "Nothing was sent today yet."),
    "category.impersonation": ("冒充公检法/机关", "impersonation"),
    "category.legal_threat": ("法律威胁", "legal threat"),
    "category.violence": ("暴力威胁", "violence"),
    "category.insult": ("侮辱", "insult"),
    "category.harassment": ("骚扰", "harassment"),
    "category.misleading": ("误导", "misleading"),
    "category.third_party_disclosure": ("向第三方披露债务", "third-party disclosure"),
    "category.privacy_exposure": ("隐私曝光", "privacy exposure"),
    "category.contact_exposure": ("曝光通讯录", "contact exposure"),
    "refusal.template_not_approved": ("模板未批准", "template not approved"),
    "refusal.audience_mismatch": ("受众不符", "audience mismatch"),
    "refusal.variable_invalid": ("变量无效", "invalid variable"),
    "refusal.sensitive_term": ("含禁止词", "sensitive term"),
    "refusal.opted_out": ("已退订", "opted out"),
    "refusal.contact_limit": ("超出频次", "contact limit"),
    "refusal.quiet_hours": ("非联系时段", "quiet hours"),
    "refusal.message_too_long": ("短信过长", "too long"),
    "refusal.not_found": ("模板不存在", "unknown template"),
    "refusal.template_retired": ("模板已停用", "template retired"),
    "problem.four_eyes": (
        "四眼原则：编写此版本的人（同一人、同一轮换链或签发链上的密钥）不能审核它。",
        "Four-eyes rule: whoever wrote this version (the same person, rotation chain or"
        " minting line) cannot decide on it.",
    ),
    "problem.sensitive_term": (
        "按当前词库，该版本含有禁止词语，不能批准。",
        "Under the live wordlist this version contains a blocked term and cannot be approved.",
    ),
    "problem.template_invalid": ("模板未通过检查。", "The template does not pass lint."),
    "problem.invalid_state": ("当前状态下不能执行此操作。", "Not possible in the current state."),
    "problem.not_found": ("找不到该对象。", "Not found."),
    "problem.forbidden": ("权限不足。", "Not allowed for this key."),
    "problem.invalid_request": ("输入有误。", "Invalid input."),
    "problem.opted_out": ("收信人已退订。", "The recipient opted out."),
    "problem.contact_limit": ("已达到联系次数上限。", "The contact limit is reached."),
    "problem.quiet_hours": ("不在允许联系的时段内。", "Outside the allowed contact hours."),
    "problem.conflict": ("操作冲突，请重试。", "Conflicting change; try again."),
    "problem.template_retired": (
        "该短信的模板已停用，不能再发送；请驳回。",
        "The message's template was retired and can no longer be sent; reject it.",
    ),
}


class Translator:
    """The words of one language, called as ``t(key, **values)`` by pages and handlers."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else LANGUAGES[0]
        self._index = LANGUAGES.index(self.lang)

    def __call__(self, key: str, **values: object) -> str:
        """The text of ``key``, formatted with ``values``; raises ``KeyError`` if unknown."""
        text = MESSAGES[key][self._index]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether ``key`` is in the catalogue."""
        return key in MESSAGES

    def category(self, name: str) -> str:
        """A scanner category's name; the raw name for a category added to the lists later."""
        key = f"category.{name}"
        return self(key) if key in MESSAGES else name

    def evasion(self, kind: str) -> str:
        """How a finding was disguised, in words; ``as listed`` for a finding recorded
        before findings carried the kind (#15)."""
        key = f"evasion.{kind or 'plain'}"
        return self(key) if key in MESSAGES else kind

    def refusal(self, code: str) -> str:
        """A short name of a refusal code for a chart label; the code itself if unknown."""
        key = f"refusal.{code}"
        return self(key) if key in MESSAGES else code

    def problem(self, code: str) -> str:
        """What a refusal code means, in words; the code itself if the catalogue lacks it."""
        key = f"problem.{code}"
        return self(key) if key in MESSAGES else code
