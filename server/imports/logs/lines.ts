import { isUtf8 } from 'node:buffer'

/** Longer than any request line a server accepts (nginx: 8 KiB by default): garbage, not a log line. */
export const MAX_LINE_BYTES = 64 * 1024

/** A line that is not text: said with why, never with its content. */
export interface BadLine {
  problem: string
}

export const TOO_LONG: BadLine = { problem: `longer than ${MAX_LINE_BYTES / 1024} KiB` }
export const NOT_UTF8: BadLine = { problem: 'not UTF-8 text' }
export const BINARY: BadLine = { problem: 'binary data' }

/** Control characters no log writes raw (tab is a separator in some formats): a line of them is binary. */
const BINARY_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/

/** A line of 21,845 UTF-16 units or fewer is at most 65,535 bytes of UTF-8: only longer ones need counting. */
const SURELY_SHORT = Math.floor((MAX_LINE_BYTES - 1) / 3)

/**
 * Bytes in, whole lines out, across chunks: a line is decoded only once its newline came,
 * so a multi-byte character split between chunks is never mangled, and memory holds at most
 * one line (a longer one is dropped as it streams and reported as TOO_LONG).
 */
export class LineSplitter {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private dropping = false

  /** The whole lines `chunk` completes, without their `\n` (nor a `\r` before it). */
  push(chunk: Buffer): (string | BadLine)[] {
    const out: (string | BadLine)[] = []
    let start = 0
    let newline = chunk.indexOf(10)
    if (newline >= 0 && (this.pendingBytes || this.dropping)) {
      const line = this.dropping ? TOO_LONG : this.decode(Buffer.concat([...this.pending, chunk.subarray(0, newline)]))
      out.push(line)
      this.pending = []
      this.pendingBytes = 0
      this.dropping = false
      start = newline + 1
    }
    const lastNewline = chunk.lastIndexOf(10)
    if (lastNewline >= start) {
      // One UTF-8 check and one decode for the chunk's whole lines; a line at a time only when it fails.
      const region = chunk.subarray(start, lastNewline)
      if (isUtf8(region)) this.splitText(region.toString('utf8'), out)
      else {
        for (; (newline = chunk.indexOf(10, start)) >= 0 && newline <= lastNewline; start = newline + 1) out.push(this.decode(chunk.subarray(start, newline)))
      }
      start = lastNewline + 1
    }
    this.keep(chunk.subarray(start))
    return out
  }

  /** The last line, when the input ended without a newline. */
  end(): string | BadLine | undefined {
    const line = this.dropping ? TOO_LONG : this.pendingBytes ? this.decode(Buffer.concat(this.pending)) : undefined
    this.pending = []
    this.pendingBytes = 0
    this.dropping = false
    return line
  }

  private keep(rest: Buffer): void {
    if (!rest.length || this.dropping) return
    this.pendingBytes += rest.length
    if (this.pendingBytes > MAX_LINE_BYTES) {
      this.pending = []
      this.pendingBytes = 0
      this.dropping = true
    } else this.pending.push(Buffer.from(rest)) // a copy: the stream may reuse its chunk
  }

  private splitText(text: string, out: (string | BadLine)[]): void {
    let start = 0
    for (;;) {
      const newline = text.indexOf('\n', start)
      out.push(this.checked(text.slice(start, newline < 0 ? text.length : newline)))
      if (newline < 0) return
      start = newline + 1
    }
  }

  private decode(bytes: Buffer): string | BadLine {
    if (bytes.length > MAX_LINE_BYTES) return TOO_LONG
    return isUtf8(bytes) ? this.checked(bytes.toString('utf8')) : NOT_UTF8
  }

  private checked(line: string): string | BadLine {
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1)
    if (line.length > SURELY_SHORT && Buffer.byteLength(line) > MAX_LINE_BYTES) return TOO_LONG
    return BINARY_CHARS.test(line) ? BINARY : line
  }
}
