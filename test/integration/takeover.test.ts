/**
 * Taking over an over-allocated vault (issue 17 §1) on the real local world: local/scenarios/takeover.json is seeded
 * under a snapshot on the shared Anvil — one vault allocated at 100 % of its stake to each of 4 networks, split evenly
 * over 12 operators (33 % per operator, 100 % per service) — and the real rebalance runs in autopilot mode under
 * takeover.policy.json (20 % per operator, 60 % per service, turnover 25 % per run), an hour of chain time apart, until
 * the chain complies. Every run succeeds (never InfeasiblePolicyError, never DrainRefusedError), stays within the
 * turnover cap, leaves the chain exactly as planned, and is strictly closer to compliance, measured on chain; the
 * "runs remaining" estimate counts down and compliance is reached when it says.
 */
import { readFileSync } from 'node:fs'
import { privateKeyToAccount } from 'viem/accounts'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { advanceTime } from '../../local/world/chain.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { loadScenario } from '../../local/world/scenario.js'
import { type SeededWorld, seedScenario } from '../../local/world/seed.js'
import { toAddr } from '../../shared/address.js'
import type { Config } from '../../shared/config/config.js'
import { type Policy, type Position, loadPolicyOrThrow, mulFloor } from '../../shared/domain/index.js'
import { readUniverse } from '../../shared/services/readUniverse.js'
import { type RunRebalanceResult, runRebalance } from '../../shared/services/runRebalance.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'
import { testContext } from './helpers.js'

const w = world()
const c = chain(w)
const scenario = loadScenario('local/scenarios/takeover.json')
const policy: Policy = loadPolicyOrThrow(JSON.parse(readFileSync('local/scenarios/takeover.policy.json', 'utf8')))
const MAX_RUNS = 30
let revert: () => Promise<void>
let seeded: SeededWorld
let config: Config

/** Violation of the caps by a position as the chain holds it, wei: Σ over operators and services of what they hold above their cap. */
function violation(pos: Position): bigint {
  const byOp = new Map<string, bigint>()
  const bySvc = new Map<string, bigint>()
  for (const a of pos.allocations) {
    byOp.set(a.operator, (byOp.get(a.operator) ?? 0n) + a.stake)
    bySvc.set(a.service, (bySvc.get(a.service) ?? 0n) + a.stake)
  }
  const over = (m: Map<string, bigint>, cap: bigint) => [...m.values()].reduce((s, v) => s + (v > cap ? v - cap : 0n), 0n)
  return over(byOp, mulFloor(pos.activeStake, policy.caps.perOperator)) + over(bySvc, mulFloor(pos.activeStake, policy.caps.perService))
}

/** The vault as the bot reads it now. */
async function onChain(): Promise<Position> {
  const { universe } = await readUniverse(testContext(w, config, policy))
  expect(universe.positions).toHaveLength(1)
  return universe.positions[0]!
}

beforeAll(async () => {
  revert = await snapshot(c)
  seeded = await seedScenario(c, w.core, privateKeyToAccount(ANVIL_DEPLOYER_KEY), scenario, privateKeyToAccount(w.curatorKey))
  const v = seeded.vaults[0]!
  config = { ...(await withFreshTables(w)), vaults: [{ address: toAddr(v.address), stakerRewards: [toAddr(v.stakerRewards)] }], labels: seeded.labels }
})
afterAll(async () => {
  await revert?.()
})

describe('taking over a vault allocated at 100 % per network', () => {
  it('moves toward compliance run by run, counts the runs down, and complies when it says', async () => {
    const start = await onChain()
    const A = start.activeStake
    // The starting point: every operator holds a third of the stake, every service all of it.
    expect(start.allocations).toHaveLength(scenario.operators.length * scenario.networks.length)
    expect(violation(start)).toBeGreaterThan(0n)

    const ctx = testContext(w, config, policy)
    const history: { run: number; result: RunRebalanceResult; violation: bigint; runsLeft?: number }[] = []
    let before = violation(start)
    for (let run = 1; run <= MAX_RUNS; run++) {
      const r = await runRebalance(ctx, { trigger: `takeover-test-${run}` })
      // Never InfeasiblePolicyError, never the drain guard: no run fails, and every position is planned.
      expect({ run, error: r.error }).toEqual({ run, error: undefined })
      expect(r.status).not.toBe('failed')
      const pp = r.plan!.positions[0]!
      expect(pp.error).toBeUndefined()
      const after = await onChain()
      const v = violation(after)
      history.push({ run, result: r, violation: v, ...(pp.takeover ? { runsLeft: pp.takeover.runsLeft } : {}) })
      if (pp.takeover === undefined) {
        // Compliant before this run: an ordinary run (it may act or skip on its gain) keeps it so.
        expect(before).toBe(0n)
        expect(v).toBe(0n)
        break
      }
      // A take-over run is decided like a de-risk (no gain threshold, no cooldown): it acts, and the chain holds the plan.
      expect(r.status).toBe('succeeded')
      expect(r.decision).toMatchObject({ kind: 'act', derisk: true })
      expect(r.verified).toBe(true)
      expect(r.actions.length).toBeGreaterThan(0)
      expect(pp.takeover.broken).toEqual(expect.arrayContaining(['caps.perOperator', 'caps.perService']))
      // Within the turnover cap, and strictly closer to compliance on chain.
      expect(pp.turnover).toBeLessThanOrEqual(mulFloor(A, policy.turnoverCapPerRun))
      expect(pp.takeover.moved).toBeLessThanOrEqual(mulFloor(A, policy.turnoverCapPerRun))
      expect(v).toBeLessThan(before)
      if (pp.takeover.runsLeft === 0) expect(v).toBe(0n)
      before = v
      await advanceTime(c, 3600)
    }
    const takeovers = history.filter((h) => h.runsLeft !== undefined)
    // Several runs, each announcing fewer runs left than the one before; compliance when the estimate says 0.
    expect(takeovers.length).toBeGreaterThan(2)
    for (let i = 1; i < takeovers.length; i++) expect(takeovers[i]!.runsLeft!).toBeLessThan(takeovers[i - 1]!.runsLeft!)
    expect(takeovers.length).toBeLessThanOrEqual(takeovers[0]!.runsLeft! + 1)
    expect(takeovers.at(-1)!.runsLeft).toBe(0)
    expect(takeovers.at(-1)!.violation).toBe(0n)
    // The run after compliance is an ordinary one (no take-over), and the chain still complies.
    expect(history.at(-1)!.runsLeft).toBeUndefined()
    expect(history.at(-1)!.violation).toBe(0n)
  }, 900_000)
})
