// A MaxMind DB written by hand (https://maxmind.github.io/MaxMind-DB/), so a test can make the
// real ISP enrichment (ISP_DB) answer names of its choosing, hostile ones included.

/** An ASN database of IPv4 quarters: 0–63.x → names[0], 64–127.x → [1], 128–191.x → [2], 192–255.x → [3]. */
export function asnMmdbOfQuarters(names: [string, string, string, string]): Buffer {
  const records = names.map((name, i) => encode({ autonomous_system_number: 64_500 + i, autonomous_system_organization: name }))
  const nodeCount = 3
  // A record above the node count points into the data section: node count + 16 + offset.
  const pointers: number[] = []
  let offset = 0
  for (const r of records) {
    pointers.push(nodeCount + 16 + offset)
    offset += r.length
  }
  // 24-bit records, two per node: the first bit of the address picks node 1 or 2, the second the name.
  const tree = Buffer.concat([[1, 2], [pointers[0]!, pointers[1]!], [pointers[2]!, pointers[3]!]].map(([l, r]) => Buffer.from([...uint24(l!), ...uint24(r!)])))
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: 4,
    database_type: 'GeoLite2-ASN',
    languages: ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: 1_700_000_000,
    description: { en: 'Skaits test ASN database' },
  })
  return Buffer.concat([tree, Buffer.alloc(16), ...records, Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'), metadata])
}

type Value = string | number | Value[] | { [key: string]: Value }

const uint24 = (n: number) => [(n >> 16) & 255, (n >> 8) & 255, n & 255]

/** The data section's encoding: strings, unsigned 32-bit numbers, arrays and maps. */
function encode(v: Value): Buffer {
  if (typeof v === 'string') {
    const bytes = Buffer.from(v, 'utf8')
    return Buffer.concat([control(2, bytes.length), bytes])
  }
  if (typeof v === 'number') {
    const bytes: number[] = []
    for (let n = v; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256)
    return Buffer.concat([control(6, bytes.length), Buffer.from(bytes)])
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map(encode)])
  const entries = Object.entries(v)
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])])
}

/** A field's control byte(s): type in the top three bits (0 and a second byte for types above 7), then the size. */
function control(type: number, size: number): Buffer {
  if (size >= 285) throw new Error('fields of up to 284 bytes only')
  const head = (type > 7 ? 0 : type << 5) | (size < 29 ? size : 29)
  return Buffer.from([head, ...(type > 7 ? [type - 7] : []), ...(size < 29 ? [] : [size - 29])])
}
