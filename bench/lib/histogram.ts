/**
 * A log-bucketed latency histogram (about 1 % relative precision), cheap to record into and to merge
 * across worker processes: values are milliseconds, buckets are sent over IPC as [index, count] pairs.
 */
const GROWTH = Math.log(1.01);
const MIN_MS = 0.001;

export interface HistogramData {
  buckets: [number, number][];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export class Histogram {
  private counts = new Map<number, number>();
  count = 0;
  sum = 0;
  min = Infinity;
  max = 0;

  record(ms: number): void {
    const v = Math.max(ms, MIN_MS);
    const idx = Math.floor(Math.log(v / MIN_MS) / GROWTH);
    this.counts.set(idx, (this.counts.get(idx) ?? 0) + 1);
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(data: HistogramData): this {
    for (const [idx, n] of data.buckets) this.counts.set(idx, (this.counts.get(idx) ?? 0) + n);
    this.count += data.count;
    this.sum += data.sum;
    this.min = Math.min(this.min, data.min);
    this.max = Math.max(this.max, data.max);
    return this;
  }

  /** The value below which `p` percent of the recordings fall (upper edge of the bucket). */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (const idx of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(idx) ?? 0;
      if (seen >= rank) return Math.min(this.max, MIN_MS * Math.exp((idx + 1) * GROWTH));
    }
    return this.max;
  }

  summary(): LatencySummary {
    const r = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : NaN);
    return {
      count: this.count,
      mean: r(this.count ? this.sum / this.count : NaN),
      p50: r(this.percentile(50)),
      p95: r(this.percentile(95)),
      p99: r(this.percentile(99)),
      max: r(this.count ? this.max : NaN),
    };
  }

  toJSON(): HistogramData {
    return {
      buckets: [...this.counts.entries()],
      count: this.count,
      sum: this.sum,
      min: this.count ? this.min : 0,
      max: this.max,
    };
  }

  static from(parts: HistogramData[]): Histogram {
    const h = new Histogram();
    for (const p of parts) h.merge(p);
    return h;
  }
}

/** Epoch milliseconds with sub-millisecond precision, comparable between processes on one machine. */
export const nowMs = (): number => performance.timeOrigin + performance.now();
