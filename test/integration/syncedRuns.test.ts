/**
 * The production runs through the chain sync and the strictest provider profile (test/setup/providerProxy.ts: a
 * 5-block `eth_getLogs` span, 2 results per answer, batches of 10, periodic 429s whole-request and per item) on the
 * shared world, whose seeded history is many times longer than that span with its events spread across it. Score,
 * rebalance, the watcher and CLI `plan` each read only through the `chainLogs` store (a first sync, then only new
 * blocks), and their results equal a direct connection's (its own fresh tables, no proxy): scores, plan, calls, the
 * stakes left on chain, the events the watcher sees.
 */
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReader } from '../../shared/chain/client.js'
import { chainSyncFor, readSourceEvents } from '../../shared/chain/sync/index.js'
import type { Config } from '../../shared/config/config.js'
import { readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'
import { readVaultStructure, symbioticEvents, symbioticSource } from '../../shared/protocols/symbiotic/source.js'
import { runRebalance } from '../../shared/services/runRebalance.js'
import { runScore } from '../../shared/services/runScore.js'
import { withTriggers } from '../../shared/services/triggers.js'
import { asWatchContext, watchEvents } from '../../shared/services/watchEvents.js'
import type { AutopilotContext } from '../../shared/services/context.js'
import { encodeJson } from '../../shared/store/client.js'
import { runCli } from '../setup/cli.js'
import { LOCAL_WORLD_LIMITS, type ProviderName, type ProviderProxy, localWorldProfile, startProviderProxy } from '../setup/providerProxy.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { defaultPolicy, testContext } from './helpers.js'

const w = world()
const c = chain(w)
const STRICT = localWorldProfile('strict')
let proxy: ProviderProxy
let revert: () => Promise<void>
let direct: AutopilotContext
let proxied: AutopilotContext
let proxiedConfig: Config

beforeAll(async () => {
  revert = await snapshot(c)
  proxy = await startProviderProxy({ target: w.config.rpcUrl, profile: STRICT })
  // The sync stores up to head − confirmations: mine them so the newest seeded events are stored too.
  await c.test.mine({ blocks: w.config.confirmations })
  direct = testContext(w, await withFreshTables(w))
  proxiedConfig = { ...(await withFreshTables(w)), rpcUrl: proxy.url, rpc: { batchSize: STRICT.maxBatch! } }
  proxied = testContext(w, proxiedConfig)
})

afterAll(async () => {
  await proxy?.close()
  await revert?.()
})

describe('runs through the chain sync and the strict provider profile', () => {
  it('score: a first sync of a history much longer than the provider’s span, then the same scores as a direct connection', async () => {
    proxy.reset()
    const [d, p] = [await runScore(direct, 'test'), await runScore(proxied, 'test')]
    expect([d.status, p.status]).toEqual(['succeeded', 'succeeded'])
    expect(p.blockNumber).toBe(d.blockNumber)
    expect((await proxied.runs.get(p.runId))?.scores).toEqual((await direct.runs.get(d.runId))?.scores)
    // The history is longer than the span, its events spread over it, and the provider refused the long spans.
    const structure = await readVaultStructure(
      direct.client,
      w.config.vaults.map((v) => v.address),
    )
    const source = symbioticSource({ ...w.config.symbiotic, vaults: structure.map((v, i) => ({ ...v, stakerRewards: w.config.vaults[i]!.stakerRewards })), chainId: w.config.chainId, fromBlock: w.config.fromBlock })
    const { logs, syncedTo } = await readSourceEvents(proxied.chainLogs, source)
    const span = BigInt(STRICT.maxLogsRange!)
    expect(syncedTo - w.config.fromBlock).toBeGreaterThan(10n * span)
    expect(logs.at(-1)!.blockNumber - logs[0]!.blockNumber).toBeGreaterThan(10n * span)
    expect(proxy.stats().refused.logsRange ?? 0).toBeGreaterThan(0)
    expect(proxy.stats().refused.http429 ?? 0).toBeGreaterThan(0)
  })

  it('a steady-state run fetches only the blocks after the cursor: at most 5 HTTP requests for the read', async () => {
    await c.test.mine({ blocks: 3 })
    let requests = 0
    const client = createReader({ rpcUrl: proxy.url, chainId: w.config.chainId, rpc: proxiedConfig.rpc, onRequest: () => void requests++ })
    await client.getBlockNumber({ cacheTime: 0 }) // the client's chain-id check: once per cold start, not per run
    const sync = chainSyncFor(proxied)
    proxy.setProfile(localWorldProfile('strict', { http429Every: 0, item429Every: 0 }))
    proxy.reset()
    requests = 0
    const u = await readSymbioticUniverse(client, {
      ...w.config.symbiotic,
      vaults: w.config.vaults,
      curator: w.seeded.curator.address,
      labels: w.config.labels,
      fromBlock: w.config.fromBlock,
      events: symbioticEvents(client, sync, { chainId: w.config.chainId, fromBlock: w.config.fromBlock }),
    })
    const seen = proxy.stats()
    proxy.setProfile(STRICT)
    expect(u.operators.length).toBeGreaterThan(0)
    expect(requests, JSON.stringify(seen.byMethod)).toBeLessThanOrEqual(5)
  })

  it('watch: the watcher reads the same synced store and sees the same events as a direct connection', async () => {
    const alertOnly = defaultPolicy({ slashResponse: 'alert-only' })
    const tick = async (ctx: AutopilotContext) => {
      const wctx = asWatchContext(withTriggers({ ...ctx, policy: alertOnly }))
      const opts = { startBlock: w.config.fromBlock, maxBlockRange: 1_000_000, trigger: 'test' }
      expect((await watchEvents(wctx, opts)).status).toBe('initialised')
      return watchEvents(wctx, opts)
    }
    const [d, p] = [await tick(direct), await tick(proxied)]
    expect(p.status).toBe('advanced')
    expect(p.toBlock).toBe(d.toBlock)
    expect(p.events.map((e) => ({ ...e, outcome: undefined }))).toEqual(d.events.map((e) => ({ ...e, outcome: undefined })))
    expect(p.events.some((e) => e.kind === 'Slash')).toBe(true)
  })

  it('CLI plan through the provider with the deployed tables equals plan over a direct connection', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ra-synced-'))
    const policy = join(dir, 'policy.json')
    await writeFile(
      policy,
      JSON.stringify({ ...defaultPolicy(), mode: 'dry-run' }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    )
    const { tables: _t, ...noTables } = { ...w.config, fromBlock: w.config.fromBlock.toString() }
    await writeFile(join(dir, 'direct.json'), encodeJson(noTables))
    await writeFile(join(dir, 'proxied.json'), encodeJson({ ...proxiedConfig, fromBlock: proxiedConfig.fromBlock.toString() }))
    const d = await runCli('plan', '--rpc', w.config.rpcUrl, '--policy', policy, '--config', join(dir, 'direct.json'), '--json')
    const p = await runCli('plan', '--rpc', proxy.url, '--policy', policy, '--config', join(dir, 'proxied.json'), '--json')
    expect([d.code, p.code], d.err + p.err).toEqual([0, 0])
    // The same plan, scores and decision; only the RPC it names differs.
    expect({ ...JSON.parse(p.out), rpc: undefined }).toEqual({ ...JSON.parse(d.out), rpc: undefined })
  })

  it('rebalance: the same plan and calls, and the same stakes on chain, as a direct connection', async () => {
    const before = await snapshot(c)
    const d = await runRebalance(direct, { trigger: 'test' })
    const chainAfter = async () => readSymbioticUniverse(direct.client, { ...w.config.symbiotic, vaults: w.config.vaults, curator: w.seeded.curator.address })
    const stakesDirect = (await chainAfter()).positions.map((x) => x.allocations)
    await before()
    const p = await runRebalance(proxied, { trigger: 'test' })
    expect(p.status).toBe(d.status)
    expect(p.plan).toEqual(d.plan)
    expect(p.actions.map((a) => a.description)).toEqual(d.actions.map((a) => a.description))
    expect(d.actions.some((a) => a.txHash)).toBe(true)
    expect((await chainAfter()).positions.map((x) => x.allocations)).toEqual(stakesDirect)
  })

  it('a first sync not caught up within the run: score and rebalance are skipped by name, nothing is planned; the next run continues and plans', async () => {
    const ctx = testContext(w, { ...(await withFreshTables(w)), rpcUrl: proxy.url, rpc: { batchSize: STRICT.maxBatch!, getLogsRange: 50 } })
    const key = { chainId: w.config.chainId, source: 'symbiotic' }
    // The Lambda's time is up before the first chunk (the deadline forInvocation derives from the remaining time).
    const late = { ...ctx, syncDeadline: Date.now() - 1 }
    const score = await runScore(late, 'test')
    expect(score).toMatchObject({ status: 'skipped', error: { name: 'SyncBehindError', message: expect.stringContaining('has synced nothing yet') } })
    const rebalance = await runRebalance(late, { trigger: 'test' })
    expect(rebalance).toMatchObject({ status: 'skipped', error: { name: 'SyncBehindError' }, actions: [] })
    expect(rebalance.plan).toBeUndefined()
    expect((await ctx.runs.get(rebalance.runId))?.status).toBe('skipped')
    expect((await ctx.chainLogs.getCursor(key))?.coverage.every((g) => g.syncedTo === w.config.fromBlock - 1n)).toBe(true)
    // The next run has time: the sync catches up from where it stopped and the run scores.
    const next = await runScore(ctx, 'test')
    expect(next.status).toBe('succeeded')
    expect((await ctx.chainLogs.getCursor(key))?.coverage.every((g) => g.syncedTo >= next.blockNumber! - BigInt(w.config.confirmations))).toBe(true)
  })
})

describe('rebalance through every provider profile', () => {
  // Each provider's caps scaled to the local world (LOCAL_WORLD_LIMITS), its exact refusal messages and periodic 429s:
  // a first sync into fresh tables, then the run; the plan, the calls and the stakes left on chain equal a direct run's.
  const others = (Object.keys(LOCAL_WORLD_LIMITS) as ProviderName[]).filter((name) => name !== 'strict')
  beforeAll(async () => {
    // Back to the seeded world (the runs above rebalanced it), kept for afterAll; the sync stores up to head − confirmations.
    await revert()
    revert = await snapshot(c)
    await c.test.mine({ blocks: w.config.confirmations })
  })
  it.each(others)('%s: the same plan, calls and on-chain stakes as a direct connection', async (name) => {
    const profile = localWorldProfile(name)
    const viaProvider = await startProviderProxy({ target: w.config.rpcUrl, profile })
    // An Anvil snapshot is used up by its revert: take a new one after each.
    let restore = await snapshot(c)
    try {
      const stakes = async () => (await readSymbioticUniverse(direct.client, { ...w.config.symbiotic, vaults: w.config.vaults, curator: w.seeded.curator.address })).positions.map((x) => x.allocations)
      const d = await runRebalance(testContext(w, await withFreshTables(w)), { trigger: 'test' })
      const stakesDirect = await stakes()
      await restore()
      restore = await snapshot(c)
      const config = { ...(await withFreshTables(w)), rpcUrl: viaProvider.url, ...(profile.maxBatch ? { rpc: { batchSize: profile.maxBatch } } : {}) }
      const p = await runRebalance(testContext(w, config), { trigger: 'test' })
      expect(p.status, JSON.stringify(p.error)).toBe(d.status)
      expect(p.plan).toEqual(d.plan)
      expect(p.actions.map((a) => a.description)).toEqual(d.actions.map((a) => a.description))
      expect(d.actions.some((a) => a.txHash)).toBe(true)
      expect(await stakes()).toEqual(stakesDirect)
      // The provider's limits were met and survived, not bypassed.
      expect(Object.values(viaProvider.stats().refused).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    } finally {
      await restore()
      await viaProvider.close()
    }
  })
})
