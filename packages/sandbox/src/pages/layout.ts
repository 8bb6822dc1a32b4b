/** The sandbox's HTML pages share one look; no third-party assets, no internet. */

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** A value embedded in an inline script: JSON with `<` escaped so it cannot close the script. */
export function scriptValue(value: unknown): string {
  return JSON.stringify(value).replaceAll('<', '\\u003c');
}

const STYLE = `
:root { color-scheme: light; --green: #07c160; --ink: #191919; --muted: #888; --line: #e5e5e5; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 -apple-system, "PingFang SC", "Microsoft YaHei", system-ui, sans-serif; color: var(--ink); background: #f2f2f2; }
main { max-width: 480px; margin: 0 auto; padding: 24px 16px; }
.card { background: #fff; border-radius: 12px; padding: 20px; margin-bottom: 16px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
h1 { font-size: 20px; margin: 0 0 12px; } h2 { font-size: 16px; margin: 0 0 10px; }
.muted { color: var(--muted); font-size: 13px; }
button, .button { display: inline-block; border: 0; border-radius: 8px; padding: 10px 16px; font: inherit; cursor: pointer; text-decoration: none; background: #f2f2f2; color: var(--ink); margin: 4px 4px 4px 0; }
button.primary, .button.primary { background: var(--green); color: #fff; }
button.danger { background: #fa5151; color: #fff; }
input, select, textarea { font: inherit; padding: 8px; border: 1px solid var(--line); border-radius: 8px; width: 100%; margin: 4px 0; }
.qr { display: block; margin: 12px auto; width: 240px; height: 240px; }
.qr svg { width: 100%; height: 100%; }
.ok { color: var(--green); } .error { color: #fa5151; }
pre { background: #f7f7f7; padding: 8px; border-radius: 8px; overflow-x: auto; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
.banner { background: #fff7e0; border: 1px solid #f5d77c; border-radius: 8px; padding: 6px 10px; font-size: 12px; margin-bottom: 12px; }
`;

/** `compact`: a page drawn inside another site's frame (WxLogin's 300×400 iframe): no margins, a one-line banner. */
const COMPACT_STYLE = `
body { background: #fff; } main { padding: 4px 8px; } .card { box-shadow: none; padding: 0; margin: 0; }
.banner { padding: 2px 6px; margin-bottom: 4px; text-align: center; } .qr { width: 220px; height: 220px; margin: 4px auto; }
h1 { font-size: 16px; margin: 0 0 4px; } p { margin: 4px 0; }
`;

export function layout(title: string, body: string, options: { compact?: boolean } = {}): string {
  const compact = options.compact === true;
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}${compact ? COMPACT_STYLE : ''}</style>
</head>
<body><main>
<div class="banner">${compact ? '模拟微信 · sandbox' : 'weunion WeChat sandbox · 模拟微信（离线）'}</div>
${body}
</main></body>
</html>`;
}

export function errorPage(message: string): string {
  return layout('错误 Error', `<div class="card"><h1>出错了 · Something is wrong</h1><p class="error">${escapeHtml(message)}</p></div>`);
}
