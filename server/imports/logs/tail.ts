import { watch, type FSWatcher } from 'node:fs'
import { open, stat, type FileHandle } from 'node:fs/promises'
import path from 'node:path'
import { LineSplitter } from './lines.ts'

export interface FollowOptions {
  /** byte offset in the file as it is now to start at (where an import of it stopped); default 0 */
  fromOffset?: number
  signal: AbortSignal
  /** how often to look when no change was seen; fs.watch misses changes on some file systems */
  pollMs?: number
}

const CHUNK = 64 * 1024
/** Bytes just before the read position, compared to notice a file truncated then written past it. */
const SEEN = 64

/** Wakes the follower on a change in the log's directory, after pollMs at the latest, or on abort. */
class Waker {
  private watcher: FSWatcher | undefined
  private timer: NodeJS.Timeout | undefined
  private resolve: (() => void) | undefined
  private pending = false

  constructor(
    file: string,
    private readonly pollMs: number,
    private readonly signal: AbortSignal,
  ) {
    try {
      // The directory, not the file: a watch on the file follows its inode away on rename.
      this.watcher = watch(path.dirname(file), { persistent: false }, this.wake)
      this.watcher.on('error', () => this.watcher?.close())
    } catch {
      this.watcher = undefined // polling alone
    }
    signal.addEventListener('abort', this.wake, { once: true })
  }

  readonly wake = (): void => {
    clearTimeout(this.timer)
    const resolve = this.resolve
    this.resolve = undefined
    if (resolve) resolve()
    else this.pending = true
  }

  next(): Promise<void> {
    if (this.pending || this.signal.aborted) {
      this.pending = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      this.resolve = resolve
      this.timer = setTimeout(this.wake, this.pollMs)
    })
  }

  close(): void {
    clearTimeout(this.timer)
    this.watcher?.close()
    this.signal.removeEventListener('abort', this.wake)
  }
}

/** One open generation of the log: its descriptor, identity, and how far its lines were read. */
class Generation {
  readonly splitter = new LineSplitter()
  private seen = Buffer.alloc(0)
  private readonly buffer = Buffer.allocUnsafe(CHUNK)

  private constructor(
    readonly handle: FileHandle,
    readonly ino: number,
    readonly dev: number,
    public position: number,
  ) {}

  static async open(file: string, position: number): Promise<Generation | undefined> {
    try {
      const handle = await open(file, 'r')
      const { ino, dev } = await handle.stat()
      return new Generation(handle, ino, dev, position)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** Set when a read found the bytes before the position changed: truncated in place (copytruncate). */
  rewritten = false

  /**
   * The whole lines from the position to the end of the file as it is now. Each read starts
   * at the last bytes already read and checks them, so a file truncated and written past the
   * old position since is noticed in the same read, before any of its bytes count.
   */
  async *lines(): AsyncGenerator<string> {
    for (;;) {
      const overlap = this.seen.length
      const { bytesRead } = await this.handle.read(this.buffer, 0, CHUNK, this.position - overlap)
      if (bytesRead < overlap || !this.buffer.subarray(0, overlap).equals(this.seen)) {
        this.rewritten = true
        return
      }
      if (bytesRead === overlap) return
      const chunk = this.buffer.subarray(overlap, bytesRead)
      this.position += chunk.length
      this.seen = Buffer.from(this.buffer.subarray(Math.max(0, bytesRead - SEEN), bytesRead))
      // Lines that are not text (binary, too long) are dropped here: a reader of the whole file reports them.
      for (const line of this.splitter.push(chunk)) if (typeof line === 'string') yield line
    }
  }

  /** Truncated in place (copytruncate): seen by a read, or shorter than where reading began. */
  async truncated(): Promise<boolean> {
    return this.rewritten || (await this.handle.stat()).size < this.position
  }

  restart(): void {
    this.position = 0
    this.seen = Buffer.alloc(0)
    this.rewritten = false
    // A partial line before the truncation: its end went to the copy, not here.
    this.splitter.end()
  }
}

async function identity(file: string): Promise<{ ino: number; dev: number } | undefined> {
  try {
    return await stat(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/**
 * The lines appended to a live log, whole, until `signal` aborts. Rotation-safe: when the
 * path names a new file (logrotate's `mv` then `create`), the old one is read to its end
 * first, then the new one from its start; when the file is truncated in place
 * (`copytruncate`), it is read again from its start. No line is yielded twice.
 */
export async function* followLog(file: string, options: FollowOptions): AsyncGenerator<string> {
  const { signal, pollMs = 250 } = options
  const waker = new Waker(file, pollMs, signal)
  let current = await Generation.open(file, options.fromOffset ?? 0)
  try {
    while (!signal.aborted) {
      if (!current) {
        current = await Generation.open(file, 0)
        if (!current) await waker.next()
        continue
      }
      yield* current.lines()
      const now = await identity(file)
      if (now && (now.ino !== current.ino || now.dev !== current.dev)) {
        const next = await Generation.open(file, 0)
        // The writer may have written to the old file until it reopened: read it to its end.
        yield* current.lines()
        const last = current.splitter.end()
        if (typeof last === 'string' && last) yield last
        await current.handle.close()
        current = next
        continue
      }
      if (await current.truncated()) {
        current.restart()
        continue
      }
      await waker.next()
    }
  } finally {
    waker.close()
    await current?.handle.close()
  }
}
