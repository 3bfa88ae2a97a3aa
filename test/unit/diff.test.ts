import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Action, actionPhase, diffPlan, gweiToWei } from '../../shared/protocols/symbiotic/diff.js'
import { type Plan, type PositionPlan, planAllocation } from '../../shared/domain/plan.js'
import { type Policy, loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import type { Universe } from '../../shared/domain/types.js'
import type { DelegatorKind } from '../../shared/protocols/symbiotic/position.js'
import { E18, NOW, addr, operator, position, service, svc, universe } from './fixtures.js'

const policy = (extra: Record<string, unknown> = {}) =>
  loadPolicyOrThrow({
    version: 1,
    caps: { perOperator: 0.5, perService: 0.6 },
    minOperatorsPerService: 2,
    leverageCap: 1,
    riskBudget: 1,
    maxCompoundedSlashProbability: 1,
    turnoverCapPerRun: 2,
    minNetGainBpsPerYear: 5,
    cooldownSeconds: 3600,
    gas: { maxFeePerGasGwei: 50, estimatedGasPerCall: 100_000 },
    scoring: { slashProbabilityOverrides: [3, 4, 5].map((o) => ({ operator: addr(o), probabilityPerYear: 0 })) },
    ...extra,
  })

function world(kind: DelegatorKind = 'network-restake', allocations: [number, number, bigint][] = []): Universe {
  return universe(
    [service(1, { rewardRatePerYear: 0.05 }), service(2, { rewardRatePerYear: 0.03 })],
    [operator(3, [1, 2]), operator(4, [1]), operator(5, [2])],
    [position({ vault: 0xa, kind, operators: [3, 4, 5], services: [1, 2], allocations })],
  )
}

function planFor(u: Universe, p: Policy = policy()): Plan {
  return planAllocation(u, scoreUniverse(u, p, { now: NOW }), p, { now: NOW })
}

/** The chain after executing a plan: allocations = targets, network limits = Σ targets. */
function applied(u: Universe, plan: Plan): Universe {
  return {
    ...u,
    positions: u.positions.map((pos) => {
      const pp = plan.positions.find((x) => x.position === pos.id)!
      const allocations = pp.targets
        .filter((t) => t.stake > 0n)
        .map((t) => ({
          service: t.service,
          operator: t.operator,
          shares: pos.kind === 'network-restake' ? t.stake : 0n,
          operatorLimit: pos.kind === 'full-restake' ? t.stake : 0n,
          stake: t.stake,
        }))
      return { ...pos, allocations, services: pos.services.map((s) => ({ ...s, networkLimit: pp.networkLimits.find((l) => l.service === s.service)!.limit })) }
    }),
  }
}

const kinds = (d: ReturnType<typeof diffPlan>) => (d.kind === 'act' ? d.actions.map((a) => `${a.kind}:${a.to > a.from ? 'up' : 'down'}`) : [d.reason])

describe('Function: diffPlan', () => {
  it('emits shares then limits for a network-restake vault, increases in phase order', () => {
    const u = world()
    const d = diffPlan(u, planFor(u), policy(), { now: NOW, gasPriceWei: gweiToWei(10) })
    expect(kinds(d)).toEqual(['setOperatorNetworkShares:up', 'setOperatorNetworkShares:up', 'setOperatorNetworkShares:up', 'setOperatorNetworkShares:up', 'setNetworkLimit:up', 'setNetworkLimit:up'])
    if (d.kind !== 'act') return
    expect(d.gasCostWei).toBe(6n * 100_000n * gweiToWei(10))
    expect(d.derisk).toBe(false)
    for (const a of d.actions) expect(a.reasons.length).toBeGreaterThan(0)
    const nl = d.actions.find((a) => a.kind === 'setNetworkLimit' && a.service === svc(1))!
    expect(nl.reasons[0]).toMatch(/^service 0x1111…0000: network limit 0 → 599\.99/)
    expect(nl.reasons).toEqual(expect.arrayContaining(['service 0x1111…0000: caps.perService binding at 60.00 % (limit 60.00 %)', 'position: leverageCap binding at 100.00 % (limit 100.00 %)']))
    expect(nl.reasons[1]).toMatch(/^service svc-1: r 5\.00 %\/yr, p·sev·h \d\.\d\d %\/yr \(p [\d.]+ %\/yr, sev 25\.00 %, h 1\.5\), risk [\d.]+ \((low|medium|high|critical)\)$/)
    const share = d.actions.find((a) => a.kind === 'setOperatorNetworkShares' && a.operator === addr(3) && a.service === svc(1))!
    expect(share.reasons).toEqual(expect.arrayContaining(['operator 0x3333…3333: caps.perOperator binding at 50.00 % (limit 50.00 %)']))
    expect(share.reasons.some((r) => r.startsWith('pair 0x3333…3333@0x1111…0000: net value 5.00 %/yr'))).toBe(true)
  })

  it('never emits a no-op: a chain that already holds the plan gives noChange', () => {
    const u = world()
    const plan = planFor(u)
    const after = applied(u, plan)
    expect(diffPlan(after, planFor(after), policy(), { now: NOW })).toEqual({ kind: 'skip', reason: 'noChange', detail: 'every on-chain parameter already equals the plan' })
  })

  it('leaves NetworkRestake shares alone when they already give the targets (a scaled copy): no call per operator', () => {
    const u = world()
    const plan = planFor(u)
    const after = applied(u, plan)
    // The same chain, but every share is 7 × the target stake (stake is shares·limit/totalShares: unchanged).
    const pos = after.positions[0]!
    const scaled = { ...after, positions: [{ ...pos, allocations: pos.allocations.map((a) => ({ ...a, shares: a.shares * 7n })) }] }
    expect(scaled.positions[0]!.allocations.some((a) => a.shares > 0n)).toBe(true)
    expect(diffPlan(scaled, planFor(scaled), policy(), { now: NOW })).toMatchObject({ kind: 'skip', reason: 'noChange' })
    // A deny-listed operator must lose its shares even when the remaining shares would still fit.
    const denied = scaled.positions[0]!.allocations.find((a) => a.stake > 0n)!.operator as `0x${string}`
    const p = policy({ operators: { deny: [denied] } })
    const d = diffPlan(scaled, planFor(scaled, p), p, { now: NOW, force: true })
    expect(d.kind === 'act' && d.actions.filter((a) => a.operator === denied).every((a) => a.to === 0n)).toBe(true)
    expect(d.kind === 'act' && d.actions.some((a) => a.operator === denied)).toBe(true)
  })

  it('only changed parameters are written', () => {
    const u = world()
    const plan = planFor(u)
    const after = applied(u, plan)
    // Perturb one operator's shares on chain: exactly one call puts it back.
    const pos = after.positions[0]!
    const drifted = { ...after, positions: [{ ...pos, allocations: pos.allocations.map((a, i) => (i === 0 ? { ...a, shares: a.shares + 1n } : a)) }] }
    const d = diffPlan(drifted, planFor(drifted), policy(), { now: NOW, force: true })
    expect(d.kind === 'act' && d.actions.map((a) => [a.kind, a.from - a.to])).toEqual([['setOperatorNetworkShares', 1n]])
  })

  it('orders decreases before increases: limits down, operator limits down, shares up, shares down, operator limits up, limits up', () => {
    const u = world('network-restake', [
      [1, 3, 500n * E18],
      [1, 4, 100n * E18],
      [2, 5, 50n * E18],
    ])
    const d = diffPlan(u, planFor(u), policy(), { now: NOW, force: true })
    expect(d.kind).toBe('act')
    if (d.kind !== 'act') return
    const phases = d.actions.map(actionPhase)
    expect(phases).toEqual([...phases].sort((a, b) => a - b))
    expect(kinds(d)).toEqual([
      'setNetworkLimit:down', // S1 600 → 2 · ⌊0.3 · A⌋ (0.3 is not a binary fraction: a few thousand wei less)
      'setOperatorNetworkShares:up', // S1/O4 100 → 300
      'setOperatorNetworkShares:up', // S2/O3 0 → 200
      'setOperatorNetworkShares:up', // S2/O5 50 → 200
      'setOperatorNetworkShares:down', // S1/O3 500 → 300
      'setNetworkLimit:up',
    ])
  })

  it.each<[string, number, 'act' | 'belowThreshold']>([
    ['well above the threshold', 5, 'act'],
    ['just below once gas is counted', 41.9, 'belowThreshold'],
    ['above with cheap gas', 41.9, 'act'],
  ])('gain threshold: %s', (label, minBps, expected) => {
    const u = world()
    const plan = planFor(u) // +42 bps/yr of 1000 units: 0.042 · 1000 / 1000 · 1e4 = 420 bps… scaled below
    const scaled = { ...plan, objectivePerYear: plan.currentObjectivePerYear + 0.0042 * 1000 * 1e18 } // 42 bps
    const gas = label === 'above with cheap gas' ? 1n : gweiToWei(50)
    const d = diffPlan(u, scaled, policy({ minNetGainBpsPerYear: minBps }), { now: NOW, gasPriceWei: gas })
    expect(d.kind === 'act' ? 'act' : d.reason).toBe(expected)
  })

  it('reports the threshold in words', () => {
    const u = world()
    const plan = { ...planFor(u), objectivePerYear: 1e18 }
    const d = diffPlan(u, plan, policy({ minNetGainBpsPerYear: 100 }), { now: NOW, gasPriceWei: gweiToWei(1) })
    expect(d).toMatchInlineSnapshot(`
      {
        "detail": "net gain 9.994 bps/yr (gain 1/yr − gas 0.0006 for 6 calls) is below minNetGainBpsPerYear 100",
        "kind": "skip",
        "reason": "belowThreshold",
      }
    `)
  })

  it('respects the cooldown unless forced', () => {
    const u = world()
    const plan = planFor(u)
    const d = diffPlan(u, plan, policy(), { now: NOW, lastRebalanceAt: NOW - 100n })
    expect(d).toEqual({ kind: 'skip', reason: 'cooldown', detail: `last rebalance at ${NOW - 100n}; cooldown of 3600 s ends at ${NOW + 3500n} (3500 s from now)` })
    expect(diffPlan(u, plan, policy(), { now: NOW, lastRebalanceAt: NOW - 3600n }).kind).toBe('act')
    const forced = diffPlan(u, plan, policy({ minNetGainBpsPerYear: 1e9 }), { now: NOW, lastRebalanceAt: NOW - 100n, force: true })
    expect(forced.kind === 'act' && forced.derisk).toBe(true)
  })

  it('skips when gas is above the policy cap, even for a de-risk (the executor would not pay more)', () => {
    const u = world()
    const plan = planFor(u)
    expect(diffPlan(u, plan, policy(), { now: NOW, gasPriceWei: gweiToWei(50) }).kind).toBe('act')
    const d = diffPlan(u, plan, policy(), { now: NOW, gasPriceWei: gweiToWei(51), force: true })
    expect(d).toEqual({ kind: 'skip', reason: 'gasTooHigh', detail: 'gas price 51 gwei is above the policy cap 50 gwei (a de-risk is pending: it will be sent as soon as gas is below the cap)' })
  })

  it('a deny-listed operator holding stake is removed despite cooldown and threshold', () => {
    const u = world('network-restake', [
      [1, 3, 300n * E18],
      [1, 4, 300n * E18],
      [2, 3, 200n * E18],
      [2, 5, 200n * E18],
    ])
    const p = policy({ operators: { deny: [addr(5)] }, minNetGainBpsPerYear: 10_000 })
    const plan = planFor(u, p)
    const d = diffPlan(u, plan, p, { now: NOW, lastRebalanceAt: NOW - 1n })
    expect(d.kind).toBe('act')
    if (d.kind !== 'act') return
    expect(d.derisk).toBe(true)
    const removal = d.actions.find((a) => a.operator === addr(5))!
    expect(removal).toMatchObject({ kind: 'setOperatorNetworkShares', from: 200n * E18, to: 0n })
    expect(removal.reasons).toContain(`forced to 0: operator ${addr(5)} is deny-listed`)
  })

  it.each<[DelegatorKind, string[]]>([
    ['full-restake', ['setOperatorNetworkLimit', 'setNetworkLimit']],
    ['operator-specific', ['setNetworkLimit']],
    ['operator-network-specific', []],
  ])('%s delegators get %j calls', (kind, expected) => {
    const u = world(kind)
    const d = diffPlan(u, planFor(u), policy(), { now: NOW, force: true })
    const got = d.kind === 'act' ? [...new Set(d.actions.map((a) => a.kind))] : []
    expect(got).toEqual(expected)
  })

  it('a position without a Symbiotic part (an EigenLayer staker) gets no curator calls', () => {
    const w = world('network-restake')
    const u: Universe = { ...w, positions: w.positions.map(({ symbiotic: _s, ...p }) => ({ ...p, protocol: 'eigenlayer', kind: 'eigenlayer-staker' })) }
    const d = diffPlan(u, planFor(u), policy(), { now: NOW, force: true })
    expect(d.kind === 'act' ? d.actions : []).toEqual([])
  })
})

// --- Intermediate states never exceed max(current, target) -------------------------------------

interface Chain {
  A: bigint
  nl: bigint
  shares: Map<string, bigint>
  limits: Map<string, bigint>
}

function stakeOf(kind: DelegatorKind, c: Chain, op: string): bigint {
  if (kind === 'network-restake') {
    let total = 0n
    for (const v of c.shares.values()) total += v
    if (total === 0n) return 0n
    const cap = c.A < c.nl ? c.A : c.nl
    return ((c.shares.get(op) ?? 0n) * cap) / total
  }
  const l = c.limits.get(op) ?? 0n
  return [c.A, c.nl, l].reduce((a, b) => (b < a ? b : a))
}

function apply(c: Chain, a: Action): void {
  if (a.kind === 'setNetworkLimit') c.nl = a.to
  else if (a.kind === 'setOperatorNetworkShares') c.shares.set(a.operator!, a.to)
  else c.limits.set(a.operator!, a.to)
}

describe('Property: call order keeps every intermediate stake within max(current, target)', () => {
  const opsArb = fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 400n }), fc.bigInt({ min: 0n, max: 400n })), { minLength: 1, maxLength: 5 })
  it.each<DelegatorKind>(['network-restake', 'full-restake'])('%s', (kind) => {
    fc.assert(
      fc.property(opsArb, (pairs) => {
        const A = 1000n * E18
        const cur = pairs.map(([c]) => c * E18)
        const tgt = pairs.map(([, t]) => t * E18)
        if (cur.reduce((a, b) => a + b, 0n) > A || tgt.reduce((a, b) => a + b, 0n) > A) return
        const ops = pairs.map((_, i) => addr(3 + i))
        const allocations = ops.map((o, i) => ({
          service: svc(1),
          operator: o,
          shares: kind === 'network-restake' ? (cur[i] as bigint) : 0n,
          operatorLimit: kind === 'full-restake' ? (cur[i] as bigint) : 0n,
          stake: cur[i] as bigint,
        }))
        const nl0 = cur.reduce((a, b) => a + b, 0n)
        const nl1 = tgt.reduce((a, b) => a + b, 0n)
        const u: Universe = universe(
          [service(1)],
          ops.map((_, i) => operator(3 + i, [1])),
          [{ ...position({ vault: 0xa, kind, operators: [], services: [1] }), activeStake: A, operatorsOptedIn: ops, allocations, services: [{ service: svc(1), maxNetworkLimit: 10n * A, networkLimit: nl0, totalOperatorShares: 0n }] }],
        )
        const pp = {
          position: addr(0xa),
          kind,
          activeStake: A,
          steerable: true,
          targets: ops.map((o, i) => ({ service: svc(1), operator: o, stake: tgt[i] as bigint, current: cur[i] as bigint, netValuePerYear: 0, reason: '' })),
          networkLimits: [{ service: svc(1), limit: nl1, current: nl0 }],
          forced: [],
          residualExposure: [],
        } as unknown as PositionPlan
        const plan = { positions: [pp], binding: [], objectivePerYear: 0, currentObjectivePerYear: 0 } as unknown as Plan
        const d = diffPlan(u, plan, policy(), { now: NOW, force: true })
        const chain: Chain = { A, nl: nl0, shares: new Map(ops.map((o, i) => [o, cur[i] as bigint])), limits: new Map(ops.map((o, i) => [o, cur[i] as bigint])) }
        const actions = d.kind === 'act' ? d.actions : []
        for (const a of actions) {
          apply(chain, a)
          ops.forEach((o, i) => {
            const bound = (cur[i] as bigint) > (tgt[i] as bigint) ? (cur[i] as bigint) : (tgt[i] as bigint)
            expect(stakeOf(kind, chain, o) <= bound).toBe(true)
          })
        }
        // And the final state is the plan, exactly.
        ops.forEach((o, i) => expect(stakeOf(kind, chain, o)).toBe(tgt[i]))
      }),
      { numRuns: 500, seed: 31 },
    )
  })
})
