"""CSS and the one small script of the UI (passed to ``launch(css=..., head=...)``)."""

from __future__ import annotations

CSS = """
#status-line { font-size: 0.9em; color: var(--body-text-color-subdued); }
#status-line p { margin: 0; }
.question { white-space: pre-wrap; }
.answer { line-height: 1.55; }
.answer .cursor { opacity: 0.6; }
.cite { white-space: nowrap; }
a.cite-link {
  display: inline-block; min-width: 1.4em; padding: 0 0.35em; margin: 0 0.1em;
  border-radius: 0.6em; background: #dbeafe; color: #1e3a8a !important; font-weight: 600;
  font-size: 0.85em; text-align: center; text-decoration: none !important; cursor: pointer;
}
a.cite-link:hover, a.cite-link:focus { background: #93c5fd; }
.query-note { font-size: 0.85em; color: var(--body-text-color-subdued); margin-bottom: 0.4em; }
.answer.abstained {
  border-left: 4px solid #d97706; background: rgba(217, 119, 6, 0.10); padding: 0.5em 0.8em; border-radius: 4px;
}
.abstain-title {
  font-weight: 700; color: #b45309; text-transform: uppercase; letter-spacing: 0.03em; font-size: 0.85em;
}
.abstain-hint { font-size: 0.85em; margin-top: 0.3em; color: var(--body-text-color-subdued); }
#sources-panel { max-height: 72vh; overflow-y: auto; padding-right: 0.3em; }
.sources-empty { color: var(--body-text-color-subdued); font-size: 0.92em; padding: 0.5em 0; }
.turn-sources { margin-bottom: 1.2em; }
.turn-head { font-weight: 600; margin: 0.4em 0; color: var(--body-text-color-subdued); font-size: 0.92em; }
.turn-num {
  display: inline-block; background: var(--neutral-200); color: #111827; border-radius: 4px; padding: 0 0.35em;
}
.cite-card, .match-card {
  border: 1px solid var(--block-border-color); border-radius: 8px; padding: 0.6em 0.8em; margin: 0.5em 0;
  background: var(--block-background-fill); scroll-margin: 1em; transition: box-shadow 0.3s, border-color 0.3s;
}
.cite-card:target, .cite-card.targeted {
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
.passage { font-size: 0.9em; line-height: 1.5; color: var(--body-text-color-subdued); }
.passage mark.support { background: #fde68a; color: #111827; padding: 0 0.1em; border-radius: 2px; }
.card-source { font-size: 0.78em; color: var(--body-text-color-subdued); margin-top: 0.3em; font-family: monospace; }
.notice { padding: 0.5em 0.8em; border-radius: 6px; border: 1px solid var(--block-border-color); }
.notice.error { border-color: #dc2626; background: rgba(220, 38, 38, 0.08); }
.notice.ok { border-color: #16a34a; background: rgba(22, 163, 74, 0.08); }
.sync-report ul { margin: 0.2em 0 0.4em 1.2em; padding: 0; }
.sync-report li { margin: 0.15em 0; }
.sync-report li.failed { color: #dc2626; }
.sync-summary { font-size: 0.85em; color: var(--body-text-color-subdued); }
"""

#: Clicking a [n] marker brings its card into view and highlights it. The markers are also plain
#: ``#cite-<turn>-<n>`` links, so the CSS ``:target`` rule covers a browser without this script.
HEAD = """
<script>
(function () {
  if (window.__panelCitations) { return; }
  window.__panelCitations = true;
  document.addEventListener('click', function (event) {
    var link = event.target && event.target.closest ? event.target.closest('a.cite-link') : null;
    if (!link) { return; }
    var id = link.getAttribute('data-target') || (link.getAttribute('href') || '').replace(/^#/, '');
    var card = id ? document.getElementById(id) : null;
    if (!card) { return; }
    event.preventDefault();
    event.stopPropagation();
    document.querySelectorAll('.cite-card.targeted').forEach(function (c) { c.classList.remove('targeted'); });
    card.classList.add('targeted');
    card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
  }, true);
})();
</script>
"""
