import { createSocket } from 'node:dgram'
import { isIPv4 } from 'node:net'
import type { AddressInfo } from 'node:net'
import dns2 from 'dns2'
import { ipv6Groups } from '../../server/privacy/prefix.ts'

const { Packet } = dns2

export interface TestDns {
  /** `127.0.0.1:<port>` for DNS_SERVERS */
  server: string
  /** every name asked, of any type, in order */
  queries: string[]
  /** every question, `PTR 1.113.0.203.in-addr.arpa`, `A host.example.lv`, in order */
  questions: string[]
  close(): Promise<void>
}

/** The PTR query name of an IPv4 or IPv6 address: `1.113.0.203.in-addr.arpa`, 32 nibbles under `ip6.arpa`. */
export function reverseName(ip: string): string {
  if (isIPv4(ip)) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`
  const nibbles = ipv6Groups(ip).flatMap((g) => [...g.toString(16).padStart(4, '0')])
  return `${nibbles.reverse().join('.')}.ip6.arpa`
}

/** dns2 encodes AAAA only from a fully written address (it expands no `::`). */
function fullIPv6(ip: string): string {
  return ipv6Groups(ip)
    .map((g) => g.toString(16))
    .join(':')
}

const TYPE_NAMES = new Map<number, string>(Object.entries(Packet.TYPE).map(([name, code]) => [code as number, name]))

/**
 * A DNS server on 127.0.0.1, the zones a well-behaved ISP publishes: the PTR of each address
 * in `ptr` (IPv4 or IPv6 → host name), and each host name's A or AAAA record pointing back
 * to that address. `forward` replaces a host's forward records (host → addresses; `[]`: the
 * name exists without any, NODATA), for forged PTRs. Every other name is NXDOMAIN.
 */
export async function startDns(ptr: Record<string, string>, forward: Record<string, string[]> = {}): Promise<TestDns> {
  const names = new Map(Object.entries(ptr).map(([ip, host]) => [reverseName(ip), host]))
  const addresses = new Map<string, string[]>()
  for (const [ip, host] of Object.entries(ptr)) addresses.set(host.toLowerCase(), [...(addresses.get(host.toLowerCase()) ?? []), ip])
  for (const [host, ips] of Object.entries(forward)) addresses.set(host.toLowerCase(), ips)
  const queries: string[] = []
  const questions: string[] = []
  const server = dns2.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request)
      const [question] = request.questions
      const name = question?.name ?? ''
      queries.push(name)
      questions.push(`${TYPE_NAMES.get(question?.type ?? 0) ?? question?.type} ${name}`)
      const key = name.toLowerCase().replace(/\.$/, '')
      const host = question?.type === Packet.TYPE.PTR ? names.get(key) : undefined
      const forwardOf = addresses.get(key)
      if (host) {
        response.answers.push({ name, type: Packet.TYPE.PTR, class: Packet.CLASS.IN, ttl: 300, domain: host } as never)
      } else if (forwardOf && (question?.type === Packet.TYPE.A || question?.type === Packet.TYPE.AAAA)) {
        const v4 = question.type === Packet.TYPE.A
        for (const address of forwardOf.filter((ip) => isIPv4(ip) === v4)) {
          const text = v4 ? address : fullIPv6(address)
          response.answers.push({ name, type: question.type, class: Packet.CLASS.IN, ttl: 300, address: text } as never)
        }
        // No address of the asked family: NODATA (NOERROR, no answers).
      } else if (!forwardOf) {
        response.header.rcode = 3 // NXDOMAIN
      }
      send(response)
    },
  })
  await server.listen({ udp: { port: 0, address: '127.0.0.1' } })
  const { port } = server.addresses().udp as AddressInfo
  return { server: `127.0.0.1:${port}`, queries, questions, close: () => server.close() }
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
