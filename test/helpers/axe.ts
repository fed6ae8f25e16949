// axe-core (the engine behind Lighthouse's and the browsers' accessibility audits) on a page as
// it stands. The context needs bypassCSP: the pages allow no inline script, and axe is injected as one.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

export interface Violation {
  id: string
  impact: string | null
  help: string
  nodes: { target: string[] }[]
}

/** axe-core's serious and critical violations on the page as it stands. */
export async function violations(page: Page): Promise<Violation[]> {
  await page.addScriptTag({ content: AXE })
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (c: Document, o: object) => Promise<{ violations: Violation[] }> } }).axe
    return (await axe.run(document, { resultTypes: ['violations'] })).violations
  })
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

export const describeAll = (vs: Violation[]) => vs.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`)
