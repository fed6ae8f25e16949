import { buildServer } from '../server/build.ts'

/**
 * Tests that start the server as a process run the bundle `npm start` runs; build it from
 * the current sources once per test run (about a second), so it is never stale.
 */
export default async function setup(): Promise<void> {
  await buildServer()
}
