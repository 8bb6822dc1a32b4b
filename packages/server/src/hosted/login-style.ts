/**
 * The login page's stylesheet, served as a file (`/assets/login-page.css`) rather than inline: the
 * same sheet styles the real page and the console's preview of it, and a preview in an iframe
 * under the console's content security policy (`style-src 'self'`) can load a file of this origin
 * but no inline style. The application's colour comes in the URL (`?accent=07c160`, six hex
 * digits, nothing else accepted), so the page needs no style attribute either.
 */

/** WeChat's green: the primary action's colour when the application sets none. */
export const DEFAULT_ACCENT = '#07c160';

/** The accent as a query value (`07c160`), or undefined when it is not six hex digits. */
export function accentParameter(color: string | undefined): string | undefined {
  return color !== undefined && /^#[0-9a-fA-F]{6}$/.test(color) ? color.slice(1).toLowerCase() : undefined;
}

/** A text colour that reads on the accent: dark on light colours, white on dark ones (WCAG relative luminance). */
function textOn(hex: string): string {
  const channel = (offset: number) => {
    const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  // Contrast against white (1.05 / (L + .05)) vs. against near-black #111 (≈ (L + .05) / .056).
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.056 ? '#fff' : '#111';
}

/**
 * The accent darkened until white text on it meets 4.5:1 where the colour is WeChat's light green
 * (#07c160 gives 2.4:1): the button keeps the brand's hue and stays readable.
 */
function readableAccent(hex: string): { background: string; text: string } {
  const text = textOn(hex);
  if (text === '#111' && hex.toLowerCase() === DEFAULT_ACCENT) return { background: '#06844a', text: '#fff' };
  return { background: hex, text };
}

export function loginStylesheet(accent: string | undefined): string {
  const { background, text } = readableAccent(accent === undefined ? DEFAULT_ACCENT : `#${accent}`);
  return `:root{--accent:${background};--on-accent:${text};--wechat:#07c160;--muted:#57606a;--line:#d0d7de}
body{font-family:system-ui,-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f2f3f5;color:#1f2328;line-height:1.5}
main{max-width:25rem;margin:3rem auto;padding:2rem 2rem 1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
@media (max-width:30rem){main{margin:0;min-height:100vh;border-radius:0;box-shadow:none;padding:1.5rem 1.25rem;box-sizing:border-box}}
.head{text-align:center;margin-bottom:1.25rem}.head img{max-height:48px;max-width:12rem;display:block;margin:0 auto .5rem}
.head .mark{width:48px;height:48px;display:block;margin:0 auto .5rem}
h1{font-size:1.35rem;margin:0}.muted{color:var(--muted)}.small{font-size:.875rem}
h2{font-size:1.05rem;margin:0;display:flex;gap:.5rem;align-items:center;justify-content:center}h2 svg{width:24px;height:24px;flex:none}
a{color:#0969da}.cancel{margin:1.25rem 0 0;text-align:center}
.primary-way{text-align:center;border:1px solid var(--line);border-radius:12px;padding:1rem}
.qr-box{width:300px;max-width:100%;min-height:300px;margin:.5rem auto 0;display:flex;flex-direction:column;align-items:center;justify-content:center;overflow:hidden}
.qr-box iframe{border:0;display:block}
.qr-box .placeholder{width:200px;height:200px;border:1px dashed var(--line);border-radius:8px;display:flex;align-items:center;justify-content:center;padding:1rem;box-sizing:border-box;color:var(--muted);font-size:.875rem}
.qr-box .placeholder svg{width:168px;height:168px;opacity:.35}
button,input{font:inherit}
.button,button.choice{display:flex;width:100%;box-sizing:border-box;align-items:center;justify-content:center;gap:.5rem;padding:.7rem 1rem;border-radius:8px;cursor:pointer;text-decoration:none}
.button.primary{background:var(--accent);color:var(--on-accent);border:0;font-weight:600;font-size:1.05rem;margin-top:.75rem}
.button.primary svg{width:22px;height:22px}
button.choice{background:#fff;border:1px solid var(--line);color:inherit;margin:.5rem 0 0}
button.choice[aria-expanded="true"]{border-color:var(--accent)}
a.choice{display:flex;justify-content:center;padding:.7rem 1rem;border:1px solid var(--line);border-radius:8px;margin:.5rem 0 0;color:inherit;text-decoration:none}
:focus-visible{outline:3px solid #0969da;outline-offset:2px}
.others{margin-top:1.5rem}.others h2{font-size:.9rem;font-weight:400;color:var(--muted);gap:.75rem}
.others h2::before,.others h2::after{content:"";flex:1;border-top:1px solid var(--line)}
.other-panel:empty{display:none}.other-panel{margin-top:.75rem;display:flex;justify-content:center}
.agreement{margin:1rem 0 0;font-size:.875rem;color:var(--muted);display:flex;gap:.5rem;align-items:flex-start;justify-content:center;text-align:left}
.agreement input{width:1.1rem;height:1.1rem;margin:.15rem 0 0;flex:none;accent-color:var(--accent)}
.agreement a{color:#0969da}
.notice{font-size:.875rem;color:var(--muted);margin:.75rem 0 0;text-align:center}
.status:empty{display:none}.status{color:#cf222e;text-align:center;font-size:.875rem}
weunion-login{--weunion-accent:${background};margin:0 auto}
.copy{margin-top:.75rem}.stand-in{display:inline-flex;width:auto;padding:.6rem 1.2rem}`;
}
