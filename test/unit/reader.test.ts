/** The lean reader: every client method the code calls exists on it (a static guard for the tree-shaken action set). */
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createReader } from '../../shared/chain/client.js'

/** Every `.ts` file below `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : []
  })
}

/** Objects named `client` in our code that are NOT viem readers (the DynamoDB / KMS / SNS SDK clients). */
const SDK_METHODS = new Set(['send', 'destroy', 'from'])

describe('createReader', () => {
  it('has every method the code calls on a `client` (shared, functions, local)', () => {
    const reader = createReader({ rpcUrl: 'http://127.0.0.1:1', chainId: 31337 }) as unknown as Record<string, unknown>
    const called = new Set<string>()
    for (const file of ['shared', 'functions', 'local'].flatMap(sources)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:[a-zA-Z]*[cC]lient|reader|probe)\??\.([a-zA-Z]+)\(/g)) called.add(m[1] as string)
    }
    const missing = [...called].filter((m) => !SDK_METHODS.has(m) && typeof reader[m] !== 'function')
    expect(called.size).toBeGreaterThan(8)
    expect(missing).toEqual([])
  })

  it('batches and counts: still a viem client with the chain and Multicall3 address', () => {
    const reader = createReader({ rpcUrl: 'http://127.0.0.1:1', chainId: 31337 })
    expect(reader.chain?.id).toBe(31337)
    expect(reader.chain?.contracts?.multicall3?.address).toBe('0xcA11bde05977b3631167028862bE2a173976CA11')
    expect(typeof reader.request).toBe('function')
  })
})
