// Staff pages: parts marked data-live="<seconds>" refresh themselves (the handoff queue, a
// conversation's transcript), so an agent sees a new handoff or a user's message within seconds
// without reloading (and without losing a reply being typed). No inline script: CSP script-src 'self'.
(function () {
  'use strict';
  var parts = document.querySelectorAll('[data-live][id]');
  if (!parts.length || !window.fetch || !window.DOMParser) return;
  var seconds = 3;
  parts.forEach(function (el) { seconds = Math.min(seconds, Number(el.getAttribute('data-live')) || 3); });
  var busy = false;
  function refresh() {
    if (busy || document.visibilityState === 'hidden') return;
    busy = true;
    var url = new URL(window.location.href);
    url.searchParams.delete('done');
    url.searchParams.set('live', '1');
    fetch(url.toString(), { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        document.querySelectorAll('[data-live][id]').forEach(function (el) {
          var fresh = doc.getElementById(el.id);
          if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
        });
      })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { busy = false; });
  }
  setInterval(refresh, seconds * 1000);
}());
