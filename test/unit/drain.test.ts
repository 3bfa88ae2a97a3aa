import { describe, expect, it } from 'vitest'
import { configuredPositionIds } from '../../shared/config/config.js'
import { DrainRefusedError, type Policy, UnknownPositionError, type Universe, assertPositionsKnown, drainCheck, guardDrain, planAllocation, scoreUniverse, unknownPositions } from '../../shared/domain/index.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { runRebalancePipeline } from '../../shared/pipeline/rebalance.js'
import { type FakeLedger, fakeAdapter } from '../fixtures/fakeAdapter.js'
import { memoryContext, pipelineConfig } from '../fixtures/pipelineContext.js'
import { FIXTURE_NOW, makeUniverse } from './universeFactory.js'

const now = FIXTURE_NOW

/** A vault fully allocated by the default policy's own plan (16 operators, 6 services). */
function allocatedVault(): Universe {
  const u = makeUniverse({ seed: 7, operators: 16, services: 6, positions: 1, servicesPerOperator: 3, operatorsPerPosition: 16, now })
  const base = loadPolicyOrThrow({ version: 1 })
  const p = planAllocation(u, scoreUniverse(u, base, { now }), base, { now })
  const targets = (p.positions[0]?.targets ?? []).filter((t) => t.stake > 0n)
  const allocations = targets.map((t) => ({ service: t.service, operator: t.operator, stake: t.stake, shares: t.stake, operatorLimit: 0n }))
  return { ...u, positions: u.positions.map((pos) => ({ ...pos, allocations })) }
}

/** The typo: 0.001 for 0.1, with 50 operators per service; one operator over maxCompoundedSlashProbability (a small forced removal that lifts the turnover cap). */
function typoPolicy(u: Universe, extra: Record<string, unknown> = {}): Policy {
  const held = u.positions[0]?.allocations.map((a) => a.operator) ?? []
  const smallest = [...new Set(held)].sort((a, b) => {
    const s = (o: string) => u.positions[0]!.allocations.filter((x) => x.operator === o).reduce((t, x) => t + x.stake, 0n)
    return s(a) < s(b) ? -1 : s(a) > s(b) ? 1 : 0
  })[0]
  const risky = { slashProbabilityOverrides: [{ operator: smallest, probabilityPerYear: 0.5 }] }
  return { ...loadPolicyOrThrow({ version: 1, caps: { perOperator: 0.001 }, minOperatorsPerService: 50, maxCompoundedSlashProbability: 0.1, scoring: risky, ...extra }), minNetGainBpsPerYear: 0, cooldownSeconds: 0 }
}

describe('drain guard (maxExitFractionPerRun)', () => {
  it('the typo plan removes more than maxExitFractionPerRun, beyond the slash response and deny list exemption', () => {
    const u = allocatedVault()
    const policy = typoPolicy(u)
    const plan = planAllocation(u, scoreUniverse(u, policy, { now }), policy, { now })
    const check = drainCheck(plan, policy)
    expect(check.over).toHaveLength(1)
    expect(check.over[0]!.fraction).toBeGreaterThan(policy.maxExitFractionPerRun)
    expect(() => guardDrain(plan, policy)).toThrow(DrainRefusedError)
  })

  it('autopilot: the run is refused with DrainRefusedError naming the constraints, nothing is sent, the run is recorded failed', async () => {
    const u = allocatedVault()
    const policy: Policy = { ...typoPolicy(u), mode: 'autopilot' }
    const { ctx, stores } = memoryContext(policy)
    const ledger: FakeLedger = { executed: [], proposed: [] }
    const r = await runRebalancePipeline(ctx, fakeAdapter(u, ledger))
    expect(r.status).toBe('failed')
    expect(r.error?.name).toBe('DrainRefusedError')
    expect(r.error?.message).toMatch(/above maxExitFractionPerRun 25\.00 %/)
    expect(r.error?.message).toMatch(/caps\.perOperator/)
    expect(r.error?.message).toMatch(/turnoverCapPerRun/)
    expect(r.error?.message).toMatch(/minOperatorsPerService/)
    expect(ledger.executed).toEqual([])
    expect(r.actions).toEqual([])
    expect(await stores.runs.get(r.runId)).toMatchObject({ status: 'failed', error: { name: 'DrainRefusedError' } })
  })

  it('allowFullExit lets the deliberate exit through and records it in the plan', async () => {
    const u = allocatedVault()
    const policy: Policy = { ...typoPolicy(u, { allowFullExit: true }), mode: 'autopilot' }
    const { ctx, stores } = memoryContext(policy)
    const ledger: FakeLedger = { executed: [], proposed: [] }
    const r = await runRebalancePipeline(ctx, fakeAdapter(u, ledger))
    expect(r.status).toBe('succeeded')
    expect(ledger.executed.length).toBeGreaterThan(0)
    expect(r.plan?.warnings.some((w) => w.includes('a deliberate exit (allowFullExit)'))).toBe(true)
    // The run record keeps the plan, so the deliberate exit is on record.
    const rec = (await stores.runs.get(r.runId)) as unknown as { plan: { warnings: string[] } }
    expect(rec.plan.warnings.some((w) => w.includes('a deliberate exit (allowFullExit)'))).toBe(true)
  })

  it('a deny list is exempt, with what it entails: the same typo beside a deny-listed operator goes through', () => {
    const u = allocatedVault()
    const op = u.positions[0]!.allocations[0]!.operator
    const policy = loadPolicyOrThrow({ version: 1, caps: { perOperator: 0.001 }, minOperatorsPerService: 50, operators: { deny: [op] } })
    const plan = planAllocation(u, scoreUniverse(u, policy, { now }), policy, { now })
    expect(plan.positions[0]!.forced.some((f) => f.cause === 'denyList')).toBe(true)
    expect(drainCheck(plan, policy).over).toEqual([])
  })

  it('a slash response is exempt: zeroing out operators never trips the guard', () => {
    const u = allocatedVault()
    const policy = loadPolicyOrThrow({ version: 1, maxExitFractionPerRun: 0.01 })
    const ops = [...new Set(u.positions[0]!.allocations.map((a) => a.operator))]
    const plan = planAllocation(u, scoreUniverse(u, policy, { now }), policy, { now, derisk: ops.slice(0, 4).map((operator) => ({ operator, response: 'zero-out' as const })) })
    expect(drainCheck(plan, policy).over).toEqual([])
  })
})

describe('a policy position naming no vault (UnknownPositionError)', () => {
  const ghost = `0x${'de'.repeat(20)}`

  it('names the unmatched position and what it could have named; positions the config gives another protocol are known', () => {
    const u = allocatedVault()
    const policy = loadPolicyOrThrow({ version: 1, positions: [{ vault: u.positions[0]!.vault }, { vault: ghost }] })
    expect(unknownPositions(u.positions, policy)).toEqual([ghost])
    expect(() => assertPositionsKnown(u.positions, policy)).toThrow(UnknownPositionError)
    expect(() => assertPositionsKnown(u.positions, policy)).toThrow(`Policy position ${ghost} names no vault the bot reads`)
    expect(unknownPositions(u.positions, policy, [ghost])).toEqual([])
    expect(configuredPositionIds(pipelineConfig)).toEqual([pipelineConfig.vaults[0]!.address.toLowerCase()])
  })

  it('the run fails with the named error and sends nothing', async () => {
    const u = allocatedVault()
    const policy: Policy = { ...loadPolicyOrThrow({ version: 1, positions: [{ vault: ghost }] }), mode: 'autopilot', minNetGainBpsPerYear: 0, cooldownSeconds: 0 }
    const { ctx, stores } = memoryContext(policy)
    const ledger: FakeLedger = { executed: [], proposed: [] }
    const r = await runRebalancePipeline(ctx, fakeAdapter(u, ledger))
    expect(r.status).toBe('failed')
    expect(r.error?.name).toBe('UnknownPositionError')
    expect(ledger.executed).toEqual([])
    expect(await stores.runs.get(r.runId)).toMatchObject({ status: 'failed', error: { name: 'UnknownPositionError' } })
  })
})
