/* eslint-disable no-control-regex -- matching control characters is the point of this file */

/** Control characters other than tab, newline and carriage return. */
const CONTROL_EXCEPT_WHITESPACE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** Any control character, tab and newline included. */
const ANY_CONTROL = /[\u0000-\u001F\u007F]/;

/** Printable text that may span lines (messages, bios, descriptions). */
export const isPrintableText = (s: string): boolean => !CONTROL_EXCEPT_WHITESPACE.test(s);

/** One line of printable text (names). */
export const isPrintableLine = (s: string): boolean => !ANY_CONTROL.test(s);
