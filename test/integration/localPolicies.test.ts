/**
 * Every shipped example policy (local/policies/*.json) runs against the local world: the positions, operators and
 * services it names are the default world's (deterministic: actors derive from their labels, the vault and the
 * EigenLayer strategy from the deployer's nonce), so `autopilot plan` reads, scores and plans with it — no
 * UnknownPositionError, exit 0, nothing sent.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT, toJson } from '../../local/cli/common.js'
import { configuredPositionIds } from '../../shared/config/config.js'
import { runCli } from '../setup/cli.js'
import { chain, world } from '../setup/worldHandle.js'

const w = world()
const c = chain(w)
const DIR = 'local/policies'
let dir: string
let files: string[]

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ra-policies-it-'))
  const { tables: _tables, ...noTables } = w.config
  await writeFile(join(dir, 'config.json'), toJson(noTables))
  files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort()
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('shipped example policies against the local world', () => {
  it('name only positions the local world configures, and operators and services it has', async () => {
    expect(files).toEqual(['aggressive-strategist.json', 'conservative-dao.json', 'webhook-driven.json'])
    const known = new Set(configuredPositionIds(w.config))
    const operators = new Set(w.seeded.operators.map((o) => o.address.toLowerCase()))
    const services = new Set(w.seeded.networks.flatMap((n) => n.subnetworks.map((s) => s.id.toLowerCase())))
    for (const f of files) {
      const p = JSON.parse(await readFile(join(DIR, f), 'utf8')) as { positions?: { vault: string }[]; operators?: { allow?: string[] }; services?: { allow?: string[]; deny?: string[] } }
      expect({ f, unknown: (p.positions ?? []).map((x) => x.vault.toLowerCase()).filter((v) => !known.has(v)) }).toEqual({ f, unknown: [] })
      expect({ f, unknown: (p.operators?.allow ?? []).filter((o) => !operators.has(o.toLowerCase())) }).toEqual({ f, unknown: [] })
      expect({ f, unknown: [...(p.services?.allow ?? []), ...(p.services?.deny ?? [])].filter((s) => !services.has(s.toLowerCase())) }).toEqual({ f, unknown: [] })
    }
  })

  it('each runs `autopilot plan` (exit 0, no UnknownPositionError) and sends nothing', async () => {
    const nonce = await c.public.getTransactionCount({ address: w.seeded.curator.address })
    for (const f of files) {
      const r = await runCli('plan', '--policy', join(DIR, f), '--config', join(dir, 'config.json'), '--dry-run')
      expect({ f, code: r.code, err: r.err }).toEqual({ f, code: EXIT.ok, err: '' })
      expect(r.out).toMatch(/Decision: /)
      expect(r.out).toContain('Nothing was sent (--dry-run)')
    }
    expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(nonce)
  })
})
