import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { safeEqual } from './tokens.ts'

export const SETUP_TOKEN_FILE = 'setup-token'

/**
 * The one-time secret that creates the first owner, so that whoever reaches a fresh instance
 * first does not own it. Kept in DATA_DIR (mode 0600) and never logged: logs travel further
 * than DATA_DIR does (journald, docker logs, log shippers), and whoever can read DATA_DIR can
 * read the counts anyway. It survives restarts until an owner exists, then it is deleted.
 */
export class SetupToken {
  #token: string | undefined

  private constructor(
    readonly file: string,
    token: string | undefined,
    private readonly ownerExists: () => boolean,
  ) {
    this.#token = token
  }

  /**
   * With an owner: no token, and a stale file is removed. Without: the file's token, made if
   * missing. `ownerExists` is asked again on every use: an owner made another way (the CLI,
   * the admin key, another node) ends the token too.
   */
  static open(dataDir: string, ownerExists: () => boolean): SetupToken {
    const file = path.join(dataDir, SETUP_TOKEN_FILE)
    if (ownerExists()) {
      rmSync(file, { force: true })
      return new SetupToken(file, undefined, ownerExists)
    }
    if (!existsSync(file)) {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 })
      writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
    }
    chmodSync(file, 0o600)
    const token = readFileSync(file, 'utf8').trim()
    // An emptied or truncated file must not turn into a guessable token.
    if (token.length < 32) {
      rmSync(file, { force: true })
      return SetupToken.open(dataDir, ownerExists)
    }
    return new SetupToken(file, token, ownerExists)
  }

  /** Whether setup still waits for this token; forgets it (file and memory) once an owner exists. */
  get pending(): boolean {
    if (this.#token !== undefined && this.ownerExists()) this.discard()
    return this.#token !== undefined
  }

  /** Constant time; always false once the first owner exists. */
  matches(candidate: string): boolean {
    return this.pending && safeEqual(candidate, this.#token!)
  }

  discard(): void {
    this.#token = undefined
    rmSync(this.file, { force: true })
  }
}
