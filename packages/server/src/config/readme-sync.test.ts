import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configDocs } from './load.ts';

describe('README', () => {
  it('shows the configuration table exactly as the options table generates it', () => {
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const table = /<!-- config-table:start[^>]*-->\n([\s\S]*?)\n<!-- config-table:end -->/.exec(readme)?.[1];
    expect(table).toBe(configDocs());
  });
});
