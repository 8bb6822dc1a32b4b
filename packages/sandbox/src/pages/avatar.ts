/** A generated avatar (initial on a colour derived from the person id), as headimgurl serves. */
import { createHash } from 'node:crypto';
import { escapeHtml } from './layout.ts';

export function avatarSvg(seed: string, label: string, size: number): string {
  const hue = (createHash('sha256').update(seed).digest()[0] ?? 0) * 1.4;
  const initial = escapeHtml([...label.trim()][0] ?? '?');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100"><rect width="100" height="100" fill="hsl(${hue.toFixed(0)},55%,55%)"/><text x="50" y="50" dy=".35em" text-anchor="middle" font-size="48" font-family="sans-serif" fill="#fff">${initial}</text></svg>`;
}
