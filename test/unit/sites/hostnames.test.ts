import { describe, expect, it } from 'vitest'
import { compileHostnames, defaultHostnames, hostnamePatterns } from '../../../server/sites/hostnames.ts'

describe('site hostnames', () => {
  it('allows the domain and its subdomains by default, nothing else', () => {
    const allows = compileHostnames(defaultHostnames('example.lv'))
    for (const host of ['example.lv', 'www.example.lv', 'a.b.example.lv', 'EXAMPLE.LV', 'example.lv.']) expect(allows(host), host).toBe(true)
    for (const host of ['notexample.lv', 'example.lv.evil.com', 'example.com', 'localhost', 'lv']) expect(allows(host), host).toBe(false)
  })

  it('takes hosts and *.domain patterns, normalised as URL.hostname gives them', () => {
    const parsed = hostnamePatterns.parse([' Staging.Example.NET ', '*.preview.lv', 'localhost', '127.0.0.1', 'bücher.lv', '[::1]'])
    expect(parsed).toEqual(['staging.example.net', '*.preview.lv', 'localhost', '127.0.0.1', 'xn--bcher-kva.lv', '[::1]'])
    const allows = compileHostnames(parsed)
    expect(allows('staging.example.net')).toBe(true)
    expect(allows('a.preview.lv')).toBe(true)
    expect(allows('preview.lv')).toBe(false)
    expect(allows(new URL('https://bücher.lv/').hostname)).toBe(true)
    expect(allows(new URL('http://[::1]:8080/').hostname)).toBe(true)
    expect(allows('example.net')).toBe(false)
  })

  it('refuses what is not a host', () => {
    for (const bad of ['', 'https://x.lv/', 'a b.lv', '*', '*.', 'x.lv/path', '-x.lv', 'a'.repeat(300)]) {
      expect(hostnamePatterns.safeParse([bad]).success, bad).toBe(false)
    }
    expect(hostnamePatterns.safeParse([]).success).toBe(false)
  })
})
