/**
 * An owner's session token, logged in through the API, as the `skaits_session` cookie a
 * browser context is given (the login form's own navigation would race the test's next one).
 */
export async function ownerSession(url: string, owner: { email: string; password: string }): Promise<string> {
  const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(owner) })
  const session = /skaits_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1]
  if (!session) throw new Error(`login failed: ${login.status} ${await login.text()}`)
  return session
}
