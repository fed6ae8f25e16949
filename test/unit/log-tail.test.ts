import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { followLog } from '../../server/imports/logs/tail.ts'

let dir: string
let log: string
let controller: AbortController
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'skaits-log-tail-'))
  log = path.join(dir, 'access.log')
  controller = new AbortController()
})
afterEach(() => {
  controller.abort()
  rmSync(dir, { recursive: true, force: true })
})

/** Follows `log` in the background, collecting lines; `done` settles when the follower ends. */
function follow(options: { fromOffset?: number; pollMs?: number } = {}) {
  const lines: string[] = []
  const done = (async () => {
    for await (const line of followLog(log, { signal: controller.signal, pollMs: options.pollMs ?? 40, ...options })) lines.push(line)
  })()
  return { lines, done }
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const start = Date.now()
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const numbered = (from: number, to: number, prefix = 'line') => Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}`)
const text = (lines: string[]) => lines.map((l) => `${l}\n`).join('')

describe('followLog', () => {
  it('yields what is there and what is appended, a partial line only once its newline comes', async () => {
    writeFileSync(log, text(numbered(0, 3)))
    const { lines } = follow()
    await until(() => lines.length === 3, 'the first lines')
    appendFileSync(log, 'line 3\nline')
    await until(() => lines.length === 4, 'line 3')
    await new Promise((r) => setTimeout(r, 150))
    expect(lines).toEqual(numbered(0, 4))
    appendFileSync(log, ' 4\n')
    await until(() => lines.length === 5, 'line 4')
    expect(lines).toEqual(numbered(0, 5))
  })

  it('starts at fromOffset, and waits for a file that is not there yet', async () => {
    const { lines } = follow({ fromOffset: 0 })
    await new Promise((r) => setTimeout(r, 100))
    writeFileSync(log, text(numbered(0, 2)))
    await until(() => lines.length === 2, 'the file to appear')
    controller.abort()
    controller = new AbortController()
    const offset = Buffer.byteLength(text(numbered(0, 2)))
    appendFileSync(log, text(numbered(2, 4)))
    const resumed = follow({ fromOffset: offset })
    await until(() => resumed.lines.length === 2, 'the lines after the offset')
    expect(resumed.lines).toEqual(numbered(2, 4))
  })

  it('across logrotate mv + create: the old file to its end (writes after the mv too), then the new one', async () => {
    writeFileSync(log, text(numbered(0, 100)))
    const { lines } = follow()
    await until(() => lines.length === 100, 'the first lines')
    appendFileSync(log, text(numbered(100, 150)))
    renameSync(log, `${log}.1`)
    // the server still writes to the old file until it reopens its log, partial line included
    appendFileSync(`${log}.1`, text(numbered(150, 200)) + 'line 200')
    appendFileSync(`${log}.1`, '\n')
    writeFileSync(log, '')
    appendFileSync(log, text(numbered(201, 260)))
    await until(() => lines.length === 260, 'the rotated lines')
    for (let i = 260; i < 300; i++) appendFileSync(log, `line ${i}\n`)
    await until(() => lines.length === 300, 'the lines after rotation')
    await new Promise((r) => setTimeout(r, 150))
    expect(lines).toEqual([...numbered(0, 201), ...numbered(201, 300)])
  })

  it('across two rotations while lines keep coming', async () => {
    writeFileSync(log, '')
    const { lines } = follow()
    let next = 0
    const write = (n: number) => {
      for (let i = 0; i < n; i++) appendFileSync(log, `line ${next++}\n`)
    }
    write(50)
    await until(() => lines.length === 50, 'the first lines')
    for (const generation of [1, 2]) {
      write(25)
      renameSync(log, `${log}.${generation}`)
      writeFileSync(log, '')
      write(25)
      // The next rotation only once these are read: a log rotated twice before the follower
      // looks again has its middle file renamed away unseen (logrotate rotates once a day).
      await until(() => lines.length === next, `the lines of generation ${generation}`)
    }
    await until(() => lines.length === next, 'every line')
    expect(lines).toEqual(numbered(0, next))
  })

  it('across copytruncate: lines after the truncation are read from the start, none twice', async () => {
    writeFileSync(log, text(numbered(0, 50)))
    const { lines } = follow()
    await until(() => lines.length === 50, 'the first lines')
    copyFileSync(log, `${log}.1`)
    truncateSync(log, 0)
    appendFileSync(log, text(numbered(50, 55)))
    await until(() => lines.length === 55, 'the lines after a truncation')
    // truncated and written past the old position before the follower looks again
    const long = numbered(55, 80, 'a longer line than those before it, number')
    copyFileSync(log, `${log}.2`)
    truncateSync(log, 0)
    appendFileSync(log, text(long))
    await until(() => lines.length === 80, 'the lines after a truncation hidden by new writes')
    await new Promise((r) => setTimeout(r, 150))
    expect(lines).toEqual([...numbered(0, 55), ...long])
  })

  it('stops when the signal aborts, and closes the file', async () => {
    writeFileSync(log, text(numbered(0, 3)))
    const { lines, done } = follow({ pollMs: 10_000 })
    await until(() => lines.length === 3, 'the first lines')
    const start = Date.now()
    controller.abort()
    await done
    expect(Date.now() - start).toBeLessThan(1000)
    appendFileSync(log, text(numbered(3, 5)))
    await new Promise((r) => setTimeout(r, 100))
    expect(lines).toEqual(numbered(0, 3))
  })
})
