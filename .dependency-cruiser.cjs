/**
 * Which part of Skaits may import which (docs/design.md, "Layout"). Checked by
 * test/unit/architecture.test.ts in `npm test`; by hand: `npx depcruise server dashboard/src tracker`.
 *
 * LAYERS lists the parts from the bottom up. A module may import its own part and the parts of
 * the layers above its own in this list, never a part of its own layer or one below: imports
 * point one way, so no two parts can import each other, directly or round a loop.
 */

/** A part: a folder of server/ (`db`), a file of server/ (`log.ts`), or another path. */
const PARTS = {
  text: '^server/text\\.ts$',
  vocabulary: '^server/vocabulary/',
  calendar: '^server/calendar\\.ts$',
  config: '^server/config\\.ts$',
  log: '^server/log\\.ts$',
  time: '^server/time\\.ts$',
  db: '^server/db/',
  http: '^server/http/',
  privacy: '^server/privacy/',
  sections: '^server/sections/',
  goals: '^server/goals/',
  sessions: '^server/sessions/',
  enrich: '^server/enrich/',
  auth: '^server/auth/',
  sites: '^server/sites/',
  ingest: '^server/ingest/',
  stats: '^server/stats/',
  export: '^server/export/',
  rollup: '^server/rollup/',
  notice: '^server/notice/',
  reports: '^server/reports/',
  imports: '^server/imports/',
  'dashboard/src': '^dashboard/src/',
  dashboard: '^server/dashboard/',
  metrics: '^server/metrics/',
  admin: '^server/admin/',
  script: '^server/script/',
  pages: '^server/pages/',
  app: '^server/app\\.ts$',
  cli: '^server/cli/',
  main: '^server/(main|build)\\.ts$',
}

const LAYERS = [
  // what every part uses; the text rules and the vocabulary compile into the dashboard too
  ['text', 'calendar', 'config', 'log', 'time'],
  // the names of dimensions and metrics; the engine; HTTP plumbing
  ['vocabulary', 'db', 'http'],
  // the privacy contract: where the client address stops, the salts, the visitor hash
  ['privacy'],
  // what a request becomes: section labels, the counts of a visit, what it came from; who asks
  ['sections', 'sessions', 'enrich', 'auth'],
  // the goals a site declares: which events complete them, and money
  ['goals'],
  ['sites'],
  // events in, counts out, exports to partners
  ['ingest', 'stats', 'export'],
  // closing days, the privacy notice, e-mailed reports: each reads the counts; imports of a
  // site's history, which replay through ingest; the dashboard app
  ['rollup', 'notice', 'reports', 'imports', 'dashboard/src'],
  // what the HTTP server mounts and measures
  ['dashboard', 'metrics', 'admin', 'script'],
  ['pages'],
  ['app'],
  ['cli'],
  ['main'],
]

const layerRules = LAYERS.flatMap((layer, i) =>
  layer.flatMap((part) => {
    const others = [...layer.filter((p) => p !== part), ...LAYERS.slice(i + 1).flat()]
    if (!others.length) return []
    return {
      name: `layers: ${part}`,
      comment: `${part} may import only what lies above it in .dependency-cruiser.cjs's LAYERS: not ${others.join(', ')}`,
      severity: 'error',
      from: { path: PARTS[part] },
      to: { path: others.map((p) => PARTS[p]) },
    }
  }),
)

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Two modules that import each other, directly or round a loop, cannot be read (or changed) one at a time.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'unplaced',
      comment: 'Every module of server/ and dashboard/src/ belongs to a part of LAYERS: add a new folder there.',
      severity: 'error',
      from: { path: '^(server|dashboard/src)/', pathNot: Object.values(PARTS) },
      to: {},
    },
    {
      name: 'shared-with-the-browser',
      comment: 'The vocabulary and text rules compile into the dashboard: no Node built-ins, no packages.',
      severity: 'error',
      from: { path: [PARTS.text, PARTS.vocabulary, PARTS.calendar] },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'dashboard-reads-only-shared-server-code',
      comment: 'The browser bundle takes from server/ only what is written for both: the vocabulary, the text and CSV rules.',
      severity: 'error',
      from: { path: PARTS['dashboard/src'] },
      to: { path: '^server/', pathNot: [PARTS.text, PARTS.vocabulary, '^server/export/csv\\.ts$'] },
    },
    {
      name: 'tracker-stands-alone',
      comment: 'The tracker is a few hundred bytes on every page of a site: it imports nothing of the server or dashboard.',
      severity: 'error',
      from: { path: '^tracker/' },
      to: { path: '^(server|dashboard)/' },
    },
    {
      name: 'no-tests-in-production',
      comment: 'The server never imports tests, benchmarks or their helpers.',
      severity: 'error',
      from: { path: '^(server|dashboard|tracker)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser to parse with; swc parses TypeScript.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
  },
}

// For test/unit/architecture.test.ts and the layout drawing in docs/design.md; not part of the configuration.
Object.defineProperty(module.exports, 'layers', { value: { PARTS, LAYERS }, enumerable: false })
