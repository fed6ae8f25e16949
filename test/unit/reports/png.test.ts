import { describe, expect, it } from 'vitest'
import { crc32 as zlibCrc32 } from 'node:zlib'
import { barChart, type BarChartStyle } from '../../../server/reports/chart.ts'
import { crc32, encodePng } from '../../../server/reports/png.ts'
import { decodePng, pixel } from '../../helpers/png.ts'

describe('PNG encoder', () => {
  it('writes pixels that a reader gets back exactly, in chunks with valid CRCs', () => {
    const width = 5
    const height = 3
    const rgba = new Uint8Array(width * height * 4)
    for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37) % 256
    const png = decodePng(encodePng(width, height, rgba))
    expect([png.width, png.height]).toEqual([5, 3])
    expect(png.chunks).toEqual(['IHDR', 'IDAT', 'IEND'])
    expect(Buffer.from(png.pixels).equals(Buffer.from(rgba))).toBe(true)
  })

  it('computes the CRC-32 zlib does (and the check value of the standard)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926)
    const random = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251))
    expect(crc32(random)).toBe(zlibCrc32(random))
  })

  it('refuses pixels that do not fit the size', () => {
    expect(() => encodePng(2, 2, new Uint8Array(15))).toThrow(/needs 16 bytes/)
    expect(() => encodePng(0, 2, new Uint8Array(0))).toThrow(RangeError)
  })
})

describe('bar chart', () => {
  const style: BarChartStyle = { width: 70, height: 42, bar: [255, 0, 0], axis: [0, 0, 255], background: [255, 255, 255] }

  it('draws one bar a day, the tallest to the top, none for a day of 0', () => {
    const png = decodePng(barChart([10, 0, 5, 0, 0, 0, 10], style))
    expect([png.width, png.height]).toEqual([70, 42])
    const red = [255, 0, 0, 255]
    const white = [255, 255, 255, 255]
    // 10 px a day; the baseline is at y = 40, a full bar 36 px high.
    expect(pixel(png, 5, 39)).toEqual(red)
    expect(pixel(png, 5, 4)).toEqual(red)
    expect(pixel(png, 5, 3)).toEqual(white)
    expect(pixel(png, 15, 39)).toEqual(white)
    expect(pixel(png, 25, 22)).toEqual(red)
    expect(pixel(png, 25, 21)).toEqual(white)
    expect(pixel(png, 65, 4)).toEqual(red)
    expect(pixel(png, 15, 41)).toEqual([0, 0, 255, 255])
  })

  it('draws an empty period as a baseline alone', () => {
    const png = decodePng(barChart([0, 0, 0], style))
    const colours = new Set<string>()
    for (let y = 0; y < 40; y++) for (let x = 0; x < 70; x++) colours.add(pixel(png, x, y).join())
    expect([...colours]).toEqual(['255,255,255,255'])
  })
})
