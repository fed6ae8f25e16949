/**
 * What text Skaits accepts and stores, said once. Imports nothing: the vocabulary (and so the
 * dashboard) compiles it too.
 */

/** Control characters (C0, DEL, C1): never valid in anything Skaits stores or shows. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g
/** Half a UTF-16 surrogate pair: not text. */
const LONE_SURROGATE = /\p{Cs}/u
const LONE_SURROGATES = /\p{Cs}/gu

export function hasControlChars(s: string): boolean {
  return CONTROL.test(s)
}

export function withoutControlChars(s: string): string {
  return CONTROL.test(s) ? s.replace(CONTROLS, '') : s
}

export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s)
}

/**
 * Unpaired surrogates as U+FFFD: ClickHouse would store them so anyway (Node writes them so in
 * UTF-8); written out here, the same text always makes the same row.
 */
export function wellFormed(s: string): string {
  return LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\ufffd') : s
}
