"""The small mobile-friendly page behind an upload link (`GET /upload/{token}`)."""

from __future__ import annotations

from html import escape

_STYLE = """
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f6f8;color:#222}
main{max-width:560px;margin:0 auto;padding:16px}
h1{font-size:1.3rem;margin:8px 0 4px}
.card{background:#fff;border-radius:10px;padding:16px;margin:12px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
label{display:block;margin:12px 0 6px;font-weight:600}
select,input[type=file]{width:100%;font-size:1rem;padding:8px;box-sizing:border-box}
button{width:100%;margin-top:16px;padding:12px;font-size:1.05rem;border:0;border-radius:8px;background:#c8102e;color:#fff}
button:disabled{background:#999}
.hint{color:#666;font-size:.9rem;line-height:1.5}
.ok{color:#0a7a2f}.err{color:#b00020}
ul{padding-left:1.2em}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def upload_form(token: str, target: dict, materials: dict, max_mb: float, max_files: int,
                nonce: str = "") -> str:
    """The form; `nonce` is the page's Content-Security-Policy script nonce (bot/casestore/app.py).
    File names and server messages are shown with textContent, never as HTML."""
    subject = (f"申请编号：<b>{escape(target['case_no'])}</b>" if target.get("case_no")
               else "材料将附在您正在填写的申请中")
    options = "".join(
        f"<option value=\"{escape(mid)}\"{' selected' if mid == target.get('material_id') else ''}>"
        f"{escape(m['name'])}</option>"
        for mid, m in materials.items() if not m.get("generated")
    )
    action = f"/upload/{escape(token)}"
    body = f"""
<h1>上传信用修复材料</h1>
<div class="hint">{subject}</div>
<div class="card">
<form id="f" method="post" action="{action}" enctype="multipart/form-data">
<label for="material_id">材料名称</label>
<select id="material_id" name="material_id">{options}</select>
<label for="file">选择文件（可多选）</label>
<input id="file" type="file" name="file" multiple accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png">
<p class="hint">支持PDF、JPG、PNG格式，单个文件不超过{max_mb:g} MB，一次最多{max_files}个。可以直接用手机拍照上传。
本链接只能提交一次，提交后如需补充请回到对话中重新获取链接。</p>
<button id="b" type="submit">提交材料</button>
</form>
<p id="msg" role="status"></p>
</div>
<p class="hint">信用修复不收取任何费用。如有疑问请拨打12345政务服务便民热线。</p>
<script nonce="{escape(nonce)}">
document.getElementById('f').addEventListener('submit', async function (e) {{
  e.preventDefault();
  var msg = document.getElementById('msg'), b = document.getElementById('b');
  if (!document.getElementById('file').files.length) {{ msg.className='err'; msg.textContent='请先选择文件。'; return; }}
  b.disabled = true; msg.className=''; msg.textContent = '正在上传，请稍候……';
  try {{
    var r = await fetch(this.action, {{method:'POST', body:new FormData(this), headers:{{'Accept':'application/json'}}}});
    var d = await r.json();
    if (r.ok) {{
      msg.className='ok';
      msg.textContent = '上传成功：' + d.uploads.map(function(u){{return u.filename;}}).join('、') + '。请回到对话中继续办理。';
      this.style.display='none';
    }} else {{
      msg.className='err';
      msg.textContent = d.message + (d.details||[]).map(function(x){{return ' '+x.message;}}).join('');
      b.disabled = false;
    }}
  }} catch (err) {{ msg.className='err'; msg.textContent='网络异常，请检查网络后重试。'; b.disabled=false; }}
}});
</script>"""
    return _page("上传信用修复材料", body)


def message_page(title: str, message: str, ok: bool = False, items: list[str] | None = None) -> str:
    lis = "".join(f"<li>{escape(i)}</li>" for i in items or [])
    body = (f"<h1>{escape(title)}</h1><div class=\"card\"><p class=\"{'ok' if ok else 'err'}\">"
            f"{escape(message)}</p>{'<ul>' + lis + '</ul>' if lis else ''}</div>")
    return _page(title, body)
