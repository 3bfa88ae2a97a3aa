/** The local world's Anvil leaves nothing on disk: the states it writes of past blocks go to a directory of its own, removed when it stops. */
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { startAnvil } from '../../local/world/anvil.js'

describe('startAnvil', () => {
  it('keeps past states in a directory of its own and removes it once the node has stopped', async () => {
    const node = await startAnvil()
    try {
      expect(existsSync(node.cachePath)).toBe(true)
      const res = await fetch(node.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'anvil_mine', params: ['0x200'] }) })
      expect(res.ok).toBe(true)
    } finally {
      await node.stop()
    }
    expect(existsSync(node.cachePath)).toBe(false)
  })
})
