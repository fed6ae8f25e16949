/**
 * Reads a zip from its central directory, then streams one entry at a time through node:zlib,
 * so memory stays bounded however large the export.
 *
 * Why not fflate's streaming Unzip: Plausible writes its export with Zstream, which sets the
 * data-descriptor flag and leaves the sizes in the local headers at 0; for a stored entry (its
 * coder is Zstream.Coder.Stored) a front-to-back reader cannot tell where the data ends. The
 * central directory, at the end, has every size and offset (zip64 included).
 */
import { open, type FileHandle } from 'node:fs/promises'
import { Readable, Transform } from 'node:stream'
import { createInflateRaw } from 'node:zlib'
import { ImportInputError } from './types.ts'

export interface ZipEntry {
  name: string
  method: number
  compressedSize: number
  size: number
  localHeaderOffset: number
}

/** Random access to the zip's bytes: a file on disk or a buffer. */
export interface ByteSource {
  size: number
  read(position: number, length: number): Promise<Buffer>
  stream(start: number, end: number): Readable
  close(): Promise<void>
}

const EOCD = 0x06054b50
const ZIP64_LOCATOR = 0x07064b50
const ZIP64_EOCD = 0x06064b50
const CENTRAL = 0x02014b50
const LOCAL = 0x04034b50
const STORED = 0
const DEFLATED = 8
/** The end record is 22 bytes plus a comment of at most 65535. */
const TAIL = 22 + 0xffff
const MAX_CENTRAL_DIRECTORY = 64 << 20

export async function fileSource(path: string): Promise<ByteSource> {
  const handle: FileHandle = await open(path, 'r')
  const { size } = await handle.stat()
  return {
    size,
    async read(position, length) {
      const buf = Buffer.alloc(length)
      const { bytesRead } = await handle.read(buf, 0, length, position)
      return buf.subarray(0, bytesRead)
    },
    stream: (start, end) => handle.createReadStream({ start, end: end - 1, autoClose: false }),
    close: () => handle.close(),
  }
}

export function bufferSource(data: Uint8Array): ByteSource {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
  return {
    size: buf.length,
    read: async (position, length) => buf.subarray(position, Math.min(buf.length, position + length)),
    stream: (start, end) => Readable.from([buf.subarray(start, end)]),
    close: async () => {},
  }
}

/** The entries, in the order the central directory lists them (directories left out). */
export async function zipEntries(src: ByteSource, label: string): Promise<ZipEntry[]> {
  const tailStart = Math.max(0, src.size - TAIL)
  const tail = await src.read(tailStart, src.size - tailStart)
  let at = -1
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD) {
      at = i
      break
    }
  }
  if (at < 0) throw new ImportInputError(label, 0, src.size >= 4 && (await src.read(0, 4)).readUInt32LE(0) === LOCAL ? 'truncated zip (no central directory)' : 'not a zip file')
  let count = tail.readUInt16LE(at + 10)
  let cdSize = tail.readUInt32LE(at + 12)
  let cdOffset = tail.readUInt32LE(at + 16)
  if (at >= 20 && tail.readUInt32LE(at - 20) === ZIP64_LOCATOR) {
    const recordAt = Number(tail.readBigUInt64LE(at - 20 + 8))
    const record = await src.read(recordAt, 56)
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) throw new ImportInputError(label, 0, 'damaged zip (zip64 end record)')
    count = Number(record.readBigUInt64LE(32))
    cdSize = Number(record.readBigUInt64LE(40))
    cdOffset = Number(record.readBigUInt64LE(48))
  }
  if (cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > src.size) throw new ImportInputError(label, 0, 'truncated or damaged zip (central directory)')
  const cd = await src.read(cdOffset, cdSize)
  const entries: ZipEntry[] = []
  let p = 0
  for (let n = 0; n < count; n++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new ImportInputError(label, 0, 'damaged zip (central directory)')
    const nameLength = cd.readUInt16LE(p + 28)
    const extraLength = cd.readUInt16LE(p + 30)
    const commentLength = cd.readUInt16LE(p + 32)
    const name = cd.toString('utf8', p + 46, p + 46 + nameLength)
    const entry: ZipEntry = {
      name,
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localHeaderOffset: cd.readUInt32LE(p + 42),
    }
    readZip64Extra(cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength), entry)
    if (!name.endsWith('/')) entries.push(entry)
    p += 46 + nameLength + extraLength + commentLength
  }
  return entries
}

/** Sizes and offset of 0xFFFFFFFF are in the zip64 extra field (id 1), in this order, when so marked. */
function readZip64Extra(extra: Buffer, entry: ZipEntry): void {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p)
    const length = extra.readUInt16LE(p + 2)
    if (id === 1) {
      let q = p + 4
      const next = () => {
        const v = q + 8 <= p + 4 + length ? Number(extra.readBigUInt64LE(q)) : undefined
        q += 8
        return v
      }
      if (entry.size === 0xffffffff) entry.size = next() ?? entry.size
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = next() ?? entry.compressedSize
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next() ?? entry.localHeaderOffset
      return
    }
    p += 4 + length
  }
}

/**
 * The entry's uncompressed bytes as a stream. More bytes than the directory declares (a zip
 * bomb's lie) or fewer (a damaged entry) end the stream with an ImportInputError.
 */
export async function entryStream(src: ByteSource, entry: ZipEntry, label: string): Promise<Readable> {
  const file = `${label}:${entry.name}`
  const header = await src.read(entry.localHeaderOffset, 30)
  if (header.length < 30 || header.readUInt32LE(0) !== LOCAL) throw new ImportInputError(file, 0, 'truncated or damaged zip (entry header)')
  const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28)
  const end = start + entry.compressedSize
  if (end > src.size) throw new ImportInputError(file, 0, 'truncated zip (entry data)')
  if (entry.method !== STORED && entry.method !== DEFLATED) throw new ImportInputError(file, 0, `unsupported zip compression method ${entry.method}`)
  const raw = src.stream(start, end)
  const data = entry.method === DEFLATED ? raw.pipe(createInflateRaw()) : raw
  if (entry.method === DEFLATED) raw.on('error', (e) => data.destroy(e))
  let seen = 0
  const bounded = new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length
      done(seen > entry.size ? new ImportInputError(file, 0, 'damaged zip (entry larger than declared)') : null, chunk)
    },
    flush(done) {
      done(seen !== entry.size ? new ImportInputError(file, 0, 'truncated or damaged zip (entry shorter than declared)') : null)
    },
  })
  data.on('error', (e: Error) => bounded.destroy(e instanceof ImportInputError ? e : new ImportInputError(file, 0, `damaged zip entry: ${e.message}`)))
  return data.pipe(bounded)
}
