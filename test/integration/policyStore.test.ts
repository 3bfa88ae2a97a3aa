/**
 * The versioned policy store on the shared DynamoDB Local: `autopilot policy|config push/diff/history/rollback`
 * (validation before any write, who/when/hash on every version, concurrent pushes never share a version, a
 * deployed-style table given by --table), and the functions' runtime reading the current version every run so a
 * push takes effect on the next run without a deploy, each run recording the version it used.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EXIT, toJson } from '../../local/cli/common.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import type { Config } from '../../shared/config/config.js'
import { handlerRuntime } from '../../shared/services/runtime.js'
import { runScore } from '../../shared/services/runScore.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { StaleWriteError } from '../../shared/store/errors.js'
import { PolicyStore, StorePolicySource } from '../../shared/store/policies.js'
import { RunStore } from '../../shared/store/runs.js'
import { runCli as run } from '../setup/cli.js'
import { withFreshTables, world } from '../setup/worldHandle.js'

const w = world()
const POLICY = 'local/scenarios/default.policy.json'
let dir: string
let config: Config
const doc = () => createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint })
const store = () => ['--dynamo-endpoint', config.dynamoEndpoint!, '--table', config.tables.policies]
const file = (name: string) => join(dir, name)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ra-policy-store-'))
  config = await withFreshTables(w)
  const base = JSON.parse(await readFile(POLICY, 'utf8')) as Record<string, unknown>
  await writeFile(file('v1.json'), toJson(base))
  await writeFile(file('v2.json'), toJson({ ...base, minNetGainBpsPerYear: 7, operators: { deny: ['0x00000000000000000000000000000000000000b1'] } }))
  await writeFile(file('bad.json'), toJson({ ...base, caps: { perOperator: 1.5, perService: -1 }, mode: 'yolo' }))
  await writeFile(file('not-json.json'), '{ "version": 1,')
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('autopilot policy push / diff / history / rollback', () => {
  it('refuses a malformed policy with every error path and writes nothing', async () => {
    const r = await run('policy', 'push', file('bad.json'), ...store())
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('InvalidDocumentError')
    for (const path of ['$.caps.perOperator', '$.caps.perService', '$.mode']) expect(r.err).toContain(path)
    expect(r.err).toContain('nothing was written')
    const j = await run('policy', 'push', file('not-json.json'), ...store(), '--json')
    expect(j.code).toBe(EXIT.failed)
    expect(JSON.parse(j.out)).toMatchObject({ written: false, errors: [{ path: '$' }] })
    const h = await run('policy', 'history', ...store(), '--json')
    expect(h.code).toBe(EXIT.ok)
    expect(JSON.parse(h.out)).toEqual({ kind: 'policy', table: config.tables.policies, current: null, versions: [] })
  })

  it('pushes versions with author, time and hash; an identical push writes nothing', async () => {
    const one = await run('policy', 'push', file('v1.json'), ...store(), '--author', 'alice', '--json')
    expect(one.err).toBe('')
    expect(one.code).toBe(EXIT.ok)
    const v1 = JSON.parse(one.out) as { written: boolean; version: number; author: string; hash: string; action: string; createdAt: string }
    expect(v1).toMatchObject({ written: true, version: 1, author: 'alice', action: 'push', previous: null })
    expect(v1.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(Date.parse(v1.createdAt)).toBeGreaterThan(0)

    const again = await run('policy', 'push', file('v1.json'), ...store(), '--author', 'alice')
    expect(again.code).toBe(EXIT.ok)
    expect(again.out).toContain('policy unchanged: version 1 (current)')

    const two = await run('policy', 'push', file('v2.json'), ...store(), '--author', 'bob')
    expect(two.code).toBe(EXIT.ok)
    expect(two.out).toContain('✓ policy version 2 is current')
    expect(two.out).toContain('~ $.minNetGainBpsPerYear')
    expect(two.out).toContain('+ $.operators.deny[0]: "0x00000000000000000000000000000000000000b1"')

    const h = JSON.parse((await run('policy', 'history', ...store(), '--json')).out) as { current: number; versions: { version: number; author: string }[] }
    expect(h.current).toBe(2)
    expect(h.versions.map((v) => [v.version, v.author])).toEqual([
      [2, 'bob'],
      [1, 'alice'],
    ])
    const text = await run('policy', 'history', ...store())
    expect(text.out).toMatch(/\*2\s+\S+ \S+\s+bob\s+push/)
  })

  it('diffs a file, a version, and the current version against the one before', async () => {
    const vsFile = JSON.parse((await run('policy', 'diff', file('v1.json'), ...store(), '--json')).out) as { from: string; to: string; changes: { op: string; path: string }[] }
    expect(vsFile.from).toBe('version 2 (current)')
    expect(vsFile.changes).toEqual(expect.arrayContaining([expect.objectContaining({ op: 'change', path: '$.minNetGainBpsPerYear', from: 7 }), expect.objectContaining({ op: 'remove', path: '$.operators.deny[0]' })]))
    const vsVersion = await run('policy', 'diff', '1', ...store())
    expect(vsVersion.code).toBe(EXIT.ok)
    expect(vsVersion.out).toContain('policy version 2 (current) → version 1')
    const last = await run('policy', 'diff', ...store())
    expect(last.out).toContain('policy version 1 → version 2 (current)')
    const none = await run('policy', 'diff', file('v2.json'), ...store())
    expect(none.out).toContain('(no changes)')
    const missing = await run('policy', 'diff', '9', ...store())
    expect(missing.code).toBe(EXIT.failed)
    expect(missing.err).toContain('VersionNotFoundError')
  })

  it('rollback N writes a new version equal to N, recorded as a rollback', async () => {
    const r = await run('policy', 'rollback', '1', ...store(), '--author', 'carol', '--json')
    expect(r.code).toBe(EXIT.ok)
    const j = JSON.parse(r.out) as { version: number; action: string; rollbackOf: number; hash: string; previous: number }
    expect(j).toMatchObject({ version: 3, action: 'rollback', rollbackOf: 1, previous: 2 })
    const policies = new PolicyStore({ client: doc(), tableName: config.tables.policies })
    const [v1, v3] = [await policies.require('policy', 1), await policies.require('policy', 3)]
    expect(v3.document).toBe(v1.document)
    expect(v3.hash).toBe(v1.hash)
    expect(await policies.currentVersion('policy')).toBe(3)
    expect((await run('policy', 'rollback', '0', ...store())).code).toBe(EXIT.usage)
    expect((await run('policy', 'rollback', '42', ...store())).code).toBe(EXIT.failed)
  })

  it('two concurrent pushes never both become version N: one wins, the other writes nothing', async () => {
    const policies = new PolicyStore({ client: doc(), tableName: config.tables.policies })
    const before = await policies.currentVersion('policy')
    const base = JSON.parse(await readFile(POLICY, 'utf8')) as Record<string, unknown>
    const results = await Promise.allSettled([5, 6, 8].map((bps) => policies.push({ kind: 'policy', document: { ...base, minNetGainBpsPerYear: bps }, author: `racer-${bps}`, now: Date.now() })))
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(won.length).toBeGreaterThanOrEqual(1)
    for (const l of lost) expect(l.reason).toBeInstanceOf(StaleWriteError)
    const history = await policies.history('policy', 50)
    const numbers = history.map((v) => v.version)
    expect(new Set(numbers).size).toBe(numbers.length)
    expect(numbers[0]).toBe(before! + won.length)
    expect(await policies.currentVersion('policy')).toBe(before! + won.length)
  })

  it('config push validates the protocol config and versions it the same way', async () => {
    await writeFile(file('bad-config.json'), toJson({ symbiotic: {}, vaults: [] }))
    const bad = await run('config', 'push', file('bad-config.json'), ...store())
    expect(bad.code).toBe(EXIT.failed)
    for (const path of ['$.symbiotic.operatorVaultOptInService', '$.vaults']) expect(bad.err).toContain(path)
    const { rpcUrl: _r, tables: _t, dynamoEndpoint: _d, chainId: _c, ...protocol } = config
    await writeFile(file('config.json'), toJson(protocol))
    const ok = await run('config', 'push', file('config.json'), ...store(), '--author', 'alice')
    expect(ok.code).toBe(EXIT.ok)
    expect(ok.out).toContain('✓ config version 1 is current')
    expect((await run('config', 'frobnicate', ...store())).code).toBe(EXIT.usage)
  })
})

describe('functions read the current version every run', () => {
  it('a push takes effect on the next run without a deploy; each run records the versions it used', async () => {
    const fresh = await withFreshTables(w)
    const policies = new PolicyStore({ client: doc(), tableName: fresh.tables.policies })
    const base = JSON.parse(await readFile(POLICY, 'utf8')) as Record<string, unknown>
    const { rpcUrl: _r, tables: _t, dynamoEndpoint: _d, chainId: _c, ...protocol } = fresh
    // AWS shape: AUTOPILOT_CONFIG carries only the deployment's part; policy and protocol config are in the store.
    const env = { AUTOPILOT_CONFIG: toJson({ chainId: fresh.chainId, rpcUrl: fresh.rpcUrl, dynamoEndpoint: fresh.dynamoEndpoint, tables: fresh.tables }), POLICY_CACHE_SECONDS: '0', AWS_REGION: 'local' }
    const runtime = handlerRuntime(env, 'score-test')
    await expect(runtime.context()).rejects.toMatchObject({ name: 'NoCurrentVersionError' })
    await policies.push({ kind: 'config', document: JSON.parse(toJson(protocol)), author: 'test', now: Date.now() })
    await policies.push({ kind: 'policy', document: base, author: 'test', now: Date.now() })

    const ctx1 = await runtime.context()
    expect(ctx1.config.vaults.map((v) => v.address)).toEqual(fresh.vaults.map((v) => v.address))
    const r1 = await runScore(ctx1, 'policy-store-test')
    expect(r1.status).toBe('succeeded')

    await policies.push({ kind: 'policy', document: { ...base, minNetGainBpsPerYear: 42 }, author: 'test', now: Date.now() })
    const ctx2 = await runtime.context()
    expect(ctx2.policy.minNetGainBpsPerYear).toBe(42)
    const r2 = await runScore(ctx2, 'policy-store-test')

    const runs = new RunStore({ client: doc(), tableName: fresh.tables.runs })
    const [rec1, rec2] = [await runs.get(r1.runId), await runs.get(r2.runId)]
    expect(rec1).toMatchObject({ policyVersion: 1, configVersion: 1 })
    expect(rec2).toMatchObject({ policyVersion: 2, configVersion: 1 })
    expect(rec2!.policyHash).toBe((await policies.require('policy', 2)).hash)
  })

  it('caches the CURRENT pointer for the cache time, then sees the new version', async () => {
    const fresh = await withFreshTables(w)
    const table = { client: doc(), tableName: fresh.tables.policies }
    const policies = new PolicyStore(table)
    const base = JSON.parse(await readFile(POLICY, 'utf8')) as Record<string, unknown>
    await policies.push({ kind: 'policy', document: base, author: 'test', now: 0 })
    const source = new StorePolicySource({ store: table, config: false, cacheMs: 30_000 })
    const t = 1_000_000
    expect((await source.current(t)).policyVersion).toBe(1)
    await policies.push({ kind: 'policy', document: { ...base, minNetGainBpsPerYear: 9 }, author: 'test', now: 0 })
    expect((await source.current(t + 29_999)).policyVersion).toBe(1)
    const after = await source.current(t + 30_000)
    expect(after.policyVersion).toBe(2)
    expect(after.policy.minNetGainBpsPerYear).toBe(9)
  })
})
