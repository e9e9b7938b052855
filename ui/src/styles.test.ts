/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Read from disk: Vitest does not process CSS, and happy-dom's URL does not take file: URLs.
const source = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'styles.css'), 'utf8');
const css = source.replace(/\/\*[\s\S]*?\*\//g, '');

describe('the stylesheet', () => {
  it('uses logical properties only, so Arabic mirrors itself', () => {
    const physical = css.match(
      /(^|[\s;{])(margin|padding|border)-(left|right)\b|(^|[\s;{])(left|right)\s*:|text-align\s*:\s*(left|right)|float\s*:\s*(left|right)|border-(top|bottom)-(left|right)-radius/gm,
    );
    expect(physical).toBeNull();
  });

  it('loads the shipped Latin, Ethiopic and Arabic fonts from /fonts', () => {
    for (const file of [
      'NotoSans-Regular.ttf',
      'NotoSansEthiopic-Regular.ttf',
      'NotoSansArabic-Regular.ttf',
    ]) {
      expect(css).toContain(`url('/fonts/${file}')`);
    }
  });

  it('gives kiosk touch targets at least 48px', () => {
    const target = css.match(/\[data-mode='kiosk'\]\s*{[^}]*--target:\s*(\d+)px/);
    expect(Number(target?.[1])).toBeGreaterThanOrEqual(48);
    expect(css).toMatch(/\.kiosk-button\s*{[^}]*min-block-size:\s*72px/);
  });
});
