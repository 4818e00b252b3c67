// Embed launcher for any page (e.g. the 四川政务服务网 "一件事" column):
//   <script src="https://<rasa-host>/webhooks/web/widget.js" data-server="https://<rasa-host>" defer></script>
// Adds a 「在线咨询」 button; it opens the full widget page in a panel (an iframe on the assistant's
// origin, so the host page never sees the conversation). Plain script: no imports, no globals.
(function () {
  var script = document.currentScript;
  if (!script || window.__crWidgetLoaded) return;
  window.__crWidgetLoaded = true;
  // Filled by the server (bot/channels/web.py) from guides/messages.yml, widget.launcher.*.
  // (window.__crWidgetTexts first: it also keeps the minifier from folding the placeholder away.)
  var T = window.__crWidgetTexts || "__CR_LAUNCHER_TEXTS__";
  if (typeof T !== 'object') return;
  var server = (script.getAttribute('data-server') || new URL('.', script.src).href).replace(/\/+$/, '');
  var pageUrl = /\/webhooks\/web$/.test(server) ? server + '/' : server + '/webhooks/web/';
  try {
    var u = new URL(pageUrl, window.location.href);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return;
    pageUrl = u.href;
  } catch (e) { return; }

  var css = [
    '.crw-btn{position:fixed;right:16px;bottom:16px;z-index:2147483000;min-height:48px;min-width:48px;',
    'padding:0 18px;border:0;border-radius:24px;background:#b0102a;color:#fff;font:16px/1 sans-serif;',
    'box-shadow:0 2px 10px rgba(0,0,0,.25);cursor:pointer}',
    '.crw-btn:focus-visible,.crw-close:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}',
    '.crw-panel{position:fixed;right:16px;bottom:16px;z-index:2147483001;width:400px;height:min(680px,calc(100dvh - 32px));',
    'max-width:calc(100vw - 32px);background:#fff;border-radius:12px;overflow:hidden;',
    'box-shadow:0 6px 30px rgba(0,0,0,.3);display:none;flex-direction:column}',
    '.crw-panel.is-open{display:flex}',
    '.crw-bar{display:flex;justify-content:flex-end;background:#8c0d22}',
    '.crw-close{min-height:44px;min-width:64px;border:0;background:transparent;color:#fff;font:16px sans-serif;cursor:pointer}',
    '.crw-frame{flex:1;border:0;width:100%}',
    '@media (max-width:600px){.crw-panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100vh;height:100dvh;border-radius:0}}',
  ].join('');
  var style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);

  var btn = document.createElement('button');
  btn.type = 'button';
  btn.className = 'crw-btn';
  btn.textContent = T.open;
  btn.setAttribute('aria-haspopup', 'dialog');

  var panel = document.createElement('div');
  panel.className = 'crw-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', T.title);
  var bar = document.createElement('div');
  bar.className = 'crw-bar';
  var close = document.createElement('button');
  close.type = 'button';
  close.className = 'crw-close';
  close.textContent = T.close;
  bar.appendChild(close);
  panel.appendChild(bar);
  var frame = null;

  btn.addEventListener('click', function () {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.className = 'crw-frame';
      frame.title = T.title;
      frame.src = pageUrl;
      frame.setAttribute('allow', 'camera');
      panel.appendChild(frame);
    }
    panel.classList.add('is-open');
    btn.style.display = 'none';
    close.focus();
  });
  close.addEventListener('click', function () {
    panel.classList.remove('is-open');
    btn.style.display = '';
    btn.focus();
  });
  document.body.appendChild(btn);
  document.body.appendChild(panel);
})();
