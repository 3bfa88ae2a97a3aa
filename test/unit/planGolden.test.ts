/**
 * The planner's results are pinned: scoring, the LP and the plan of seeded random universes (every policy family,
 * risk groups, de-risk orders, the risk terms of docs/risk.md, infeasible and taken-over positions) hash to the digests
 * the planner produced before it was restructured for speed (issue 16 §3). A change of any target, limit, forced move,
 * binding constraint, figure or warning changes a digest. Only protocol-specific position fields are left out, so that
 * moving them (issue 13) does not count as a change of result.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { bigintReplacer } from '../../shared/domain/format.js'
import { type DeriskRequest, type LpBlock, blockColumns, buildLp, pairAt, rowAt } from '../../shared/domain/lp.js'
import { planAllocation } from '../../shared/domain/plan.js'
import { type Policy, loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { scoreUniverse } from '../../shared/domain/score.js'
import { solveFast } from '../../shared/domain/solvers/fast.js'
import type { Universe } from '../../shared/domain/types.js'
import { Rng, makeUniverse } from './universeFactory.js'

interface Case {
  u: Universe
  policy: Policy
  derisk: DeriskRequest[]
}

/** Case `seed`: a random universe and a random policy drawn from its ids (deterministic). */
function caseOf(seed: number): Case {
  const rng = new Rng(seed)
  const u = makeUniverse({
    seed,
    operators: rng.int(2, 40),
    services: rng.int(1, 10),
    positions: rng.int(1, 4),
    servicesPerOperator: rng.int(1, 5),
    operatorsPerPosition: rng.int(1, 20),
    currentDensity: rng.pick([0, 0.05, 0.2, 0.5]),
    kinds: rng.pick([['network-restake'], ['full-restake'], ['network-restake', 'full-restake', 'operator-network-specific']]),
  })
  const ops = u.operators.map((o) => o.address)
  const svcs = u.services.map((s) => s.id)
  const some = <T>(xs: T[], k: number) => rng.sample(xs.length, Math.min(xs.length, rng.int(0, k))).map((i) => xs[i] as T)
  const frac = (lo: number, hi: number) => lo + (hi - lo) * rng.next()
  const groupMembers = some([...ops, ...svcs], 4)
  const policy = loadPolicyOrThrow({
    version: 1,
    operators: { deny: some(ops, 2) },
    services: { deny: some(svcs, 1) },
    caps: {
      perOperator: frac(0.05, 1),
      perService: frac(0.05, 1),
      perRiskGroup: groupMembers.length > 0 ? [{ group: 'g', members: groupMembers, cap: frac(0, 1) }] : [],
    },
    minOperatorsPerService: rng.int(1, 4),
    riskBudget: frac(0, 0.05),
    maxCompoundedSlashProbability: frac(0, 0.6),
    leverageCap: frac(1, 4),
    turnoverCapPerRun: frac(0, 1),
    maxLossFraction: rng.pick([1, frac(0.05, 1)]),
    var99Fraction: rng.pick([1, frac(0.01, 0.6)]),
    minSecuritySlack: rng.pick([0, frac(0, 2)]),
    scoring: {
      defaultSeverity: frac(0.01, 1),
      serviceMetadata: some(svcs, 3).map((service) => ({ service, profitFromCorruption: frac(1, 1e7), ...(rng.next() < 0.5 ? { attackThreshold: frac(0.1, 1) } : {}) })),
    },
  })
  const derisk: DeriskRequest[] = some(ops, 2).map((operator) => ({ operator, response: rng.pick(['zero-out', 'halve'] as const) }))
  return { u, policy, derisk }
}

/** What a case decides, without the protocol-specific position fields. */
function outcome({ u, policy, derisk }: Case): unknown {
  const now = u.timestamp
  const scores = scoreUniverse(u, policy, { now })
  const lp = buildLp(u, scores, policy, { derisk })
  const solution = solveFast(lp)
  let plan: unknown
  try {
    const p = planAllocation(u, scores, policy, { now, derisk })
    plan = { ...p, positions: p.positions.map(({ kind: _k, ...rest }) => rest) }
  } catch (e) {
    plan = { error: (e as Error).name, message: (e as Error).message }
  }
  const blocks = lp.blocks.map((b, i) => ({ ...legacyBlock(b), solution: solution.blocks[i] }))
  return { scores, lp: { ...lp, blocks }, plan }
}

/**
 * A block in the shape the digests were taken in (the LP before its representation changed for speed): every row as
 * an object in `rows` (the diversification rows too), every pair as an object in `pairs`, the matrix column-wise too
 * (`colStart`, `colRow`, `colVal`), no `nRows` / `rowRhs` / `operators`; keys in their old order.
 */
function legacyBlock(b: LpBlock): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(b)) {
    if (k === 'nRows' || k === 'rowRhs' || k === 'operators') continue
    out[k] = k === 'rows' ? Array.from({ length: b.nRows }, (_, r) => rowAt(b, r)) : k === 'pairs' ? Array.from({ length: b.pairs.length }, (_, j) => pairAt(b, j)) : v
    if (k === 'colCost') Object.assign(out, blockColumns(b))
  }
  return out
}

const digest = (v: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(v, (k, x) => (x instanceof Float64Array || x instanceof Int32Array || x instanceof Uint8Array ? [...x] : bigintReplacer(k, x))))
    .digest('hex')
    .slice(0, 16)

/** Digests of cases 1..40, from the planner before the speed restructuring. */
const GOLDEN: Record<number, string> = {
  1: 'db45da9b113af093',
  2: '4279cacf7d2059ca',
  3: 'd0d7771894585384',
  4: '726b12952d789c6e',
  5: '6485768178e6cafa',
  6: '34b93e03d5611b2f',
  7: '67ee5dbfa7d0c466',
  8: '2ea90b25a91b8add',
  9: '3b282faa628b98ee',
  10: 'c863f6d8e64634d0',
  11: '826eb7ab8ffa80be',
  12: '33973e5a6474233a',
  13: '774cf7d20bec50fa',
  14: '630d7345d62429ea',
  15: 'e98b70995a8ef7ee',
  16: '0b1c3e63da402de8',
  17: '8e16938f98bdbe50',
  18: '65f3ebdb99765c24',
  19: 'a91d511f77a82ef4',
  20: 'bead60f6a3150132',
  21: 'ed57e605e453385f',
  22: '975f6ba2e6667f6e',
  23: '93ce99ebbd93224f',
  24: '6ed5563fee5df191',
  25: '1117c637b17cd111',
  26: '0bda54af6ceed79b',
  27: 'f27e52b44b7c957b',
  28: '7ce4d83a9706001d',
  29: 'c33baeb9f9e8754b',
  30: '38719a4563cc4f30',
  31: '53e80e1e41489513',
  32: '6d1ef98cd987a00d',
  33: 'ceacfe493d4e933e',
  34: 'c7253154841691a6',
  35: '2732be79aa5d6b7a',
  36: '99b022fecf040f25',
  37: 'b2d23c8995749bbd',
  38: '8aabb4a81ccf83f3',
  39: 'b5aa10e26c40c696',
  40: '90d1aa58173d4df1',
}

describe('planner results are unchanged by the speed work (issue 16 §3)', () => {
  it('40 seeded random cases hash to the pinned digests', () => {
    const got: Record<number, string> = {}
    for (let seed = 1; seed <= 40; seed++) got[seed] = digest(outcome(caseOf(seed)))
    if (process.env.PRINT_GOLDEN) console.log(JSON.stringify(got))
    expect(got).toEqual(GOLDEN)
  })
})
