import { defineConfig } from 'vitest/config'

// Each test file runs in its own process: the embedded ClickHouse (chDB) allows one data
// directory per process, so files must not share one.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
