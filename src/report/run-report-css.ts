// The run report's stylesheet, inlined into the page: system fonts, quiet tables, status badges,
// highlighted risky nodes, charts that shrink to the page, and a print layout (one pool a page,
// highlights kept, collapsed journals open, nothing cut across a page).

export const RUN_REPORT_CSS = `
:root {
  color-scheme: light;
  --ink: #111827; --muted: #4b5563; --line: #e5e7eb; --head: #f9fafb;
  --ok: #166534; --ok-bg: #dcfce7; --fail: #991b1b; --fail-bg: #fee2e2;
  --warn: #92400e; --warn-bg: #fef3c7; --skip: #374151; --skip-bg: #f3f4f6;
}
* { box-sizing: border-box; }
body {
  margin: 0 auto; max-width: 1000px; padding: 24px; background: white; color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
}
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 18px; margin: 40px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
h3 { font-size: 15px; margin: 24px 0 8px; }
h4 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); }
h1 code, h2 code { font-size: inherit; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f6; padding: 1px 4px; border-radius: 3px; }
a { color: #1d4ed8; }
p { margin: 6px 0; }
ul, ol { margin: 4px 0; padding-left: 22px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--head); font-weight: 600; white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.nowrap { white-space: nowrap; }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: 12px; font-weight: 600; vertical-align: middle; white-space: nowrap; }
.status-ok { color: var(--ok); background: var(--ok-bg); }
.status-failed, .status-partial { color: var(--fail); background: var(--fail-bg); }
.status-busy { color: var(--warn); background: var(--warn-bg); }
.status-skipped { color: var(--skip); background: var(--skip-bg); }
dl.facts { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 0 0 12px; }
dl.facts dt { color: var(--muted); font-size: 12px; }
dl.facts dd { margin: 0; font-weight: 600; }
.error { color: var(--fail); background: var(--fail-bg); border-left: 4px solid var(--fail); padding: 8px 12px; white-space: pre-wrap; }
.drift { color: var(--fail); font-weight: 600; }
.empty { color: var(--muted); font-style: italic; }
.notes { color: var(--muted); }
tr.level-provision td { background: var(--warn-bg); }
tr.level-transition td { background: var(--fail-bg); }
.tag { font-size: 11px; font-weight: 600; margin-left: 4px; }
tr.level-provision .tag { color: var(--warn); }
tr.level-transition .tag { color: var(--fail); }
ul.alerts { list-style: none; padding-left: 0; }
ul.alerts li::before { content: "⚠ "; color: var(--warn); }
figure { margin: 8px 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
details.records > summary { cursor: pointer; color: var(--muted); margin: 8px 0; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section.pool, section.alerts { break-before: page; }
  h2, h3, h4 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  /* Collapsed journals print open (browsers with ::details-content; others print the summary). */
  details::details-content { content-visibility: visible; display: block; }
}
`;
