const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses "900", "30s", "15m", "12h", "7d" (a bare number is seconds) into milliseconds; null if malformed. */
export function parseDuration(value: string): number | null {
  const match = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(value);
  if (!match) return null;
  const amount = Number(match[1]);
  const ms = amount * UNIT_MS[match[2] ?? 's']!;
  return ms > 0 ? ms : null;
}
