/**
 * The console CLI against the shared local world (real Anvil, Symbiotic, DynamoDB Local): plan reads the chain
 * and sends nothing; runs and explain read the run store (flags, config file, AUTOPILOT_CONFIG); backtest
 * replays a short calm market; and the real bin (local/cli/bin.mjs) is spawned for the exit codes scripts see.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAbiItem } from 'viem'
import { EXIT, toJson } from '../../local/cli/common.js'
import { units } from '../../shared/domain/format.js'
import { runCli } from '../setup/cli.js'
import type { Config } from '../../shared/config/config.js'
import { runRebalance, type RunRebalanceResult } from '../../shared/services/runRebalance.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { testContext } from './helpers.js'

const w = world()
const c = chain(w)
const POLICY = 'local/scenarios/default.policy.json'
let revert: () => Promise<void>
let dir: string
let config: Config
let prefix: string
let reb: RunRebalanceResult

const run = runCli
const store = () => ['--dynamo-endpoint', w.config.dynamoEndpoint!, '--tables-prefix', prefix]

beforeAll(async () => {
  revert = await snapshot(c)
  dir = await mkdtemp(join(tmpdir(), 'ra-cli-it-'))
  config = await withFreshTables(w)
  prefix = config.tables.runs.replace(/-runs$/, '')
  const { tables: _tables, ...noTables } = config
  await writeFile(join(dir, 'plan-config.json'), toJson(noTables))
  await writeFile(join(dir, 'config.json'), toJson(config))
  await writeFile(join(dir, 'wrong-chain.json'), toJson({ ...noTables, chainId: 1 }))
  const ctx = testContext(w, config)
  reb = await runRebalance(ctx, { trigger: 'cli-test' })
  expect(reb.status).toBe('succeeded')
  await revert() // back to the seeded chain: plan below sees the even split again
  revert = await snapshot(c)
})
afterAll(async () => {
  await revert?.()
  await rm(dir, { recursive: true, force: true })
})

describe('autopilot plan', () => {
  it('reads the live chain, prints scores and the plan with reasons, and sends nothing', async () => {
    const nonce = await c.public.getTransactionCount({ address: w.seeded.curator.address })
    const block = await c.public.getBlockNumber()
    const r = await run('plan', '--rpc', w.config.rpcUrl, '--policy', POLICY, '--config', join(dir, 'plan-config.json'), '--dry-run')
    expect(r.err).toBe('')
    expect(r.code).toBe(EXIT.ok)
    expect(r.out).toContain(`Read chain ${w.config.chainId} at block ${block}`)
    expect(r.out).toMatch(/Decision: ACT — \d+ calls/)
    expect(r.out).toContain('Services (risk bands')
    for (const op of w.seeded.operators) expect(r.out).toContain(op.label)
    expect(r.out).toContain('Actions (in execution order)')
    expect(r.out).toContain('Nothing was sent (--dry-run)')
    expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(nonce)
    expect(await c.public.getBlockNumber()).toBe(block)
  })

  it('--json gives scores, plan and decision for machines (amounts as strings)', async () => {
    const r = await run('plan', '--policy', POLICY, '--config', join(dir, 'plan-config.json'), '--json')
    expect(r.code).toBe(EXIT.ok)
    const j = JSON.parse(r.out) as {
      sent: boolean
      chainId: number
      blockNumber: string
      decision: { kind: string; actions: { from: string; to: string; reasons: string[] }[] }
      plan: { positions: unknown[] }
      scores: { operators: unknown[] }
    }
    expect(j.sent).toBe(false)
    expect(j.chainId).toBe(w.config.chainId)
    expect(j.decision.kind).toBe('act')
    expect(j.decision.actions.every((a) => /^\d+$/.test(a.from) && /^\d+$/.test(a.to) && a.reasons.length > 0)).toBe(true)
    expect(j.scores.operators).toHaveLength(w.seeded.operators.length)
  })

  it('a policy position naming no vault the config reads is an error (exit 1), not noChange', async () => {
    const policy = JSON.parse(await readFile(POLICY, 'utf8')) as Record<string, unknown>
    const ghost = `0x${'de'.repeat(20)}`
    await writeFile(join(dir, 'ghost-policy.json'), JSON.stringify({ ...policy, positions: [{ vault: ghost }] }))
    const r = await run('plan', '--policy', join(dir, 'ghost-policy.json'), '--config', join(dir, 'plan-config.json'))
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain(`UnknownPositionError: Policy position ${ghost} names no vault the bot reads`)
    expect(r.err).toContain(config.vaults[0]!.address.toLowerCase())
  })

  it('refuses a config for another chain (exit 1)', async () => {
    const r = await run('plan', '--policy', POLICY, '--config', join(dir, 'wrong-chain.json'))
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain(`chainId 1 but the RPC serves chain ${w.config.chainId}`)
  })
})

describe('autopilot runs', () => {
  it('lists the recorded run with its calls (store from flags)', async () => {
    const r = await run('runs', ...store())
    expect(r.code).toBe(EXIT.ok)
    expect(r.out).toContain(reb.runId)
    expect(r.out).toContain('succeeded')
    expect(r.out).toContain(`${reb.actions.length} call(s)`)
  })

  it('--json, --kind all, and the store from a config file', async () => {
    const r = await run('runs', '--config', join(dir, 'config.json'), '--kind', 'all', '--json')
    expect(r.code).toBe(EXIT.ok)
    const j = JSON.parse(r.out) as { table: string; runs: { runId: string; kind: string; txHashes: string[] }[] }
    expect(j.table).toBe(config.tables.runs)
    const mine = j.runs.find((x) => x.runId === reb.runId)!
    expect(mine.txHashes).toEqual(reb.actions.map((a) => a.txHash))
  })

  it('an empty table is not an error; an unreachable store is (exit 1)', async () => {
    const empty = await run('runs', '--kind', 'watch', ...store())
    expect(empty.code).toBe(EXIT.ok)
    expect(empty.out).toContain('no watch runs')
    const down = await run('runs', '--dynamo-endpoint', 'http://127.0.0.1:1', '--tables-prefix', prefix)
    expect(down.code).toBe(EXIT.failed)
  })
})

describe('autopilot runs yield', () => {
  /** Σ DistributeRewards paid to the seeded vault's stakers and Σ its slashes, read here straight from the chain. */
  async function chainTotals(): Promise<{ rewards: bigint; slashed: bigint }> {
    const v = w.seeded.vaults[0]!
    const logs = await c.public.getLogs({
      address: v.stakerRewards,
      event: parseAbiItem('event DistributeRewards(address indexed network, address indexed token, uint256 distributeAmount, uint256 adminFeeAmount, uint48 timestamp)'),
      fromBlock: 0n,
    })
    const slashes = await c.public.getLogs({ address: v.slasher, event: parseAbiItem('event Slash(bytes32 indexed subnetwork, address indexed operator, uint256 slashedAmount, uint48 captureTimestamp)'), fromBlock: 0n })
    return { rewards: logs.reduce((a, l) => a + l.args.distributeAmount!, 0n), slashed: slashes.reduce((a, l) => a + l.args.slashedAmount!, 0n) }
  }

  it('prints realised rewards and losses per week of chain time in token units and %/yr, beside the planned yield, within 100 columns', async () => {
    const r = await run('runs', 'yield', '--config', join(dir, 'config.json'), '--period', 'week')
    expect(r.err).toBe('')
    expect(r.code).toBe(EXIT.ok)
    const text = r.out.replace(/\n {2}/g, ' ') // the lines wrapped at the terminal's width, joined back
    expect(text).toMatch(/^Realised yield and losses per week, chain \d+ at block \d+; dates are chain time \(a reward at the capture timestamp it pays for\); chain time runs [\d.]+ days ahead of wall time here\./)
    expect(r.out).toMatch(/week from +rewards \S+ +realised %\/yr +slashed \S+ +net \S+ +net %\/yr +planned %\/yr/)
    expect(text).toMatch(/Total: rewards [\d,.]+ \S+ \(realised [\d.]+ %\/yr\), slashed [\d,.]+ \S+ \([\d.]+ %\/yr\), net [+−][\d,.]+ \S+ \(realised −?[\d.]+ %\/yr\); planned net [\d.]+ %\/yr \(mean of 1 run plan\(s\)\)/)
    expect(r.out).toContain('planned: the expected net yield')
    expect(Math.max(...r.out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100)
  })

  it('--json: the totals equal every reward payment and slash on chain, exactly; a period that is not day, week or month is a usage error', async () => {
    const r = await run('runs', 'yield', '--config', join(dir, 'config.json'), '--period', 'day', '--json')
    expect(r.code).toBe(EXIT.ok)
    const j = JSON.parse(r.out) as { period: string; token: string; positions: { id: string; totals: { rewards: string; losses: string; rewardYield: number; plannedRuns: number }; periods: { rewards: string }[] }[] }
    expect(j.period).toBe('day')
    const pos = j.positions.find((x) => x.id === w.seeded.vaults[0]!.address.toLowerCase())!
    const { rewards, slashed } = await chainTotals()
    expect(rewards).toBeGreaterThan(0n)
    expect(pos.totals.rewards).toBe(`${units(rewards, 18, 4)} ${j.token}`)
    expect(pos.totals.losses).toBe(`${units(slashed, 18, 4)} ${j.token}`)
    expect(pos.totals.rewardYield).toBeGreaterThan(0)
    expect(pos.totals.plannedRuns).toBe(1)
    expect(pos.periods.length).toBeGreaterThan(100) // 182 days of seeded history, one row a day
    const bad = await run('runs', 'yield', '--config', join(dir, 'config.json'), '--period', 'year')
    expect(bad.code).toBe(EXIT.usage)
    expect(bad.err).toContain('--period must be day, week or month')
  })
})

describe('autopilot whatif', () => {
  it('slash an operator by 20 %: the risk figures before → after and the moves, readable at 100 columns, nothing sent', async () => {
    const nonce = await c.public.getTransactionCount({ address: w.seeded.curator.address })
    const op = w.seeded.operators[0]!
    const r = await run('whatif', '--policy', POLICY, '--config', join(dir, 'plan-config.json'), '--slash', op.label, '--fraction', '0.2')
    expect(r.err).toBe('')
    expect(r.code).toBe(EXIT.ok)
    expect(r.out).toContain(`What if: slash ${op.label} by 20 %`)
    expect(r.out).toMatch(/expected loss, % of stake \/yr +[\d.]+ % → [\d.]+ %\s+\(limit/)
    expect(r.out).toMatch(/lost to the slash +0 \S+ → [\d.]+ /)
    expect(r.out).toMatch(/Plan changes \(\d+\):/)
    expect(r.out).toContain('Nothing was written or sent')
    expect(Math.max(...r.out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100)
    expect(await c.public.getTransactionCount({ address: w.seeded.curator.address })).toBe(nonce)
  })

  it('deny a service (--json) and refuse a change that names nothing', async () => {
    const svc = `${w.seeded.networks[0]!.label}/0`
    const r = await run('whatif', '--policy', POLICY, '--config', join(dir, 'plan-config.json'), '--deny-service', svc, '--json')
    expect(r.code).toBe(EXIT.ok)
    const j = JSON.parse(r.out) as { description: string; moves: { service: string; after: string }[]; sent: boolean }
    expect(j.description).toBe(`deny service ${svc}`)
    expect(j.sent).toBe(false)
    const id = Object.entries(w.seeded.labels)
      .find(([, v]) => v === svc)![0]
      .toLowerCase()
    const intoDenied = j.moves.filter((m) => m.service.toLowerCase() === id)
    expect(intoDenied.length).toBeGreaterThan(0)
    for (const m of intoDenied) expect(m.after).toBe('0')
    const bad = await run('whatif', '--policy', POLICY, '--config', join(dir, 'plan-config.json'), '--deny-operator', 'op-nobody')
    expect(bad.code).toBe(EXIT.failed)
    expect(bad.err).toContain('WhatIfChangeError')
    expect((await run('whatif', '--policy', POLICY, '--config', join(dir, 'plan-config.json'))).code).toBe(EXIT.usage)
  })
})

describe('autopilot explain', () => {
  it('explains a run: decision, scores, plan, every call with reasons and tx hash', async () => {
    const r = await run('explain', reb.runId, ...store())
    expect(r.code).toBe(EXIT.ok)
    expect(r.out).toContain(`Run ${reb.runId}`)
    expect(r.out).toContain('Decision: ACT')
    expect(r.out).toContain('Binding constraints')
    expect(r.out).toContain(reb.actions[0]!.reasons[0]!)
    for (const a of reb.actions) expect(r.out).toContain(a.txHash!)
  })

  it('--json is the run record', async () => {
    const r = await run('explain', reb.runId, '--json', ...store())
    expect(r.code).toBe(EXIT.ok)
    const j = JSON.parse(r.out) as { runId: string; status: string; actions: { txHash: string; gasUsed: string }[] }
    expect(j.runId).toBe(reb.runId)
    expect(j.actions.map((a) => a.txHash)).toEqual(reb.actions.map((a) => a.txHash))
    expect(j.actions.every((a) => /^\d+$/.test(a.gasUsed))).toBe(true)
  })

  it('an unknown run is not found (exit 1)', async () => {
    const r = await run('explain', 'rebalance-nope', ...store())
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('RunNotFoundError: Run "rebalance-nope" was not found.')
  })
})

describe('autopilot backtest', () => {
  it('replays the first days of the calm market and writes the report (table, JSON, HTML)', async () => {
    const html = join(dir, 'report', 'calm.html')
    const r = await run(
      'backtest',
      '--scenario',
      'local/scenarios/calm-market.json',
      '--policy',
      'local/scenarios/calm-market.policy.json',
      '--baseline',
      'even',
      '--days',
      '8',
      '--dynamo-endpoint',
      w.config.dynamoEndpoint!,
      '--json',
      '--html',
      html,
    )
    expect(r.code).toBe(EXIT.ok)
    expect(r.err).toContain('day 0: scheduled rebalance')
    const j = JSON.parse(r.out) as { days: number; baseline: string; autopilot: { rewards: string; slashed: string; reconciled: boolean }; baselineSide: { transactions: number } }
    expect(j.days).toBe(8)
    expect(j.baseline).toBe('even')
    expect(BigInt(j.autopilot.rewards)).toBeGreaterThan(0n)
    expect(j.autopilot.slashed).toBe('0')
    expect(j.autopilot.reconciled).toBe(true)
    expect(j.baselineSide.transactions).toBe(0)
    const page = await readFile(html, 'utf8')
    expect(page).toContain('<svg')
    expect(page).toContain('calm-market')
  })
})

describe('the real bin (spawned)', () => {
  const exec = promisify(execFile)
  const bin = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await exec(process.execPath, ['local/cli/bin.mjs', ...args], { env: { ...process.env, ...env } })
      return { code: 0, stdout, stderr }
    } catch (e) {
      const x = e as { code: number; stdout: string; stderr: string }
      return { code: x.code, stdout: x.stdout, stderr: x.stderr }
    }
  }

  it('exit codes scripts rely on: 0 listed (store from AUTOPILOT_CONFIG), 1 not found, 2 usage', async () => {
    const ok = await bin(['runs'], { AUTOPILOT_CONFIG: toJson(config) })
    expect(ok.code).toBe(EXIT.ok)
    expect(ok.stdout).toContain(reb.runId)
    const missing = await bin(['explain', 'rebalance-nope', ...store()])
    expect(missing.code).toBe(EXIT.failed)
    expect(missing.stderr).toContain('RunNotFoundError')
    const usage = await bin(['plan', '--policy', POLICY])
    expect(usage.code).toBe(EXIT.usage)
    expect(usage.stderr).toContain('missing --config')
  })
})
