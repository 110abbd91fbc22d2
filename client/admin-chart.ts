/**
 * A bar chart of one figure per day, as plain inline SVG: a few dozen elements, no library, nothing
 * the page's CSP ('self' only, no inline styles) would refuse. Colours come from admin.css.
 */

const SVG = 'http://www.w3.org/2000/svg';
// In viewBox units; the chart scales to its column, about 1:1 in a desktop column of two.
const W = 400;
const H = 140;
const PAD = { left: 34, right: 4, top: 8, bottom: 20 };

export interface Point {
  day: string;
  value: number;
  /** Shown after the value in the bar's tooltip (for example a size). */
  note?: string;
}

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** The smallest of 1, 2, 5 × 10ⁿ at or above `n` (at least 1): the top of the axis. */
export function niceMax(n: number): number {
  if (n <= 1) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= n)!;
}

const shortDay = (day: string) => day.slice(5);
/** 2500 → 2.5k: axis labels stay within the left margin. */
const compact = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const round = (n: number) => Math.round(n * 100) / 100;

/** One bar per day, oldest on the left, with the axis top, zero and the first and last days. */
export function barChart(label: string, points: Point[]): SVGSVGElement {
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const total = points.reduce((sum, p) => sum + p.value, 0);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = plotW / Math.max(points.length, 1);
  const root = svg('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': `${label}: ${total} over ${points.length} days`,
  });
  for (const f of [0, 0.5, 1]) {
    const y = round(PAD.top + plotH * (1 - f));
    root.append(svg('line', { class: 'grid', x1: PAD.left, x2: W - PAD.right, y1: y, y2: y }));
    const tick = max * f;
    if (Number.isInteger(tick))
      root.append(
        svg(
          'text',
          { class: 'tick', x: PAD.left - 4, y: y + 4, 'text-anchor': 'end' },
          compact(tick),
        ),
      );
  }
  points.forEach((p, i) => {
    const h = round((p.value / max) * plotH);
    const bar = svg('rect', {
      class: 'bar',
      x: round(PAD.left + i * slot + slot * 0.1),
      y: round(PAD.top + plotH - h),
      width: round(Math.max(slot * 0.8, 0.5)),
      height: h,
      'data-day': p.day,
      'data-value': p.value,
    });
    bar.append(svg('title', {}, `${p.day}: ${p.value}${p.note ? ` (${p.note})` : ''}`));
    root.append(bar);
  });
  const first = points[0];
  const last = points.at(-1);
  const baseline = H - 5;
  if (first)
    root.append(svg('text', { class: 'tick', x: PAD.left, y: baseline }, shortDay(first.day)));
  if (last && last !== first)
    root.append(
      svg(
        'text',
        { class: 'tick', x: W - PAD.right, y: baseline, 'text-anchor': 'end' },
        shortDay(last.day),
      ),
    );
  return root;
}
