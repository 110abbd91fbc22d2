import type { FanoutRun } from './fanout-engine.js';

const W = 920;
const H = 540;
const M = { left: 70, right: 200, top: 40, bottom: 60 };
const COLORS: Record<string, string> = { server: '#d62728', relay: '#1f77b4', cluster: '#2ca02c' };
const DASH: Record<string, string> = { p50: '2 4', p95: '8 4', p99: '' };

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Send→receive latency (p50/p95/p99, log scale) against offered load (log scale) for the fan-out runs;
 * a cross marks a step where the system saturated.
 */
export function latencySvg(runs: { name: string; run: FanoutRun }[], title: string): string {
  const steps = runs.flatMap((r) => r.run.steps);
  const parts: string[] = [];
  if (steps.length === 0)
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="80"><text x="10" y="40">no fan-out data</text></svg>`;
  const rates = steps.map((s) => s.rate);
  const values = steps
    .flatMap((s) => [s.latency.p50, s.latency.p95, s.latency.p99])
    .filter((v) => v > 0);
  const [x0, x1] = [Math.log2(Math.min(...rates)) - 0.3, Math.log2(Math.max(...rates)) + 0.3];
  const y0 = Math.floor(Math.log10(Math.max(0.05, Math.min(...values))));
  const y1 = Math.ceil(Math.log10(Math.max(...values) * 1.2));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (rate: number) => M.left + ((Math.log2(rate) - x0) / (x1 - x0)) * pw;
  const y = (ms: number) =>
    M.top + ph - ((Math.log10(Math.max(ms, 10 ** y0)) - y0) / (y1 - y0 || 1)) * ph;
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${M.left}" y="24" font-size="16" font-weight="bold">${esc(title)}</text>`);
  for (let e = y0; e <= y1; e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (Math.log10(v) > y1) continue;
      parts.push(
        `<line x1="${M.left}" x2="${M.left + pw}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`,
      );
      parts.push(
        `<text x="${M.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v >= 1 ? v : v.toFixed(Math.max(0, -e))}</text>`,
      );
    }
  }
  for (const r of [...new Set(rates)].sort((a, b) => a - b)) {
    parts.push(`<line x1="${x(r)}" x2="${x(r)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    parts.push(
      `<text x="${x(r)}" y="${M.top + ph + 18}" font-size="11" text-anchor="middle">${r}</text>`,
    );
  }
  parts.push(
    `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
  );
  parts.push(
    `<text x="${M.left + pw / 2}" y="${H - 18}" font-size="13" text-anchor="middle">offered load (messages/s, log scale)</text>`,
  );
  parts.push(
    `<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" font-size="13" text-anchor="middle">send→receive latency (ms, log scale)</text>`,
  );
  let ly = M.top + 10;
  for (const { name, run } of runs) {
    const color = COLORS[name] ?? '#555';
    for (const p of ['p50', 'p95', 'p99'] as const) {
      const pts = run.steps.map((s) => `${x(s.rate).toFixed(1)},${y(s.latency[p]).toFixed(1)}`);
      parts.push(
        `<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="${p === 'p99' ? 2.5 : 1.5}" stroke-dasharray="${DASH[p]}"/>`,
      );
      for (const s of run.steps) {
        const [cx, cy] = [x(s.rate), y(s.latency[p])];
        parts.push(
          s.saturated
            ? `<path d="M${cx - 5},${cy - 5}L${cx + 5},${cy + 5}M${cx - 5},${cy + 5}L${cx + 5},${cy - 5}" stroke="${color}" stroke-width="2"/>`
            : `<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`,
        );
      }
      parts.push(
        `<line x1="${W - M.right + 15}" x2="${W - M.right + 50}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="${p === 'p99' ? 2.5 : 1.5}" stroke-dasharray="${DASH[p]}"/>`,
      );
      parts.push(
        `<text x="${W - M.right + 56}" y="${ly + 4}" font-size="12">${esc(name)} ${p}</text>`,
      );
      ly += 18;
    }
    ly += 8;
  }
  parts.push(
    `<text x="${W - M.right + 15}" y="${ly + 4}" font-size="11">× = saturated step</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">\n${parts.join('\n')}\n</svg>\n`;
}
