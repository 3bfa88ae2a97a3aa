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

/** The parts of a policy file that name operators and services. */
interface ExamplePolicy {
  positions?: { vault: string }[]
  operators?: { allow?: string[]; deny?: string[] }
  services?: { allow?: string[]; deny?: string[] }
  caps?: { perRiskGroup?: { members?: string[] }[] }
  scoring?: { slashProbabilityOverrides?: { operator?: string; service?: string }[]; serviceMetadata?: { service: string }[]; operatorMetadata?: { operator: string }[] }
}

/** Every operator address and service id a policy names, lower-case. */
function namedIds(p: ExamplePolicy): string[] {
  const sc = p.scoring
  return [
    ...(p.operators?.allow ?? []),
    ...(p.operators?.deny ?? []),
    ...(p.services?.allow ?? []),
    ...(p.services?.deny ?? []),
    ...(p.caps?.perRiskGroup ?? []).flatMap((g) => g.members ?? []),
    ...(sc?.slashProbabilityOverrides ?? []).flatMap((o) => [o.operator, o.service].filter((x): x is string => x !== undefined)),
    ...(sc?.serviceMetadata ?? []).map((m) => m.service),
    ...(sc?.operatorMetadata ?? []).map((m) => m.operator),
  ].map((x) => x.toLowerCase())
}

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
      const p = JSON.parse(await readFile(join(DIR, f), 'utf8')) as ExamplePolicy
      expect({ f, unknown: (p.positions ?? []).map((x) => x.vault.toLowerCase()).filter((v) => !known.has(v)) }).toEqual({ f, unknown: [] })
      // Every operator and service the policy names anywhere (lists, overrides, metadata, risk groups) is the world's.
      const named = namedIds(p)
      expect(named.length).toBeGreaterThan(0)
      expect({ f, unknown: named.filter((x) => !operators.has(x) && !services.has(x)) }).toEqual({ f, unknown: [] })
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
