import { createSocket } from 'node:dgram'
import type { AddressInfo } from 'node:net'
import dns2 from 'dns2'

const { Packet } = dns2

export interface TestDns {
  /** `127.0.0.1:<port>` for DNS_SERVERS */
  server: string
  /** every PTR name asked, in order */
  queries: string[]
  close(): Promise<void>
}

function reverseName(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa`
}

/** A DNS server on 127.0.0.1 answering PTR queries from `ptr` (IPv4 → host name), NXDOMAIN otherwise. */
export async function startDns(ptr: Record<string, string>): Promise<TestDns> {
  const names = new Map(Object.entries(ptr).map(([ip, host]) => [reverseName(ip), host]))
  const queries: string[] = []
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request)
      const [question] = request.questions
      const name = question?.name ?? ''
      queries.push(name)
      const host = names.get(name.toLowerCase())
      if (host) response.answers.push({ name, type: Packet.TYPE.PTR, class: Packet.CLASS.IN, ttl: 300, domain: host } as never)
      else response.header.rcode = 3 // NXDOMAIN
      send(response)
    },
  })
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } })
  const { port } = server.addresses().udp as AddressInfo
  return { server: `127.0.0.1:${port}`, queries, close: () => server.close() }
}

/** A UDP socket on 127.0.0.1 that takes DNS queries and never answers. */
export async function startSilentDns(): Promise<{ server: string; received: () => number; close(): Promise<void> }> {
  const socket = createSocket('udp4')
  let received = 0
  socket.on('message', () => received++)
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = socket.address()
  return {
    server: `127.0.0.1:${port}`,
    received: () => received,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  }
}
