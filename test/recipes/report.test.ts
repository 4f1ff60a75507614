// report.html opened in headless Chromium (playwright-core driving /usr/bin/chromium): every plot is
// drawn (each series a path with real extent, one bar per stage at the right height order), the stage
// table and transcripts are there and escaped, and the page logs no error. Skipped with a message when
// Chromium is not installed (CI installs it and sets R1TS_REQUIRE_CHROMIUM=1, which makes that a failure).

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { escapeHtml, renderReport } from '../../src/recipes/report.js';

const CHROMIUM = '/usr/bin/chromium';

/** The SVG element methods used in the page (the test's TypeScript has no DOM library). */
interface Drawn {
  getAttribute(name: string): string | null;
  getBBox(): { width: number; height: number };
  getTotalLength(): number;
}
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

test('on CI Chromium is installed', { skip: process.env.R1TS_REQUIRE_CHROMIUM !== '1' }, () => {
  assert.ok(existsSync(CHROMIUM), 'R1TS_REQUIRE_CHROMIUM=1 but /usr/bin/chromium is missing: apt-get install chromium');
});

const input = {
  title: 'mini-R1 <run>',
  subtitle: 'seed 0 & friends',
  barColumn: 'pass@1',
  stages: [
    { stage: 'cold start', values: { 'pass@1': 0.21, 'cons@4': 0.25, length: 48 } },
    { stage: 'GRPO', values: { 'pass@1': 0.64, 'cons@4': 0.7, length: 61 } },
    { stage: 'distilled', values: { 'pass@1': 0.43, 'cons@4': 'n/a', length: 55 } },
  ],
  plots: [
    { title: 'Reward', xLabel: 'step', yLabel: 'mean reward', series: [{ name: 'GRPO', points: Array.from({ length: 20 }, (_, i) => ({ x: i + 1, y: Math.min(1, i / 15) })) }] },
    { title: 'KL', xLabel: 'step', yLabel: 'KL', series: [{ name: 'policy ‖ ref', points: [{ x: 1, y: 0 }, { x: 2, y: 0.01 }, { x: 3, y: 0.03 }] }, { name: 'student', points: [{ x: 1, y: 0.02 }, { x: 3, y: 0.02 }] }] },
    { title: 'Empty', xLabel: 'step', yLabel: 'y', series: [{ name: 'nothing', points: [] }] },
  ],
  transcripts: [{ label: 'before RL', prompt: 'What is 2 + 3?', completion: '<think>\n2 + 3 = 5\n</think>\n\n\\boxed{5}' }],
};

test('escapeHtml escapes the five characters', () => {
  assert.equal(escapeHtml(`<a href="x">&'`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
});

test('the report page draws its plots and bars in headless Chromium', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1ts-report-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, renderReport(input));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);
    assert.equal(await page.title(), 'mini-R1 <run>');
    // Each series is a path whose drawn box has real width and height (the KL student line is flat: width only).
    const paths = await page.$$eval('svg path.series', (ps) => ps.map((el) => {
      const p = el as unknown as Drawn;
      const b = p.getBBox();
      return { name: p.getAttribute('data-name'), width: b.width, height: b.height, length: p.getTotalLength() };
    }));
    assert.deepEqual(paths.map((p) => p.name), ['GRPO', 'policy ‖ ref', 'student']);
    assert.ok(paths[0]!.width > 400 && paths[0]!.height > 150, JSON.stringify(paths[0]));
    assert.ok(paths.every((p) => p.length > 100), JSON.stringify(paths));
    // One bar per stage with a number, heights in the order of the values (0.21 < 0.43 < 0.64).
    const bars = await page.$$eval('svg rect.bar', (rs) => rs.map((el) => {
      const r = el as unknown as Drawn;
      return { stage: r.getAttribute('data-stage'), height: r.getBBox().height };
    }));
    assert.deepEqual(bars.map((b) => b.stage), ['cold start', 'GRPO', 'distilled']);
    assert.ok(bars[0]!.height < bars[2]!.height && bars[2]!.height < bars[1]!.height, JSON.stringify(bars));
    assert.equal(await page.$$eval('figure.plot.empty', (f) => f.length), 1);
    // The table, escaped text and the transcript are shown as text, not markup.
    assert.equal(await page.$$eval('table.stages tr', (r) => r.length), 4);
    assert.match(await page.innerText('p.subtitle'), /seed 0 & friends/);
    assert.match(await page.innerText('pre.completion'), /<think>\n2 \+ 3 = 5\n<\/think>/);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
