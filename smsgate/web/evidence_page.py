"""The human-readable rendering of an evidence pack: one self-contained HTML file.

The same pack as the JSON (``smsgate.core.evidence``), for a person: each
fact's action, time in the recipient's zone with its offset, the leaf's
fields, the unproven context (the rendered text) marked as such, its link
to the subject, and the proof data. Labels are in Chinese and English side
by side (a file handed to a regulator has no language switch); no script,
no external style or font, so it opens anywhere and prints. The JSON stays
the evidence: the HTML says how to verify it and is not itself verified.
"""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment

from smsgate.core.evidence import EvidencePack, to_json
from smsgate.core.evidence.checks import fact_links

#: What each audited action is, in both languages.
ACTIONS: dict[str, tuple[str, str]] = {
    "message.accepted": ("短信已受理", "Message accepted"),
    "message.refused": ("短信被拒绝", "Message refused"),
    "message.held": ("短信暂扣待审", "Message held for review"),
    "message.released": ("短信已放行", "Message released"),
    "message.rejected": ("短信已驳回", "Message rejected"),
    "delivery.reported": ("送达回执", "Delivery report"),
    "reply.received": ("收到回复", "Reply received"),
    "opt_out.added": ("已退订", "Opt-out added"),
    "opt_out.removed": ("退订已撤销", "Opt-out removed"),
    "phone.detached": ("号码已与债务人解绑", "Phone detached from the debtor"),
    "contact.recorded": ("已登记联系（电话）", "Contact recorded (call)"),
    "template.created": ("模板已创建", "Template created"),
    "template.submitted": ("模板已提交审核", "Template submitted"),
    "template.approved": ("模板已批准", "Template approved"),
    "stop_confirmation.queued": ("退订确认短信已排队", "Opt-out confirmation queued"),
}

_LINKS = {
    "subject": ("直接关于该对象", "about the subject itself"),
    "debtor_id": ("记录载明该债务人", "names the debtor"),
    "phone": ("记录载明该号码", "names the phone"),
    "message": ("关于该对象的短信", "about one of the subject's messages"),
    "reply": ("由该对象的回复引起", "caused by the subject's reply"),
    "template": ("所用模板版本", "the template version used"),
    "masked_phone": ("掩码号码相符（较弱）", "masked phone fits (weaker)"),
}

_PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8">
<title>证据包 Evidence pack — {{ pack.subject.kind }} {{ pack.subject.value }}</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2em;max-width:60em}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:.3em;
vertical-align:top;text-align:left}code,pre{font-size:.8em;word-break:break-all;
white-space:pre-wrap}.unproven{color:#555;font-style:italic}
</style></head><body>
<h1>证据包 <span lang="en">Evidence pack</span></h1>
<table>
<tr><th>格式 Format</th><td><code>{{ doc.format }}</code></td></tr>
<tr><th>债权机构 Creditor</th><td>{{ pack.subject.creditor_id }}</td></tr>
<tr><th>对象 Subject</th><td>{{ kinds[pack.subject.kind] }}: {{ pack.subject.value }}</td></tr>
<tr><th>生成时间 Generated</th><td>{{ pack.generated_at }}</td></tr>
<tr><th>签名树头 Signed tree head</th><td>size {{ doc.tree_head.size }},
root <code>{{ doc.tree_head.root }}</code>, at {{ head_at }},
key id <code>{{ doc.tree_head.key_id }}</code><br>signature <code>{{ doc.tree_head.signature
}}</code></td></tr>
<tr><th>审计公钥 Audit public key</th><td><code>{{ pack.public_key }}</code></td></tr>
<tr><th>事实数 Facts</th><td>{{ facts|length }}</td></tr>
<tr><th>待入树 Pending</th><td>{% for p in pack.pending %}seq {{ p.seq }} {{ p.action }}
{{ p.at }}<br>{% else %}无 none{% endfor %}</td></tr>
</table>
<p>{{ doc.completeness }}<br>本证据包证明其所含每项事实在签名树头所示规模的审计日志中且未被篡改；
它不能证明没有遗漏。</p>
<h2>事实 <span lang="en">Facts</span></h2>
{% for fact in facts %}
<h3>#{{ loop.index0 }} {{ fact.label[0] }} <span lang="en">{{ fact.label[1] }}</span></h3>
<table>
<tr><th>当地时间 Local time</th><td>{{ fact.local }} ({{ fact.zone }})</td></tr>
<tr><th>与对象的关联 Link</th><td>{{ fact.link[0] }} / {{ fact.link[1] }}</td></tr>
<tr><th>记录 Leaf</th><td><pre>{{ fact.fields }}</pre></td></tr>
{% if fact.message %}<tr><th>短信内容 Text</th><td class="unproven">{{ fact.message.text }}
<br>（未经证明的上下文 unproven context）</td></tr>{% endif %}
<tr><th>叶位置 Leaf index</th><td>{{ fact.index }}</td></tr>
<tr><th>包含证明 Inclusion proof</th><td><code>{{ fact.path|join(" ") }}</code></td></tr>
</table>
{% endfor %}
<h2>如何验证 <span lang="en">How to verify</span></h2>
<p>用 <code>smsgate evidence verify FILE.json --public-key KEY</code>，或按 README
“Evidence packs”一节的步骤用任意 SHA-256 与 Ed25519 工具验证 JSON 文件（本 HTML 仅供阅读）。
Verify the JSON file with <code>smsgate evidence verify</code> or any SHA-256 and Ed25519 tool
as the README's "Evidence packs" section describes; this HTML is for reading only.</p>
</body></html>
"""

_KINDS = {"debtor": "债务人 Debtor", "phone": "号码 Phone", "message": "短信 Message"}
_TEMPLATE = Environment(autoescape=True).from_string(_PAGE)


def render_pack(pack: EvidencePack) -> str:
    """The pack as one self-contained HTML page."""
    doc = to_json(pack)
    links = fact_links(pack)
    facts = [_fact(item, link) for item, link in zip(doc["facts"], links, strict=True)]
    return _TEMPLATE.render(
        pack=pack, doc=doc, facts=facts, kinds=_KINDS, head_at=pack.head.at.isoformat()
    )


def _fact(item: dict[str, Any], link: str | None) -> dict[str, Any]:
    event = json.loads(item["leaf"])
    context = item.get("context", {})
    action = str(event.get("action"))
    return {
        "label": ACTIONS.get(action, (action, action)),
        "local": context.get("local_time", event.get("at")),
        "zone": context.get("timezone", "UTC"),
        "link": _LINKS.get(link or "", ("无", "none")),
        "fields": json.dumps(event, ensure_ascii=False, indent=1, sort_keys=True),
        "message": context.get("message"),
        "index": item["leaf_index"],
        "path": item["audit_path"],
    }
