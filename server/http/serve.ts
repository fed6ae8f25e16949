import { serve, type ServerType } from '@hono/node-server'
import type { AddressInfo } from 'node:net'
import type { Config } from '../config.ts'

export type Fetch = Parameters<typeof serve>[0]['fetch']

/**
 * The Node HTTP server with limits against slow, large and numerous clients: headers larger
 * than `maxHeaderBytes` get a 431; a request whose headers (or whole body) have not arrived
 * in time gets a 408 and its connection is closed; connections beyond `maxConnections` are
 * closed at once; idle keep-alive connections are closed after `keepAliveTimeoutMs`.
 * Bodies are limited per route (4 KiB ingest, 64 KiB queries).
 */
export function listen(
  fetch: Fetch,
  options: { port: number; hostname: string; limits: Config['http'] },
  onListening?: (info: AddressInfo) => void,
): ServerType {
  const { limits } = options
  const server = serve(
    {
      fetch,
      port: options.port,
      hostname: options.hostname,
      serverOptions: {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.keepAliveTimeoutMs,
        // Node checks the two timeouts above on this interval (30 s by default), so a slow
        // client would otherwise hold its connection up to 30 s longer than configured.
        connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
      },
    },
    onListening,
  )
  server.maxConnections = limits.maxConnections
  // Set on the server too: older Node versions read it only from here.
  if ('keepAliveTimeout' in server) server.keepAliveTimeout = limits.keepAliveTimeoutMs
  return server
}
