import { encodePng } from './png.ts'

export type Rgb = readonly [number, number, number]

export interface BarChartStyle {
  width: number
  height: number
  bar: Rgb
  /** the line under the bars */
  axis: Rgb
  background: Rgb
}

/** 600 px across at twice the density, shown at 300 px high in the mail's 600 px column. */
export const REPORT_CHART: BarChartStyle = { width: 1120, height: 240, bar: [79, 70, 229], axis: [203, 213, 225], background: [255, 255, 255] }

/**
 * Bars of `values` (one a day) from a shared baseline, the tallest reaching the top: the shape
 * of the period at a glance; the numbers themselves are in the mail's text.
 */
export function barChart(values: readonly number[], style: BarChartStyle = REPORT_CHART): Buffer {
  const { width, height } = style
  const pixels = new Uint8Array(width * height * 4)
  fill(pixels, width, 0, 0, width, height, style.background)
  const baseline = height - 2
  fill(pixels, width, 0, baseline, width, height, style.axis)
  const max = Math.max(0, ...values)
  const n = Math.max(values.length, 1)
  const slot = width / n
  const gap = Math.max(2, Math.round(slot * 0.2))
  values.forEach((v, i) => {
    if (!(v > 0) || !max) return
    const h = Math.max(2, Math.round((v / max) * (baseline - 4)))
    fill(pixels, width, Math.round(i * slot + gap / 2), baseline - h, Math.round((i + 1) * slot - gap / 2), baseline, style.bar)
  })
  return encodePng(width, height, pixels)
}

/** Paints the rectangle [x0, x1) × [y0, y1), opaque. */
function fill(pixels: Uint8Array, width: number, x0: number, y0: number, x1: number, y1: number, [r, g, b]: Rgb): void {
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const at = (y * width + x) * 4
      pixels[at] = r
      pixels[at + 1] = g
      pixels[at + 2] = b
      pixels[at + 3] = 255
    }
  }
}
