// report.html of a recipe run: one self-contained page (inline SVG, no script, no network) with the
// stage table and its bar chart, line plots of the training curves (reward, accuracy, completion
// length, KL over steps) and sample transcripts. Every text from a run is HTML-escaped.

export interface Series {
  /** Legend label, e.g. "GRPO reward". */
  readonly name: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface Plot {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
}

export interface StageRow {
  readonly stage: string;
  /** Column name → value; numbers are shown with 3 significant decimals, strings as they are. */
  readonly values: Readonly<Record<string, number | string>>;
}

export interface Transcript {
  readonly label: string;
  readonly prompt: string;
  readonly completion: string;
}

export interface ReportInput {
  readonly title: string;
  /** One line under the title (machine, seed, wall time …). */
  readonly subtitle?: string;
  readonly stages: readonly StageRow[];
  /** The stage table column drawn as the bar chart (e.g. "pass@1"). */
  readonly barColumn: string;
  readonly plots: readonly Plot[];
  readonly transcripts: readonly Transcript[];
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
const W = 560, H = 300, PAD = { left: 56, right: 16, top: 28, bottom: 44 };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(v: number | string): string {
  if (typeof v === 'string') return escapeHtml(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/** Round tick positions spanning [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Number(t.toPrecision(12)));
  return out;
}

function range(values: readonly number[], includeZero: boolean): [number, number] {
  let lo = Math.min(...values), hi = Math.max(...values);
  if (includeZero) lo = Math.min(lo, 0);
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1];
  return [lo, hi];
}

function axes(xs: [number, number], ys: [number, number], xLabel: string, yLabel: string, sx: (x: number) => number, sy: (y: number) => number): string {
  const parts = [`<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#444"/>`, `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#444"/>`];
  for (const t of ticks(...xs)) parts.push(`<text x="${sx(t).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${t}</text>`);
  for (const t of ticks(...ys)) parts.push(`<line x1="${PAD.left}" y1="${sy(t).toFixed(1)}" x2="${W - PAD.right}" y2="${sy(t).toFixed(1)}" stroke="#eee"/><text x="${PAD.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${t}</text>`);
  parts.push(`<text x="${(PAD.left + W - PAD.right) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${escapeHtml(xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${(PAD.top + H - PAD.bottom) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeHtml(yLabel)}</text>`);
  return parts.join('');
}

/** A line chart; a plot whose series hold no point says so instead of drawing empty axes. */
export function lineChart(plot: Plot): string {
  const points = plot.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const title = `<h3>${escapeHtml(plot.title)}</h3>`;
  if (points.length === 0) return `<figure class="plot empty">${title}<p>No data recorded.</p></figure>`;
  const xs = range(points.map((p) => p.x), false), ys = range(points.map((p) => p.y), true);
  const sx = (x: number) => PAD.left + ((x - xs[0]) / (xs[1] - xs[0])) * (W - PAD.left - PAD.right);
  const sy = (y: number) => H - PAD.bottom - ((y - ys[0]) / (ys[1] - ys[0])) * (H - PAD.top - PAD.bottom);
  const lines = plot.series.map((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    const color = COLORS[i % COLORS.length]!;
    const dot = pts.length === 1 ? `<circle cx="${sx(pts[0]!.x).toFixed(1)}" cy="${sy(pts[0]!.y).toFixed(1)}" r="3" fill="${color}"/>` : '';
    return `<path class="series" data-name="${escapeHtml(s.name)}" d="${d}" fill="none" stroke="${color}" stroke-width="2"/>${dot}`;
  });
  const legend = plot.series.map((s, i) => `<span style="color:${COLORS[i % COLORS.length]}">■</span> ${escapeHtml(s.name)}`).join(' &nbsp; ');
  return `<figure class="plot">${title}<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(plot.title)}">${axes(xs, ys, plot.xLabel, plot.yLabel, sx, sy)}${lines.join('')}</svg><figcaption>${legend}</figcaption></figure>`;
}

/** Bars of one stage-table column, one per stage that has a number there. */
export function barChart(stages: readonly StageRow[], column: string): string {
  const bars = stages.flatMap((s) => (typeof s.values[column] === 'number' && Number.isFinite(s.values[column]) ? [{ stage: s.stage, v: s.values[column] as number }] : []));
  const title = `<h3>${escapeHtml(column)} by stage</h3>`;
  if (bars.length === 0) return `<figure class="bars empty">${title}<p>No data recorded.</p></figure>`;
  const ys = range(bars.map((b) => b.v), true);
  const sy = (y: number) => H - PAD.bottom - ((y - ys[0]) / (ys[1] - ys[0])) * (H - PAD.top - PAD.bottom);
  const slot = (W - PAD.left - PAD.right) / bars.length;
  const rects = bars.map((b, i) => {
    const x = PAD.left + i * slot + slot * 0.15, y = Math.min(sy(b.v), sy(0)), h = Math.abs(sy(b.v) - sy(0));
    return `<rect class="bar" data-stage="${escapeHtml(b.stage)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${Math.max(h, 0.5).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>` +
      `<text x="${(x + slot * 0.35).toFixed(1)}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="11">${fmt(b.v)}</text>` +
      `<text x="${(x + slot * 0.35).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${escapeHtml(b.stage)}</text>`;
  });
  const yTicks = ticks(...ys).map((t) => `<line x1="${PAD.left}" y1="${sy(t).toFixed(1)}" x2="${W - PAD.right}" y2="${sy(t).toFixed(1)}" stroke="#eee"/><text x="${PAD.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" font-size="11">${t}</text>`);
  return `<figure class="bars">${title}<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(column)} by stage">${yTicks.join('')}<line x1="${PAD.left}" y1="${sy(0).toFixed(1)}" x2="${W - PAD.right}" y2="${sy(0).toFixed(1)}" stroke="#444"/>${rects.join('')}</svg></figure>`;
}

function stageTable(stages: readonly StageRow[]): string {
  const columns = [...new Set(stages.flatMap((s) => Object.keys(s.values)))];
  const head = `<tr><th>stage</th>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('')}</tr>`;
  const rows = stages.map((s) => `<tr><td>${escapeHtml(s.stage)}</td>${columns.map((c) => `<td>${s.values[c] === undefined ? '—' : fmt(s.values[c]!)}</td>`).join('')}</tr>`);
  return `<table class="stages">${head}${rows.join('')}</table>`;
}

export function renderReport(r: ReportInput): string {
  const transcripts = r.transcripts.map((t) => `<details class="transcript" open><summary>${escapeHtml(t.label)}</summary><pre class="prompt">${escapeHtml(t.prompt)}</pre><pre class="completion">${escapeHtml(t.completion)}</pre></details>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #111; }
table.stages { border-collapse: collapse; margin: 1em 0; } table.stages td, table.stages th { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
table.stages td:first-child, table.stages th:first-child { text-align: left; }
.grid { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; } h3 { margin: 0.6em 0 0.2em; font-size: 15px; }
pre { white-space: pre-wrap; background: #f6f6f6; padding: 8px; border-radius: 4px; } pre.prompt { color: #555; }
</style></head><body>
<h1>${escapeHtml(r.title)}</h1>
${r.subtitle ? `<p class="subtitle">${escapeHtml(r.subtitle)}</p>` : ''}
<h2>Stages</h2>
${stageTable(r.stages)}
${barChart(r.stages, r.barColumn)}
<h2>Training curves</h2>
<div class="grid">${r.plots.map(lineChart).join('\n')}</div>
<h2>Sample transcripts</h2>
${transcripts.join('\n')}
</body></html>
`;
}
