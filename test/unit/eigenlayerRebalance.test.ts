/**
 * Pure parts of EigenLayer rebalancing: the domain plans on the stake that is not in flight, the plan's targets are
 * projected onto per-operator delegation and turned into move waves under the policy's threshold, and the local
 * staker keys are refused off Anvil.
 */
import type { Address } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { describe, expect, it } from 'vitest'
import { type PlanEigenLayerMovesParameters, planEigenLayerMoves } from '../../shared/protocols/eigenlayer/planMoves.js'
import type { EigenLayerOperatorState, EigenLayerStakerState } from '../../shared/protocols/eigenlayer/types.js'
import { diffPlan } from '../../shared/protocols/symbiotic/diff.js'
import { explainRun } from '../../shared/domain/explain.js'
import { allocatableStake } from '../../shared/domain/lp.js'
import { planAllocation } from '../../shared/domain/plan.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import type { Position, Universe } from '../../shared/domain/types.js'
import { StakerKeysError, stakerSignersFromEnv } from '../../shared/protocols/eigenlayer/rebalance.js'
import { E18, NOW, addr, operator, position, service, svc, universe } from './fixtures.js'

const policy = loadPolicyOrThrow({ version: 1, caps: { perOperator: 0.5, perService: 1, perRiskGroup: [] }, leverageCap: 1, turnoverCapPerRun: 1, minOperatorsPerService: 1 })

function world(inFlightStake?: bigint): Universe {
  const pos: Position = position({ vault: 0xa, activeStake: 1000n * E18, operators: [3, 4], services: [1, 2], allocations: [[1, 3, 300n * E18]] })
  return universe([service(1, { rewardRatePerYear: 0.05 }), service(2, { rewardRatePerYear: 0.04 })], [operator(3, [1, 2]), operator(4, [1, 2])], [{ ...pos, ...(inFlightStake !== undefined ? { inFlightStake } : {}) }])
}
const plan = (u: Universe) => planAllocation(u, scoreUniverse(u, policy, { now: NOW }), policy, { now: NOW })

describe('Function: planAllocation with stake in flight', () => {
  it('plans on activeStake − inFlightStake: caps and leverage are fractions of the available stake', () => {
    const u = world(400n * E18)
    const pp = plan(u).positions[0]!
    expect(pp).toMatchObject({ activeStake: 1000n * E18, inFlightStake: 400n * E18, availableStake: 600n * E18 })
    const total = pp.targets.reduce((a, t) => a + t.stake, 0n)
    expect(total).toBe(600n * E18) // leverageCap 1 × available, not × active
    for (const o of [addr(3), addr(4)]) expect(pp.targets.filter((t) => t.operator === o).reduce((a, t) => a + t.stake, 0n)).toBeLessThanOrEqual(300n * E18)
    expect(pp.leverage).toBeCloseTo(1, 12)
    expect(allocatableStake(u.positions[0]!)).toBe(600n * E18)
  })

  it('shows the in-flight stake as earning nothing in the figures and in explain', () => {
    const u = world(400n * E18)
    const p = plan(u)
    expect(p.riskFigures.totalInFlightStake).toBe(400n * E18)
    expect(p.riskFigures.totalActiveStake).toBe(1000n * E18)
    // The objective counts only allocated stake: the 400 in flight adds nothing, now or planned.
    const pp = p.positions[0]!
    expect(pp.objectivePerYear).toBeCloseTo(
      pp.targets.reduce((a, t) => a + t.netValuePerYear * Number(t.stake), 0),
      0,
    )
    const text = explainRun({ scores: scoreUniverse(u, policy, { now: NOW }), plan: p, decision: diffPlan(u, p, policy, { now: NOW }) })
    expect(text).toContain('  in flight 400: withdrawals waiting out the protocol delay earn 0/yr and are not allocatable; planned on the available 600\n')
    expect(explainRun({ scores: scoreUniverse(world(), policy, { now: NOW }), plan: plan(world()), decision: { kind: 'skip', reason: 'noChange', detail: '' } })).not.toContain('in flight')
  })

  it('plans exactly as before when nothing is in flight (field absent or 0)', () => {
    const before = plan(world())
    const zero = plan(world(0n))
    expect(zero.positions[0]!.targets).toEqual(before.positions[0]!.targets)
    expect(before.positions[0]).toMatchObject({ inFlightStake: 0n, availableStake: 1000n * E18 })
  })

  it('leaves a position whose whole stake is in flight as it is, saying why', () => {
    const u = world(1000n * E18)
    u.positions[0] = { ...u.positions[0]!, allocations: [] }
    const p = plan(u)
    expect(p.warnings).toContain(`position ${addr(0xa)} is left as it is: no allocatable stake (the rest is in flight)`)
    expect(p.positions[0]!.targets).toEqual([])
  })
})

// ------------------------------------------------------------------------------------------------ planEigenLayerMoves

const [opA, opB, opC] = [addr(0xa), addr(0xb), addr(0xc)]
const [sA, sB, sFresh, sFresh2] = [addr(1), addr(2), addr(5), addr(6)]
const [s1, s2] = [svc(1), svc(2)]
const staker = (address: Address, op: Address | null, tokens: bigint): EigenLayerStakerState => ({
  address,
  operator: op,
  depositShares: tokens,
  withdrawableShares: tokens,
  withdrawableTokens: tokens,
  depositScalingFactor: E18,
  queued: [],
})
const opState = (address: Address, sets: { service: `0x${string}`; magnitude: bigint }[]): EigenLayerOperatorState => ({
  address,
  isOperator: true,
  maxMagnitude: E18,
  operatorShares: 0n,
  operatorStakeTokens: 0n,
  sets: sets.map((s) => ({ service: s.service, avs: addr(9), setId: 0, registered: true, slashable: true, currentMagnitude: s.magnitude, pendingDiff: 0n, effectBlock: 0, exposure: Number(s.magnitude) / 1e18, setSplitBips: 1000 })),
  avsSplitBips: {},
  piSplitBips: 1000,
})
const operators = [
  opState(opA, [{ service: s1, magnitude: E18 / 2n }]),
  opState(opB, [
    { service: s1, magnitude: E18 / 2n },
    { service: s2, magnitude: E18 / 4n },
  ]),
  opState(opC, [{ service: s2, magnitude: E18 }]),
]
const values: Record<string, number> = { [`${s1}|${opA}`]: 0.02, [`${s1}|${opB}`]: 0.03, [`${s2}|${opB}`]: 0.04, [`${s2}|${opC}`]: 0.05 }
const params = (p: Partial<PlanEigenLayerMovesParameters> = {}): PlanEigenLayerMovesParameters => ({
  details: { stakers: [staker(sA, opA, 400n * E18), staker(sB, opB, 300n * E18), staker(sFresh, null, 0n)], operators, minWithdrawalDelayBlocks: 50 },
  // A's set-1 allocation (400 × 0.5 = 200) halves; C gains 100 in set 2 (exposure 1).
  targets: [
    { service: s1, operator: opA, stake: 100n * E18, current: 200n * E18 },
    { service: s1, operator: opB, stake: 150n * E18, current: 150n * E18 },
    { service: s2, operator: opB, stake: 75n * E18, current: 75n * E18 },
    { service: s2, operator: opC, stake: 200n * E18, current: 0n },
  ],
  pairValue: (s, o) => values[`${s}|${o}`],
  availableStake: 700n * E18,
  planGainPerYear: 5 * 1e18,
  delaySeconds: 600,
  minNetGainBpsPerYear: 1,
  estimatedGasPerCall: 80_000,
  gasPriceWei: 10n ** 9n,
  ...p,
})

describe('Function: planEigenLayerMoves', () => {
  it('projects (set, operator) targets back to delegated tokens, exactly for operators the plan leaves alone', () => {
    const out = planEigenLayerMoves(params())
    const t = Object.fromEntries(out.operators.map((o) => [o.operator, o]))
    expect(t[opA]).toMatchObject({ current: 400n * E18, target: 200n * E18 }) // −100 allocation ÷ exposure 0.5
    expect(t[opB]).toMatchObject({ current: 300n * E18, target: 300n * E18 }) // unchanged pairs: no dust
    expect(t[opC]).toMatchObject({ current: 0n, target: 200n * E18 })
    expect(t[opB]!.valuePerYear).toBeCloseTo(0.5 * 0.03 + 0.25 * 0.04, 12)
  })

  it('moves from the operator above target to the one below, to a fresh staker, with figures and reasons', () => {
    const out = planEigenLayerMoves(params())
    expect(out.moves).toHaveLength(1)
    const m = out.moves[0]!
    expect(m).toMatchObject({ from: { staker: sA, operator: opA }, to: { staker: sFresh, operator: opC, fresh: true }, tokens: 200n * E18, shares: 200n * E18, gasCostWei: 6n * 80_000n * 10n ** 9n })
    expect(m.delayCost).toBeCloseTo((200e18 * 0.01 * 600) / (365 * 86_400), 0)
    expect(out.netGainBpsPerYear).toBeCloseTo(((5e18 - m.delayCost - 480e12) / 700e18) * 1e4, 9)
    expect(m.reasons.join('\n')).toMatch(/in flight for 50 blocks \(0\.17 h\), earning nothing/)
    expect(out.skip).toBeUndefined()
  })

  it('does not act below the threshold unless forced (de-risk)', () => {
    const low = planEigenLayerMoves(params({ planGainPerYear: 1e15 }))
    expect(low.moves).toEqual([])
    expect(low.skip?.reason).toBe('belowThreshold')
    expect(low.skipped).toHaveLength(1)
    expect(planEigenLayerMoves(params({ planGainPerYear: 1e15, force: true })).moves).toHaveLength(1)
  })

  it('starts no second move from a busy staker, keeps reserved fresh stakers for their operator, and honours pins', () => {
    expect(planEigenLayerMoves(params({ busy: new Set([sA]) })).moves).toEqual([])
    // The only fresh staker is reserved for B by an open move: C cannot be reached.
    const reserved = planEigenLayerMoves(params({ reserved: new Map([[sFresh, opB]]) }))
    expect(reserved.moves).toEqual([])
    expect(reserved.unplaced).toEqual([expect.objectContaining({ operator: opC, tokens: 200n * E18 })])
    // A fresh staker pinned to A is skipped; an unpinned one is used.
    const d = params().details
    const pinned = planEigenLayerMoves(params({ details: { ...d, stakers: [...d.stakers, staker(sFresh2, null, 0n)] }, pinned: new Map([[sFresh, opA]]) }))
    expect(pinned.moves[0]!.to.staker).toBe(sFresh2)
  })

  it('never plans a deposit over the strategy caps (StrategyBaseTVLLimits)', () => {
    const base = params().details
    // maxPerDeposit 120: the 200 move is cut to 120 less 1 % headroom = 118.8 (in shares too) and says why.
    const capped = planEigenLayerMoves(params({ details: { ...base, depositCaps: { maxPerDeposit: 120n * E18, maxTotalDeposits: 10_000n * E18, strategyBalance: 700n * E18 } } }))
    expect(capped.moves).toHaveLength(1)
    expect(capped.moves[0]).toMatchObject({ tokens: (1188n * E18) / 10n, shares: (1188n * E18) / 10n })
    expect(capped.moves[0]!.reasons.join('\n')).toMatch(/capped at 118\.8: the strategy's maxPerDeposit 120 \(StrategyBaseTVLLimits\) less 1 %/)
    // The strategy already holds more than its total cap (the cap was lowered): a re-deposit would revert, so no move.
    const over = planEigenLayerMoves(params({ details: { ...base, depositCaps: { maxPerDeposit: 500n * E18, maxTotalDeposits: 600n * E18, strategyBalance: 700n * E18 } } }))
    expect(over.moves).toEqual([])
    expect(over.skipped[0]!.reason).toMatch(/BalanceExceedsMaxTotalDeposits/)
    // Within both caps nothing changes.
    expect(planEigenLayerMoves(params({ details: { ...base, depositCaps: { maxPerDeposit: 500n * E18, maxTotalDeposits: 700n * E18, strategyBalance: 700n * E18 } } })).moves[0]!.tokens).toBe(200n * E18)
  })

  it('sends to a staker already delegated to the target, moves part of a staker in shares, and drops dust', () => {
    const d = params().details
    const withC = { ...d, stakers: [staker(sA, opA, 400n * E18), staker(sB, opB, 300n * E18), { ...staker(sFresh, opC, 10n * E18), withdrawableShares: 20n * E18 }] }
    const out = planEigenLayerMoves(
      params({
        details: withC,
        targets: [
          { service: s1, operator: opA, stake: 150n * E18, current: 200n * E18 },
          { service: s2, operator: opC, stake: 110n * E18, current: 10n * E18 },
        ],
      }),
    )
    expect(out.moves[0]).toMatchObject({ to: { staker: sFresh, fresh: false }, tokens: 100n * E18, shares: 100n * E18, gasCostWei: 5n * 80_000n * 10n ** 9n })
    const dust = planEigenLayerMoves(
      params({
        targets: [
          { service: s1, operator: opA, stake: 200n * E18 - 1000n, current: 200n * E18 },
          { service: s2, operator: opC, stake: 2000n, current: 0n },
        ],
      }),
    )
    expect(dust.moves).toEqual([])
    expect(dust.skipped[0]!.reason).toMatch(/^dust/)
  })
})

// ------------------------------------------------------------------------------------------------ staker keys

describe('Function: stakerSignersFromEnv', () => {
  const key = generatePrivateKey()
  const address = privateKeyToAccount(key).address
  it('reads EIGENLAYER_STAKER_KEYS (address → key) on Anvil', () => {
    const signers = stakerSignersFromEnv({ EIGENLAYER_STAKER_KEYS: JSON.stringify({ [address]: key }) }, 31337)
    expect(signers.get(address.toLowerCase())?.address).toBe(address)
    expect(stakerSignersFromEnv({}, 31337).size).toBe(0)
  })

  it('refuses raw staker keys off Anvil, like the local signer (unless ALLOW_LOCAL_KEY=true)', () => {
    const env = { EIGENLAYER_STAKER_KEYS: JSON.stringify({ [address]: key }) }
    expect(() => stakerSignersFromEnv(env, 1)).toThrowError(expect.objectContaining({ name: 'LocalKeyRefusedError' }))
    expect(stakerSignersFromEnv({ ...env, ALLOW_LOCAL_KEY: 'true' }, 1).size).toBe(1)
  })

  it.each([
    ['{not json', /not JSON/],
    ['[]', /expected an object/],
    [JSON.stringify({ nope: '0x01' }), /is not an address/],
    [JSON.stringify({ [addr(7)]: generatePrivateKey() }), /belongs to/],
  ])('rejects %s', (raw, message) => {
    expect(() => stakerSignersFromEnv({ EIGENLAYER_STAKER_KEYS: raw }, 31337)).toThrowError(StakerKeysError)
    expect(() => stakerSignersFromEnv({ EIGENLAYER_STAKER_KEYS: raw }, 31337)).toThrowError(message)
  })
})
