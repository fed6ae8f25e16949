import { crc32, inflateSync } from 'node:zlib'

export interface DecodedPng {
  width: number
  height: number
  /** RGBA, rows top to bottom */
  pixels: Uint8Array
  chunks: string[]
}

/**
 * Just enough of a PNG reader for what server/reports/png.ts writes (8-bit RGBA, filter 0 or
 * not at all, no interlace), checking every chunk's CRC with zlib's own CRC-32 rather than ours.
 */
export function decodePng(png: Buffer): DecodedPng {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  if (!png.subarray(0, 8).equals(signature)) throw new Error('not a PNG signature')
  let at = 8
  let width = 0
  let height = 0
  const idat: Buffer[] = []
  const chunks: string[] = []
  while (at < png.length) {
    const length = png.readUInt32BE(at)
    const type = png.toString('latin1', at + 4, at + 8)
    const data = png.subarray(at + 8, at + 8 + length)
    const stored = png.readUInt32BE(at + 8 + length)
    if (crc32(png.subarray(at + 4, at + 8 + length)) !== stored) throw new Error(`bad CRC in ${type}`)
    chunks.push(type)
    if (type === 'IHDR') {
      width = data.readUInt32BE(0)
      height = data.readUInt32BE(4)
      if (data[8] !== 8 || data[9] !== 6 || data[12] !== 0) throw new Error('not 8-bit RGBA without interlace')
    } else if (type === 'IDAT') idat.push(data)
    at += 12 + length
  }
  const raw = inflateSync(Buffer.concat(idat))
  const stride = width * 4
  if (raw.length !== (stride + 1) * height) throw new Error(`IDAT holds ${raw.length} bytes, ${(stride + 1) * height} expected`)
  const pixels = new Uint8Array(stride * height)
  for (let y = 0; y < height; y++) {
    if (raw[y * (stride + 1)] !== 0) throw new Error(`row ${y} uses filter ${raw[y * (stride + 1)]}`)
    pixels.set(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride)
  }
  return { width, height, pixels, chunks }
}

/** The RGBA of one pixel. */
export function pixel(png: DecodedPng, x: number, y: number): number[] {
  const at = (y * png.width + x) * 4
  return [...png.pixels.subarray(at, at + 4)]
}
