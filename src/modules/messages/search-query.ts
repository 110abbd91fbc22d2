const WORD = /[\p{L}\p{N}]+/gu;
const MAX_TERMS = 10;

/**
 * Builds a prefix-matching tsquery from what a user typed: every word must match the start of a word
 * (`perm` finds `permission`). Only letters and digits reach the query, so nothing can break its syntax.
 * Returns null when the text has no searchable word.
 */
export function toPrefixTsquery(text: string): string | null {
  const words = (text.toLowerCase().match(WORD) ?? []).slice(0, MAX_TERMS);
  if (words.length === 0) return null;
  return words.map((w) => `${w}:*`).join(' & ');
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes the snippet for HTML, then turns the \u0001/\u0002 hit markers into <mark> tags. */
export function snippetToHtml(raw: string): string {
  return raw
    .replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)
    .replaceAll('\u0001', '<mark>')
    .replaceAll('\u0002', '</mark>');
}
