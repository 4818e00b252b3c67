// Safe rendering of the assistant's text: React text nodes only (never innerHTML), a markdown
// subset (**bold**, "- " / "1. " lists, [text](url) and bare links), links http/https only.
import React from 'react';

const LINK = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s，。；、）)<>"'「」]+)/g;
const UPLOAD = /\/upload\/([A-Za-z0-9_-]{16,})(?:[?#].*)?$/;

export function safeUrl(value) {
  try {
    const url = new URL(String(value), window.location.href);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** The upload token when `url` is a case-store upload link, else null. */
export function uploadToken(url) {
  const ok = safeUrl(url);
  if (!ok) return null;
  const m = new URL(ok).pathname.match(UPLOAD);
  return m ? m[1] : null;
}

/** Every upload link in a text, in order. */
export function uploadLinks(text) {
  const found = [];
  for (const m of String(text || '').matchAll(LINK)) {
    const url = m[2] || m[3];
    const tok = uploadToken(url);
    if (tok && !found.some((f) => f.token === tok)) found.push({ token: tok, url });
  }
  return found;
}

function bold(text, key) {
  const parts = text.split(/\*\*([^*]+)\*\*/g);
  return parts.map((p, i) => (i % 2 ? <strong key={`${key}b${i}`}>{p}</strong> : p));
}

function inline(text, key) {
  const out = [];
  let last = 0;
  let n = 0;
  for (const m of text.matchAll(LINK)) {
    if (m.index > last) out.push(...bold(text.slice(last, m.index), `${key}t${n}`));
    const href = safeUrl(m[2] || m[3]);
    const label = m[1] || m[3];
    if (href) {
      out.push(
        <a key={`${key}a${n}`} href={href} target="_blank" rel="noopener noreferrer">{label}</a>,
      );
    } else {
      out.push(m[0]);
    }
    last = m.index + m[0].length;
    n += 1;
  }
  if (last < text.length) out.push(...bold(text.slice(last), `${key}t${n}`));
  return out;
}

const BULLET = /^\s*(?:[-*•·]|\d{1,2}[.、)）])\s+/;

/** A text as paragraphs and lists of React nodes. */
export function RichText({ text }) {
  const blocks = [];
  let list = null;
  String(text || '').split('\n').forEach((line, i) => {
    const m = line.match(BULLET);
    if (m) {
      const ordered = /\d/.test(m[0]);
      if (!list || list.ordered !== ordered) {
        list = { ordered, items: [] };
        blocks.push(list);
      }
      list.items.push(<li key={i}>{inline(line.slice(m[0].length), `l${i}`)}</li>);
    } else {
      list = null;
      blocks.push(line.trim() ? <p key={i}>{inline(line, `p${i}`)}</p> : null);
    }
  });
  return (
    <div className="cr-rich">
      {blocks.map((b, i) => {
        if (!b || React.isValidElement(b)) return b;
        return b.ordered ? <ol key={`o${i}`}>{b.items}</ol> : <ul key={`u${i}`}>{b.items}</ul>;
      })}
    </div>
  );
}
