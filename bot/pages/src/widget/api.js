// The widget's only link to the server: the Rasa web channel (bot/channels/web.py) at the same
// origin as this page. The server issues the session; this file keeps its signed token in
// sessionStorage (this tab only: a reload restores it, a new tab or 「新对话」 starts afresh).

const BASE = new URL('./', window.location.href).pathname.replace(/\/$/, '');
const KEY = 'cr-web-session';
export const TIMEOUT_MS = 45000;

export class ChatError extends Error {
  constructor(kind, status) {
    super(kind);
    this.kind = kind; // 'network' | 'timeout' | 'server' | 'expired'
    this.status = status;
  }
}

function token() {
  try { return sessionStorage.getItem(KEY) || ''; } catch { return ''; }
}

function keep(value) {
  try {
    if (value) sessionStorage.setItem(KEY, value); else sessionStorage.removeItem(KEY);
  } catch { /* private mode: the session lives as long as the page */ }
}

async function call(path, { method = 'GET', body, timeout = TIMEOUT_MS, raw = false } = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  const headers = { 'X-Chat-Session': token() };
  if (body !== undefined && !raw) headers['Content-Type'] = 'application/json';
  let resp;
  try {
    resp = await fetch(BASE + path, {
      method, headers, credentials: 'same-origin', signal: ctrl.signal,
      body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
    });
  } catch (e) {
    throw new ChatError(ctrl.signal.aborted ? 'timeout' : 'network');
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (data && data.session) keep(data.session);
  if (!resp.ok) {
    const err = new ChatError(resp.status === 440 ? 'expired' : 'server', resp.status);
    err.data = data;
    throw err;
  }
  return data;
}

export const api = {
  config: () => call('/config'),
  session: () => call('/session', { method: 'POST', body: {} }),
  history: () => call('/history'),
  send: (text, metadata) => call('/message', { method: 'POST', body: { text, metadata } }),
  end: () => call('/session/end', { method: 'POST', body: {} }),
  notices: () => call('/notices', { timeout: 15000 }),
  // Messages that were not a reply to a request of this page (a help-desk agent's, the hand-back).
  updates: (cursor) => call(`/updates?cursor=${encodeURIComponent(cursor)}`, { timeout: 15000 }),
  rate: (handoffId, level) => call('/rating', { method: 'POST', body: { handoff_id: handoffId, level } }),
  rateReason: (ratingId, reason) => call('/rating/reason', { method: 'POST', body: { rating_id: ratingId, reason } }),
  forget: () => keep(''),
  upload(uploadToken, files, onProgress) {
    // XMLHttpRequest: fetch has no upload progress.
    return new Promise((resolve, reject) => {
      const form = new FormData();
      files.forEach((f) => form.append('file', f, f.name));
      const xhr = new XMLHttpRequest();
      xhr.open('POST', `${BASE}/upload/${encodeURIComponent(uploadToken)}`);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.setRequestHeader('X-Chat-Session', token());
      xhr.timeout = 120000;
      xhr.upload.onprogress = (ev) => { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); };
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch { data = null; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data || {});
        else reject(Object.assign(new ChatError('server', xhr.status), { data }));
      };
      xhr.onerror = () => reject(new ChatError('network'));
      xhr.ontimeout = () => reject(new ChatError('timeout'));
      xhr.send(form);
    });
  },
};
