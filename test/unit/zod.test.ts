/** zod in the Lambda code: zod/mini only (classic zod and its JSON-Schema processors cost ~65 KB per bundle), with English messages. */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigSchema } from '../../shared/config/config.js'

/** Every `.ts` file below `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

describe('zod/mini', () => {
  it('default messages are English (shared/zodLocale.ts is loaded with the schemas)', () => {
    const r = ConfigSchema.safeParse({ chainId: 'x', rpcUrl: 'not a url' })
    expect(r.success).toBe(false)
    const messages = Object.fromEntries((r.error?.issues ?? []).map((i) => [i.path.join('.'), i.message]))
    expect(messages.chainId).toBe('Invalid input: expected number, received NaN')
    expect(messages.rpcUrl).toBe('Invalid URL')
    expect(messages.symbiotic).toBe('Invalid input: expected object, received undefined')
  })

  it('shared/ and functions/ (the code the Lambdas bundle) import zod only as zod/mini', () => {
    const classic = ['shared', 'functions'].flatMap(sources).filter((f) => /from\s+['"]zod(?:\/v4)?['"]/.test(readFileSync(f, 'utf8')))
    expect(classic).toEqual([])
  })
})
