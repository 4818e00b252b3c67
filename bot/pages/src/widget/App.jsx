// The chat widget: ChatUI's Chat (message list, typing bubble, elder mode) around the assistant's
// web channel. One request at a time; failed sends stay with a retry; stale buttons are disabled.
import React, { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import Chat, { Bubble, Card, CardText, Progress } from '@chatui/core';
import { api, ChatError } from './api.js';
import { RichText, safeUrl, uploadLinks } from './render.jsx';

const Ctx = createContext(null);
const POLL_MS = 2500; // how often the page asks for an agent's replies (GET /updates)
let seq = 0;
const nextId = () => `m${Date.now().toString(36)}${(seq += 1)}`;

// 信用修复告知书 QR code: /webhooks/web/?notice=<notice_no>.<signature> opens the conversation
// with the record (the assistant's action_open_notice), once per token in this tab.
const NOTICE_TOKEN = /^[A-Za-z0-9_-]{4,60}\.[A-Za-z0-9_-]{16,40}$/;
function scannedNotice() {
  let token = '';
  try { token = new URLSearchParams(window.location.search).get('notice') || ''; } catch { token = ''; }
  if (!NOTICE_TOKEN.test(token)) return '';
  try {
    if (sessionStorage.getItem('cr-notice') === token) return '';
    sessionStorage.setItem('cr-notice', token);
  } catch { /* private mode: open it on every load */ }
  return token;
}

function fill(text, vars) {
  return String(text || '').replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

/** Rasa bot messages -> widget messages (text, buttons, image, custom). */
function fromBot(replies) {
  return (replies || []).map((r) => ({
    _id: nextId(),
    type: 'bot',
    position: 'left',
    content: {
      text: r.text || '',
      buttons: Array.isArray(r.buttons) ? r.buttons.filter((b) => b && b.title) : [],
      image: r.image ? safeUrl(r.image) : null,
      custom: r.custom && typeof r.custom === 'object' ? r.custom : null,
    },
  }));
}

function fromHistory(items) {
  return (items || []).map((h) => (h.who === 'user'
    ? { _id: nextId(), type: 'user', position: 'right', content: { text: h.text }, status: 'sent' }
    : fromBot([h])[0]));
}

function Composer() {
  const { T, busy, send, composerRef } = useContext(Ctx);
  const [text, setText] = useState('');
  const submit = (ev) => {
    ev.preventDefault();
    const value = text.trim();
    if (!value || busy) return;
    if (send(value)) setText('');
  };
  return (
    <form className="cr-composer" onSubmit={submit} aria-busy={busy}>
      <label className="cr-visually-hidden" htmlFor="cr-input">{T.input_label}</label>
      <textarea
        id="cr-input"
        ref={composerRef}
        rows={1}
        maxLength={2000}
        value={text}
        placeholder={T.placeholder}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) submit(e);
        }}
        enterKeyHint="send"
      />
      <button type="submit" className="cr-send" disabled={busy || !text.trim()}>
        {busy ? T.sending : T.send}
      </button>
    </form>
  );
}

function UploadCard({ token }) {
  const { T } = useContext(Ctx);
  const [state, setState] = useState({ phase: 'idle', progress: 0, note: '' });
  const input = useRef(null);
  const pick = async (ev) => {
    const files = Array.from(ev.target.files || []);
    if (!files.length) return;
    setState({ phase: 'sending', progress: 0, note: '' });
    try {
      const res = await api.upload(token, files, (p) => setState((s) => ({ ...s, progress: p })));
      const names = (res.uploads || []).map((u) => u.filename).join('、') || files.map((f) => f.name).join('、');
      setState({ phase: 'done', progress: 1, note: fill(T.upload_done, { files: names }) });
    } catch (e) {
      const msg = (e.data && e.data.message) || (e.kind === 'server' ? T.upload_failed : T.error_network);
      setState({ phase: 'failed', progress: 0, note: msg });
    }
  };
  return (
    <Card className="cr-upload" size="xl">
      <CardText>{T.upload_title}</CardText>
      <div className="cr-upload-body">
        <input ref={input} id={`up-${token}`} type="file" className="cr-visually-hidden"
          accept="image/*,application/pdf" multiple onChange={pick}
          disabled={state.phase === 'sending' || state.phase === 'done'} />
        <label htmlFor={`up-${token}`}
          className={`cr-btn ${state.phase === 'sending' || state.phase === 'done' ? 'is-disabled' : ''}`}
          aria-disabled={state.phase === 'sending' || state.phase === 'done'}
          tabIndex={0}
          onKeyDown={(e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); input.current && input.current.click(); } }}>
          {state.phase === 'failed' ? T.upload_again : T.upload_choose}
        </label>
        {state.phase === 'sending' && (
          <div role="status">
            <Progress value={Math.round(state.progress * 100)} />
            <span>{fill(T.upload_progress, { percent: Math.round(state.progress * 100) })}</span>
          </div>
        )}
        {state.note && <p role="status" className={`cr-upload-note is-${state.phase}`}>{state.note}</p>}
      </div>
    </Card>
  );
}

/** After a bad rating: a box for the optional reason, sent once (POST /rating/reason). */
function ReasonBox({ ask }) {
  const { T } = useContext(Ctx);
  const [text, setText] = useState('');
  const [state, setState] = useState({ phase: 'idle', note: '' });
  const send = async () => {
    setState({ phase: 'sending', note: '' });
    try {
      const res = await api.rateReason(ask.rating_id, text);
      setState({ phase: 'done', note: res.message || '' });
    } catch (e) {
      setState({ phase: 'failed', note: (e.data && e.data.message) || T.error_network });
    }
  };
  if (state.phase === 'skipped') return null;
  const closed = state.phase === 'done' || state.phase === 'sending';
  return (
    <div className="cr-reason">
      <label htmlFor={`cr-reason-${ask.rating_id}`}>{ask.question}</label>
      <textarea id={`cr-reason-${ask.rating_id}`} className="cr-reason-text" rows={3} maxLength={1000}
        value={text} disabled={closed} onChange={(e) => setText(e.target.value)} />
      <div className="cr-buttons">
        <button type="button" className="cr-btn" disabled={closed || !text.trim()} onClick={send}>{ask.send}</button>
        <button type="button" className="cr-btn" disabled={closed} onClick={() => setState({ phase: 'skipped', note: '' })}>{ask.skip}</button>
      </div>
      {state.note && <p role="status" className={`cr-upload-note is-${state.phase}`}>{state.note}</p>}
    </div>
  );
}

/** 好差评 after a human handoff: five levels, answered once (POST /rating). */
function RatingCard({ offer }) {
  const { T } = useContext(Ctx);
  const [state, setState] = useState({ phase: 'idle', note: '', level: null, reason: null });
  const rate = async (level) => {
    setState({ phase: 'sending', note: '', level, reason: null });
    try {
      const res = await api.rate(offer.handoff_id, level);
      setState({ phase: 'done', note: res.message || '', level, reason: res.reason || null });
    } catch (e) {
      setState({ phase: 'failed', note: (e.data && e.data.message) || T.error_network, level: null, reason: null });
    }
  };
  const done = state.phase === 'done';
  return (
    <div className="cr-rating">
      <div className="cr-buttons" role="group" aria-label={offer.question || T.choices}>
        {(offer.levels || []).map((l) => (
          <button key={l.level} type="button" className="cr-btn" data-level={l.level}
            disabled={done || state.phase === 'sending'}
            aria-pressed={state.level === l.level ? true : undefined}
            onClick={() => rate(l.level)}>
            {l.name}
          </button>
        ))}
      </div>
      {state.note && <p role="status" className={`cr-upload-note is-${state.phase}`}>{state.note}</p>}
      {state.reason && <ReasonBox ask={state.reason} />}
    </div>
  );
}

function BotMessage({ msg, stale }) {
  const { T, busy, send } = useContext(Ctx);
  const { text, buttons, image, custom } = msg.content;
  const uploads = uploadLinks(text);
  const disabled = stale || msg.used || busy;
  return (
    <div className="cr-bot" data-msg-id={msg._id}>
      {(text || (!image && !custom && !buttons.length)) && (
        <Bubble><RichText text={text || T.empty_reply} /></Bubble>
      )}
      {image && <img className="cr-image" src={image} alt={T.image_alt} loading="lazy" />}
      {custom && custom.handoff_rating && <RatingCard offer={custom.handoff_rating} />}
      {custom && !custom.handoff_rating && <Bubble><RichText text={custom.text || T.unsupported} /></Bubble>}
      {uploads.map((u) => <UploadCard key={u.token} token={u.token} />)}
      {buttons.length > 0 && !(custom && custom.handoff_rating) && (
        <div className="cr-buttons" role="group" aria-label={T.choices}>
          {buttons.map((b, i) => (
            <button key={i} type="button" className="cr-btn" disabled={disabled}
              aria-pressed={msg.used === i ? true : undefined}
              onClick={() => send(b.payload || b.title, b.title, msg._id, i)}>
              {b.title}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

function UserMessage({ msg }) {
  const { T, busy, retry } = useContext(Ctx);
  return (
    <div className="cr-user">
      <Bubble>{msg.content.text}</Bubble>
      {msg.status === 'fail' && (
        <div className="cr-failed" role="alert">
          <span>{msg.error || T.error_network}</span>
          <button type="button" className="cr-btn cr-retry" disabled={busy} onClick={() => retry(msg)}>
            {T.retry}
          </button>
        </div>
      )}
    </div>
  );
}

export default function App() {
  const [T, setT] = useState(null);
  const [conf, setConf] = useState({});
  const [messages, setMessages] = useState([]);
  const [busy, setBusy] = useState(false);
  const [elder, setElder] = useState(() => {
    try { return localStorage.getItem('cr-elder') === '1'; } catch { return false; }
  });
  const [fatal, setFatal] = useState('');
  const [paused, setPaused] = useState(false); // a help-desk agent has the conversation
  const busyRef = useRef(false);
  const cursorRef = useRef(null); // how many history items this page has shown (server's count)
  const genRef = useRef(0); // bumped by every send: an older poll's answer is dropped
  const elderRef = useRef(elder);
  const composerRef = useRef(null);
  const messagesRef = useRef(null);
  const scrollTo = useRef(null);

  useEffect(() => {
    elderRef.current = elder;
    try { localStorage.setItem('cr-elder', elder ? '1' : '0'); } catch { /* ignore */ }
    document.documentElement.classList.toggle('cr-elder', elder);
  }, [elder]);

  // The message list is a live log for screen readers.
  useEffect(() => {
    const list = document.querySelector('.MessageList');
    if (list && T) {
      list.setAttribute('role', 'log');
      list.setAttribute('aria-live', 'polite');
      list.setAttribute('aria-label', T.log_label);
    }
  });

  const errorText = useCallback((e, texts) => {
    const t = texts || T;
    if (e instanceof ChatError) {
      if (e.kind === 'timeout') return t.error_timeout;
      if (e.kind === 'network') return t.error_network;
      if (e.data && e.data.message) return e.data.message;
    }
    return t.error_server;
  }, [T]);

  // After the assistant answers, bring the START of its first new message into view (a long
  // answer is read from the top, not from its citation block).
  useEffect(() => {
    const id = scrollTo.current;
    if (!id) return;
    scrollTo.current = null;
    const later = () => {
      const el = document.querySelector(`[data-msg-id="${id}"]`);
      if (el) el.scrollIntoView({ block: 'start', behavior: 'auto' });
    };
    // ChatUI scrolls to the end first (animated); come back to the start after it.
    [80, 450].forEach((ms) => setTimeout(later, ms));
  }, [messages]);

  // One request at a time: returns false (and sends nothing) while a reply is pending.
  const post = useCallback(async (userMsg, text, hidden) => {
    if (busyRef.current) return false;
    busyRef.current = true;
    genRef.current += 1;
    setBusy(true);
    if (userMsg) {
      setMessages((list) => [...list.filter((m) => m._id !== userMsg._id), { ...userMsg, status: 'pending', error: '' }]);
    }
    try {
      const data = await api.send(text, { elder: elderRef.current, hidden: !!hidden, shown: userMsg ? userMsg.content.text : undefined });
      if (typeof data.cursor === 'number') cursorRef.current = data.cursor;
      setPaused(!!data.paused);
      const quiet = data.paused && !(data.replies && data.replies.length); // the agent answers later
      const replies = quiet ? [] : fromBot(data.replies && data.replies.length ? data.replies : [{ text: T.empty_reply }]);
      if (replies.length) scrollTo.current = replies[0]._id;
      setMessages((list) => {
        const notices = data.notice ? [{ _id: nextId(), type: 'notice', position: 'center', content: { text: data.notice } }] : [];
        const base = data.expired ? [] : list.map((m) => (userMsg && m._id === userMsg._id ? { ...m, status: 'sent' } : m));
        const mine = data.expired && userMsg ? [{ ...userMsg, status: 'sent' }] : [];
        return [...base, ...notices, ...mine, ...replies];
      });
    } catch (e) {
      if (userMsg) {
        setMessages((list) => list.map((m) => (m._id === userMsg._id ? { ...m, status: 'fail', error: errorText(e) } : m)));
      } else {
        setMessages((list) => [...list, { _id: nextId(), type: 'notice', position: 'center', content: { text: errorText(e) } }]);
      }
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
    return true;
  }, [T, errorText]);

  const send = useCallback((text, shown, fromMsg, index) => {
    if (busyRef.current) return false;
    const userMsg = { _id: nextId(), type: 'user', position: 'right', content: { text: shown || text, payload: text } };
    if (fromMsg) setMessages((list) => list.map((m) => (m._id === fromMsg ? { ...m, used: index } : m)));
    post(userMsg, text);
    return true;
  }, [post]);

  const retry = useCallback((msg) => post(msg, msg.content.payload || msg.content.text), [post]);

  const greet = useCallback(() => post(null, '/greet', true), [post]);

  const start = useCallback(async () => {
    setFatal('');
    let texts = T;
    try {
      const c = await api.config();
      texts = c.texts;
      setT(c.texts);
      setConf(c);
      document.title = c.texts.title;
      await api.session();
      const h = await api.history();
      cursorRef.current = typeof h.cursor === 'number' ? h.cursor : (h.messages || []).length;
      const list = fromHistory(h.messages);
      setMessages(list);
      return list.length === 0;
    } catch (e) {
      setFatal(texts ? errorText(e, texts) : '');
      return false;
    }
  }, [T, errorText]);

  // Poll for messages that were not a reply to this page's own request: a help-desk agent's
  // replies and the hand-back (with its 好差评 question and the form's next question).
  useEffect(() => {
    if (!T) return undefined;
    let stopped = false;
    let inFlight = false;
    const tick = async () => {
      if (stopped || inFlight || busyRef.current || cursorRef.current === null) return;
      if (document.visibilityState === 'hidden') return;
      inFlight = true;
      const gen = genRef.current;
      const asked = cursorRef.current;
      try {
        const data = await api.updates(asked);
        if (stopped || gen !== genRef.current || busyRef.current || asked !== cursorRef.current) return;
        cursorRef.current = data.cursor;
        setPaused(!!data.paused);
        const fresh = fromBot(data.messages || []);
        if (fresh.length) {
          scrollTo.current = fresh[0]._id;
          setMessages((list) => [...list, ...fresh]);
        }
      } catch (e) {
        /* offline for a moment: the next tick tries again */
      } finally {
        inFlight = false;
      }
    };
    const timer = setInterval(tick, POLL_MS);
    return () => { stopped = true; clearInterval(timer); };
  }, [T]);

  const [ready, setReady] = useState(false);
  useEffect(() => {
    start().then((fresh) => {
      setReady(true);
      const notice = scannedNotice();
      if (notice) setTimeout(() => openNoticeRef.current(notice), 0);
      else if (fresh) setTimeout(() => greetRef.current(), 0);
    });
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const greetRef = useRef(greet);
  greetRef.current = greet;
  const openNotice = useCallback((token) => {
    const payload = `/open_notice{"notice_token": "${token}"}`;
    const userMsg = { _id: nextId(), type: 'user', position: 'right', content: { text: T.notice_scanned, payload } };
    return post(userMsg, payload);
  }, [T, post]);
  const openNoticeRef = useRef(openNotice);
  openNoticeRef.current = openNotice;

  // Pushed notices (到期提醒, 办理进度) while the page is open: asked for every
  // conf.notice_poll_seconds and when the page comes back into view.
  useEffect(() => {
    if (!ready || !T) return undefined;
    let stopped = false;
    const poll = async () => {
      if (stopped || document.hidden) return;
      try {
        const data = await api.notices();
        const got = (data && data.notices) || [];
        if (got.length && !stopped) {
          setMessages((list) => [...list, ...fromBot(got).map((m) => ({ ...m, pushed: true }))]);
        }
      } catch { /* offline or expired: try again later */ }
    };
    const timer = setInterval(poll, Math.max(1, conf.notice_poll_seconds || 30) * 1000);
    const onShow = () => { if (!document.hidden) poll(); };
    document.addEventListener('visibilitychange', onShow);
    poll();
    return () => { stopped = true; clearInterval(timer); document.removeEventListener('visibilitychange', onShow); };
  }, [ready, T, conf.notice_poll_seconds]);

  const newChat = useCallback(async () => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    try {
      await api.end();
      setMessages([{ _id: nextId(), type: 'notice', position: 'center', content: { text: T.new_chat_done } }]);
    } catch (e) {
      api.forget();
      setMessages([{ _id: nextId(), type: 'notice', position: 'center', content: { text: errorText(e) } }]);
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
    greetRef.current();
  }, [T, errorText]);

  if (!T) {
    return (
      <div className="cr-loading" role="status">
        {fatal || '正在连接…'}
        {fatal && <button type="button" className="cr-btn" onClick={() => start()}>重试</button>}
      </div>
    );
  }

  // Buttons work only on the newest message: anything said after them makes them stale.
  // (a pushed notice does not make the buttons above it stale)
  const answers = messages.filter((m) => !m.pushed);
  const lastId = answers.length ? answers[answers.length - 1]._id : null;
  const renderMessageContent = (msg) => {
    if (msg.type === 'user') return <UserMessage msg={msg} />;
    if (msg.type === 'notice') return <div className="cr-notice" role="status">{msg.content.text}</div>;
    return <BotMessage msg={msg} stale={msg.pushed || msg._id !== lastId} />;
  };

  const header = () => (
    <header className="cr-header">
      <div className="cr-title">
        <h1>{T.title}</h1>
        <p className="cr-operator">
          {fill(T.operator_line, { operator: conf.operator })}
          {' · '}
          <a href={conf.privacy_url} target="_blank" rel="noopener">{T.privacy_link}</a>
        </p>
      </div>
      <div className="cr-tools" role="toolbar" aria-label={T.tools}>
        <button type="button" className="cr-tool" aria-pressed={elder} onClick={() => setElder((v) => !v)}>
          {T.elder}
        </button>
        <button type="button" className="cr-tool" disabled={busy} onClick={() => send('/request_human', T.human)}>
          {T.human}
        </button>
        <button type="button" className="cr-tool" disabled={busy} onClick={newChat}>{T.new_chat}</button>
      </div>
    </header>
  );

  return (
    <Ctx.Provider value={{ T, busy, send, retry, composerRef }}>
      <div className={`cr-app ${elder ? 'is-elder' : ''}`}>
        <Chat
          elderMode={elder}
          locale="zh-CN"
          renderNavbar={header}
          messages={messages}
          messagesRef={messagesRef}
          renderMessageContent={renderMessageContent}
          isTyping={busy && ready}
          renderBeforeMessageList={() => (
            <div id="cr-log-label" className="cr-visually-hidden">{T.log_label}</div>
          )}
          renderQuickReplies={() => (
            <div className="cr-status" aria-live="polite">
              {busy && ready && <span className="cr-busy">{T.typing}</span>}
              {paused && !busy && <span className="cr-with-agent">{T.with_agent}</span>}
              {fatal && <span>{fatal}</span>}
            </div>
          )}
          Composer={Composer}
          onSend={() => {}}
        />
      </div>
    </Ctx.Provider>
  );
}
