import type { AddressInfo } from 'node:net'
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface Received {
  raw: string
  parsed: ParsedMail
  envelopeTo: string[]
}

export interface TestSmtp {
  port: number
  received: Received[]
  /** AUTH attempts, accepted or not */
  logins: number
  close(): Promise<void>
}

/**
 * A real SMTP server in the test process on 127.0.0.1: plain text (no STARTTLS: the test has
 * no certificate a client would trust), AUTH required, with one user and password.
 */
export async function startSmtp(user: string, password: string): Promise<TestSmtp> {
  const received: Received[] = []
  const state = { logins: 0 }
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    onAuth(auth, _session, cb) {
      state.logins++
      if (auth.username === user && auth.password === password) cb(null, { user })
      // Quotes what it refused, as careless servers do: the client must keep it out of its logs.
      else cb(new Error(`Invalid username or password (${auth.username}:${auth.password})`))
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        simpleParser(raw).then(
          (parsed) => {
            received.push({ raw, parsed, envelopeTo: session.envelope.rcptTo.map((r) => r.address) })
            cb()
          },
          (err: Error) => cb(err),
        )
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.server.address() as AddressInfo
  return {
    port,
    received,
    get logins() {
      return state.logins
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
