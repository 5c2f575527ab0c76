"""CSS and the one small script of the UI (passed to ``launch(css=..., head=...)``)."""

from __future__ import annotations

CSS = """
#status-line { font-size: 0.9em; color: var(--body-text-color-subdued); }
#status-line p { margin: 0; }
.offscreen { position: absolute !important; left: -10000px !important; width: 1px !important;
  height: 1px !important; overflow: hidden !important; }
.question { white-space: pre-wrap; }
.queued-note { font-size: 0.8em; opacity: 0.8; margin-top: 0.2em; }
.answer { line-height: 1.55; }
.answer p { margin: 0 0 0.5em 0; }
.answer p:last-child { margin-bottom: 0; }
.answer ul, .answer ol { margin: 0.2em 0 0.5em 1.3em; padding: 0; }
.answer li { margin: 0.15em 0; }
.answer .md-head { margin-top: 0.6em; }
.answer .cursor { opacity: 0.6; }
.answer .waiting { color: var(--body-text-color-subdued); font-style: italic; }
.cite { white-space: nowrap; }
a.cite-link {
  display: inline-block; min-width: 1.3em; padding: 0 0.3em; margin: 0;
  border-radius: 0.6em; background: #dbeafe; color: #1e3a8a !important; font-weight: 600;
  font-size: 0.85em; text-align: center; text-decoration: none !important; cursor: pointer;
}
a.cite-link:hover, a.cite-link:focus { background: #93c5fd; }
.query-note { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 0.4em; }
.scope-chip {
  display: inline-block; font-size: 0.78em; font-weight: 600; color: #065f46; background: #d1fae5;
  border: 1px solid #6ee7b7; border-radius: 999px; padding: 0.05em 0.6em; margin-bottom: 0.4em;
  max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
}
.answer.abstained {
  border-left: 4px solid #d97706; background: rgba(217, 119, 6, 0.10); padding: 0.5em 0.8em; border-radius: 4px;
}
.abstain-title, .stopped-title {
  font-weight: 700; color: #b45309; text-transform: uppercase; letter-spacing: 0.03em; font-size: 0.85em;
}
.answer.stopped { border-left: 4px solid #9ca3af; padding-left: 0.7em; }
.answer.uncertain {
  border-left: 4px solid #6b7280; background: rgba(107, 114, 128, 0.08); padding: 0.5em 0.8em; border-radius: 4px;
}
.status-line { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.2em 0.5em; margin-bottom: 0.35em; }
.status-badge {
  display: inline-block; font-size: 0.75em; font-weight: 700; text-transform: uppercase; letter-spacing: 0.03em;
  border-radius: 999px; padding: 0.05em 0.6em; border: 1px solid;
}
.status-answered { color: #065f46; background: #d1fae5; border-color: #6ee7b7; }
.status-uncertain { color: #374151; background: #f3f4f6; border-color: #9ca3af; }
.status-not_covered { color: #92400e; background: #fef3c7; border-color: #fcd34d; }
.status-why { font-size: 0.82em; color: var(--body-text-color-subdued); }
.stopped-title { color: #4b5563; }
.abstain-hint { font-size: 0.85em; margin-top: 0.3em; color: var(--body-text-color-subdued); }
.chat-busy { font-size: 0.85em; color: #1e3a8a; background: #eff6ff; border-radius: 6px; padding: 0.3em 0.6em; }
#chat-status { min-height: 0; }
.upload-status { font-size: 0.9em; padding: 0.45em 0.7em; border-radius: 6px; background: #eff6ff; color: #1e3a8a;
  min-height: 2.4em; }
.upload-status.idle { background: transparent; color: var(--body-text-color-subdued); }
#upload-status { min-height: 2.4em; }
#ingest-progress { min-height: 2.2em; position: relative; }

#sources-panel { max-height: 72vh; overflow-y: auto; padding-right: 0.3em; overscroll-behavior: contain; }
.sources-empty { color: var(--body-text-color-subdued); font-size: 0.92em; padding: 0.5em 0; }
.turn-tabs { display: flex; flex-wrap: wrap; gap: 0.3em; position: sticky; top: 0; z-index: 2; padding: 0.2em 0 0.4em;
  background: var(--block-background-fill, var(--background-fill-primary)); }
.turn-tab { border: 1px solid var(--block-border-color); border-radius: 6px; padding: 0.1em 0.55em;
  font-size: 0.85em; background: var(--background-fill-secondary); cursor: pointer; }
.turn-tab.active { background: #2563eb; color: white; border-color: #2563eb; }
.turn-sources { display: none; margin-bottom: 1.2em; }
.turn-sources.active { display: block; }
.turn-head { font-weight: 600; margin: 0.4em 0; color: var(--body-text-color-subdued); font-size: 0.92em; }
.turn-num {
  display: inline-block; background: var(--neutral-200); color: #111827; border-radius: 4px; padding: 0 0.35em;
}
.cite-card, .match-card {
  border: 1px solid var(--block-border-color); border-radius: 8px; padding: 0.6em 0.8em; margin: 0.5em 0;
  background: var(--block-background-fill); transition: box-shadow 0.3s, border-color 0.3s;
}
.cite-card.targeted {
  border-color: #2563eb; box-shadow: 0 0 0 3px rgba(37, 99, 235, 0.55); background: rgba(37, 99, 235, 0.07);
}
.match-card { border-style: dashed; opacity: 0.9; }
.matches-label {
  display: inline-block; font-weight: 700; color: #b45309; font-size: 0.82em; text-transform: uppercase;
  letter-spacing: 0.03em; margin: 0.2em 0;
}
.card-head { font-weight: 600; margin-bottom: 0.3em; }
.card-head .num { color: #2563eb; }
.card-head .page {
  font-weight: 500; font-size: 0.85em; background: var(--neutral-200); color: #111827; border-radius: 4px;
  padding: 0 0.35em; margin-left: 0.3em; white-space: nowrap;
}
.quote { font-size: 0.92em; line-height: 1.5; }
.quote .ctx, .passage { color: var(--body-text-color-subdued); }
.passage { font-size: 0.88em; line-height: 1.5; margin-top: 0.3em; }
mark.support { background: #fde68a; color: #111827; padding: 0 0.1em; border-radius: 2px; }
details.full-passage { margin-top: 0.35em; font-size: 0.88em; }
details.full-passage summary { cursor: pointer; color: #2563eb; }
.card-foot { display: flex; align-items: center; justify-content: space-between; gap: 0.5em; margin-top: 0.4em;
  flex-wrap: wrap; }
button.view-source { font-size: 0.82em; border: 1px solid #2563eb; color: #1d4ed8; background: #eff6ff;
  border-radius: 6px; padding: 0.15em 0.6em; cursor: pointer; }
button.view-source:hover { background: #dbeafe; }
.card-source { font-size: 0.78em; color: var(--body-text-color-subdued); font-family: monospace; }
.inline-card { margin-top: 0.6em; }
.inline-card .inline-close { float: right; border: none; background: transparent; cursor: pointer; font-size: 0.9em; }

.viewer-backdrop { position: fixed; inset: 0; z-index: 1000; background: rgba(15, 23, 42, 0.55);
  display: flex; align-items: center; justify-content: center; padding: 2vh 2vw; }
.viewer-backdrop.closed { display: none; }
.viewer { background: var(--background-fill-primary, white); color: var(--body-text-color); border-radius: 10px;
  width: min(1250px, 96vw); max-height: 96vh; display: flex; flex-direction: column; overflow: hidden;
  box-shadow: 0 10px 40px rgba(0, 0, 0, 0.35); }
.viewer-head { display: flex; justify-content: space-between; align-items: center; gap: 1em; padding: 0.6em 1em;
  border-bottom: 1px solid var(--block-border-color); font-weight: 600; }
.viewer-close { border: 1px solid var(--block-border-color); border-radius: 6px; padding: 0.2em 0.7em;
  background: var(--background-fill-secondary); cursor: pointer; white-space: nowrap; }
.viewer-body { display: flex; gap: 1em; padding: 0.8em 1em; overflow: auto; min-height: 0; flex: 1 1 auto; }
.viewer-pages { flex: 3; min-width: 0; display: flex; flex-direction: column; gap: 1.2em; }
.viewer-page { margin: 0; min-width: 0; }  /* one page, or two stacked for a sentence over a break */
.page-scroll { overflow-x: auto; }
.viewer-page img { display: block; width: 100%; height: auto; border: 1px solid var(--block-border-color); }
.viewer-page figcaption { font-size: 0.85em; color: var(--body-text-color-subdued); margin-top: 0.3em; }
.viewer-text { flex: 3; line-height: 1.6; white-space: normal; }
.viewer-quote { flex: 1; min-width: 220px; position: sticky; top: 0; align-self: flex-start; }
.viewer-label { font-size: 0.8em; text-transform: uppercase; letter-spacing: 0.03em; color: #b45309; font-weight: 700; }
.viewer-quote blockquote { margin: 0.4em 0; padding: 0.4em 0.7em; border-left: 4px solid #facc15;
  background: #fefce8; color: #111827; }
.notice { padding: 0.5em 0.8em; border-radius: 6px; border: 1px solid var(--block-border-color); margin: 0.3em 0; }
.notice.error { border-color: #dc2626; background: rgba(220, 38, 38, 0.08); }
.notice.ok { border-color: #16a34a; background: rgba(22, 163, 74, 0.08); }
.sync-report { margin-bottom: 0.5em; }
.sync-report ul { margin: 0.2em 0 0.4em 1.2em; padding: 0; }
.sync-report li { margin: 0.15em 0; }
.sync-report li.failed { color: #dc2626; }
.sync-summary { font-size: 0.85em; color: var(--body-text-color-subdued); }
.sync-heading { font-weight: 600; font-size: 0.92em; }
.upload-current .sync-report { border-left: 4px solid #2563eb; padding: 0.3em 0.7em; background: #f8fafc;
  border-radius: 4px; }
details.earlier-uploads { margin-top: 0.4em; font-size: 0.9em; color: var(--body-text-color-subdued); }
details.earlier-uploads summary { cursor: pointer; color: #2563eb; }
details.earlier-uploads .sync-report, details.earlier-uploads .notice { opacity: 0.85; margin-left: 0.6em; }
.upload-refused { margin: 0.3em 0; font-size: 0.92em; }
.upload-hint { font-size: 0.82em; color: var(--body-text-color-subdued); padding: 0 0.7em; }
.upload-refused[hidden] { display: none; }
.doc-gone { font-size: 0.82em; color: #b45309; font-style: italic; }
.cite-card.doc-deleted { border-style: dashed; }

/* evaluation tables: column names break between words, never inside one; values are never clipped */
#eval-questions th, #eval-summary th { word-break: normal !important; overflow-wrap: normal !important;
  hyphens: none; }
#eval-questions th *, #eval-summary th * { word-break: normal !important; overflow-wrap: normal !important; }
#eval-questions td:first-child, #eval-questions td:first-child * { word-break: keep-all !important;
  overflow-wrap: normal !important; }
#eval-summary td, #eval-summary td * { white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; }

/* the chat takes the window's height left over, so the question box is on screen and the page does not
   scroll at 1400x900 (what sits above and below the chat, the footer included, is ~545 px) */
#chatbot { height: clamp(300px, calc(100vh - 545px), 1100px) !important; max-height: none !important; }
#chat-foot { align-items: flex-start; flex-wrap: nowrap; }
#chat-status { flex: 1 1 auto; }
#chat-options { flex: 0 0 220px; }

@media (max-width: 768px) {
  #chatbot { height: clamp(380px, calc(100vh - 300px), 900px) !important; }
  .viewer-body { flex-direction: column; padding: 0.5em; }
  .viewer-quote { position: static; min-width: 0; order: -1; }
  .viewer-page img { width: 190%; max-width: none; }  /* zoomed in: small print stays readable */
  .viewer-head { font-size: 0.9em; }
  #sources-panel { max-height: none; }
}
"""

#: Citations, the sources panel's answer switcher and the source viewer. Every handler is delegated
#: from the document, so it keeps working when Gradio re-renders the chat or the panel.
HEAD = """
<script>
(function () {
  if (window.__panelUI) { return; }
  window.__panelUI = true;
  var phone = function () { return window.matchMedia('(max-width: 768px)').matches; };
  var panel = function () { return document.getElementById('sources-panel'); };

  function activate(turn) {
    var p = panel();
    if (!p || !turn) { return; }
    p.querySelectorAll('.turn-sources').forEach(function (s) {
      s.classList.toggle('active', s.getAttribute('data-turn') === String(turn));
    });
    p.querySelectorAll('.turn-tab').forEach(function (t) {
      t.classList.toggle('active', t.getAttribute('data-turn') === String(turn));
    });
  }

  // Scrolls the sources panel, and nothing else, so the card is in view.
  function reveal(card) {
    var p = panel();
    if (!p || !card) { return; }
    var top = card.getBoundingClientRect().top - p.getBoundingClientRect().top;
    p.scrollTop = Math.max(0, p.scrollTop + top - 40);
  }

  function openInPlace(link, card) {
    var turn = link.closest('.turn') || link.parentElement;
    var id = 'inline-' + card.id;
    var open = turn.querySelector('[data-for="' + card.id + '"]');
    turn.querySelectorAll('.inline-card').forEach(function (c) { c.remove(); });
    if (open) { return; }  // a second tap closes it
    var copy = card.cloneNode(true);
    copy.id = id;
    copy.setAttribute('data-for', card.id);
    copy.classList.add('inline-card', 'targeted');
    var close = document.createElement('button');
    close.className = 'inline-close';
    close.type = 'button';
    close.textContent = 'Close ✕';
    copy.insertBefore(close, copy.firstChild);
    turn.appendChild(copy);
    // the chat scrolls inside itself: bring the whole card into its view, moving nothing else
    var scroller = copy.parentElement;
    while (scroller && scroller !== document.body && !(scroller.scrollHeight > scroller.clientHeight + 2 &&
           /(auto|scroll)/.test(getComputedStyle(scroller).overflowY))) { scroller = scroller.parentElement; }
    if (scroller && scroller !== document.body) {
      var box = copy.getBoundingClientRect(), view = scroller.getBoundingClientRect();
      if (box.bottom > view.bottom) {
        scroller.scrollTop += Math.min(box.bottom - view.bottom + 8, box.top - view.top);
      }
    }
  }

  // Scrolls the page image so the marked sentence is in view (on a phone the page is zoomed in).
  function focusMark(backdrop) {
    var fig = backdrop.querySelector('.viewer-page');
    var img = fig && fig.querySelector('img');
    var m = ((fig && fig.getAttribute('data-mark')) || '').split(',').map(parseFloat);
    if (!img || m.length !== 4 || isNaN(m[0])) { return; }
    var go = function () {
      var body = backdrop.querySelector('.viewer-body');
      var scroller = fig.querySelector('.page-scroll');
      scroller.scrollLeft = Math.max(0, m[0] * img.clientWidth - 16);
      var imgTop = img.getBoundingClientRect().top - body.getBoundingClientRect().top + body.scrollTop;
      body.scrollTop = Math.max(0, imgTop + m[1] * img.clientHeight - body.clientHeight / 3);
      backdrop.setAttribute('data-focused', '1');
    };
    if (img.complete) { go(); } else { img.addEventListener('load', go, { once: true }); }
  }

  function showSource(key) {
    var box = document.querySelector('#source-key textarea, #source-key input');
    var button = document.getElementById('source-open');
    if (!box || !button) { return; }
    var old = document.querySelector('#source-viewer .viewer-backdrop');
    var before = old ? old.getAttribute('data-opened') : '';
    box.value = key;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(function () { button.click(); }, 60);
    var tries = 0;
    var wait = setInterval(function () {
      var b = document.querySelector('#source-viewer .viewer-backdrop');
      if (b && b.getAttribute('data-opened') !== before) { clearInterval(wait); focusMark(b); }
      if (++tries > 300) { clearInterval(wait); }
    }, 100);
  }

  document.addEventListener('click', function (event) {
    var t = event.target;
    if (!t || !t.closest) { return; }
    var link = t.closest('a.cite-link');
    if (link) {
      event.preventDefault();
      event.stopPropagation();
      var id = link.getAttribute('data-target') || (link.getAttribute('href') || '').replace(/^#/, '');
      var card = id ? document.getElementById(id) : null;
      if (!card) { return; }
      if (phone()) { openInPlace(link, card); return; }
      activate(link.getAttribute('data-turn') || card.getAttribute('data-turn'));
      document.querySelectorAll('.cite-card.targeted').forEach(function (c) { c.classList.remove('targeted'); });
      card.classList.add('targeted');
      reveal(card);
      return;
    }
    if (t.closest('.inline-close')) { var c = t.closest('.inline-card'); if (c) { c.remove(); } return; }
    var tab = t.closest('.turn-tab');
    if (tab) { activate(tab.getAttribute('data-turn')); return; }
    var view = t.closest('button.view-source');
    if (view) { event.preventDefault(); showSource(view.getAttribute('data-key')); return; }
    if (t.closest('.viewer-close') || t.classList.contains('viewer-backdrop')) {
      var b = t.closest('.viewer-backdrop');
      if (b) { b.classList.add('closed'); }
      return;
    }
    var bubble = t.closest('#chatbot .turn');
    if (bubble && !phone()) { activate(bubble.getAttribute('data-turn')); }
  }, true);

  // On a phone the page opens at its top (the title, then the chat), not scrolled to the autofocused box.
  // It keeps the box's focus, and stops at the first thing the user does.
  if (phone()) {
    var settle = 0;
    var top = setInterval(function () {
      if (document.querySelector('#question textarea')) { window.scrollTo(0, 0); if (++settle > 10) { stop(); } }
    }, 100);
    var acts = ['pointerdown', 'keydown', 'touchstart', 'wheel'];
    var stop = function () {
      clearInterval(top);
      acts.forEach(function (t) { window.removeEventListener(t, stop, true); });
    };
    acts.forEach(function (t) { window.addEventListener(t, stop, true); });
    setTimeout(stop, 15000);
  }

  // On a phone the conversation list starts closed (it would cover the chat); its tab opens it.
  var poll = setInterval(function () {
    var bar = document.getElementById('conv-sidebar');
    if (!bar) { return; }
    clearInterval(poll);
    if (phone() && bar.classList.contains('open')) {
      var toggle = bar.querySelector('.toggle-button');
      if (toggle) { toggle.click(); }
    }
  }, 100);
  setTimeout(function () { clearInterval(poll); }, 30000);

  // The app's upload limit (PANEL_MAX_UPLOAD_MB), applied before a byte is sent: a file over it is
  // taken out of the selection or the drop and named in the page, in the words the server would use.
  function mb(size) {
    return size >= 100000 ? (size / 1000000).toFixed(1) + ' MB' : size.toLocaleString('en-US') + ' bytes';
  }
  function tooLarge(files) {
    var box = document.getElementById('upload-limit');
    var limit = box ? parseInt(box.getAttribute('data-max-bytes'), 10) : NaN;
    var out = { ok: [], refused: [] };
    Array.prototype.forEach.call(files || [], function (f) {
      (!isNaN(limit) && f.size > limit ? out.refused : out.ok).push(f);
    });
    var say = box && box.querySelector('.upload-refused');
    if (say) {
      say.hidden = out.refused.length === 0;
      say.textContent = out.refused.map(function (f) {
        return f.name + ': is ' + mb(f.size) + '; the limit is ' + mb(limit) + ' (PANEL_MAX_UPLOAD_MB). Not sent.';
      }).join(' ');
    }
    return out;
  }
  function resend(input, files) {
    var dt = new DataTransfer();
    files.forEach(function (f) { dt.items.add(f); });
    input.files = dt.files;
    input.__panelChecked = true;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }
  document.addEventListener('change', function (event) {
    var input = event.target;
    if (!input || !input.matches || !input.matches('#upload input[type=file]')) { return; }
    if (input.__panelChecked) { input.__panelChecked = false; return; }
    var checked = tooLarge(input.files);
    if (!checked.refused.length) { return; }
    event.stopImmediatePropagation();
    event.preventDefault();
    if (checked.ok.length) { resend(input, checked.ok); } else { input.value = ''; }
  }, true);
  document.addEventListener('drop', function (event) {
    var zone = event.target && event.target.closest && event.target.closest('#upload');
    if (!zone || !event.dataTransfer) { return; }
    var checked = tooLarge(event.dataTransfer.files);
    if (!checked.refused.length) { return; }
    event.stopImmediatePropagation();
    event.preventDefault();
    var input = zone.querySelector('input[type=file]');
    if (input && checked.ok.length) { resend(input, checked.ok); }
  }, true);

  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') {
      document.querySelectorAll('.viewer-backdrop').forEach(function (b) { b.classList.add('closed'); });
    }
  });
})();
</script>
"""
