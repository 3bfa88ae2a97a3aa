import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type PairStake, type ServiceSecurityInput, securityCheck, universeStakes } from '../../shared/domain/security.js'

const TOKEN = 10n ** 18n
const svc = (i: number) => `0x${(i + 1).toString(16).padStart(64, '0')}`
const op = (i: number) => `0x${(i + 0xa0).toString(16).padStart(40, '0')}`

interface Graph {
  /** stakes[v][s] in whole tokens (0 = no edge). */
  stakes: number[][]
  services: { pi: number | undefined; alpha: number }[]
}

/**
 * Brute force over every coalition A of operators and every non-empty set B of services with known π (docs/risk.md):
 * (A, B) is an attack if A holds at least α_s of the stake on every s ∈ B; it costs A the stake it can lose,
 * Σ_{v ∈ A} max_{s ∈ B} σ_{v,s}. Returns the largest (1 + γ)·π_B − cost over attacks, for the given γ.
 */
function worstAttack(g: Graph, gamma: number): { excess: number; A: number[]; B: number[] } {
  const nV = g.stakes.length
  const nS = g.services.length
  const total = g.services.map((_, s) => g.stakes.reduce((a, row) => a + (row[s] as number), 0))
  let best = { excess: -Infinity, A: [] as number[], B: [] as number[] }
  for (let bm = 1; bm < 1 << nS; bm++) {
    const B = [...Array(nS).keys()].filter((s) => bm & (1 << s))
    if (B.some((s) => g.services[s]!.pi === undefined)) continue
    const piB = B.reduce((a, s) => a + (g.services[s]!.pi as number), 0)
    for (let am = 0; am < 1 << nV; am++) {
      const A = [...Array(nV).keys()].filter((v) => am & (1 << v))
      const valid = B.every((s) => A.reduce((a, v) => a + (g.stakes[v]![s] as number), 0) >= g.services[s]!.alpha * (total[s] as number))
      if (!valid) continue
      const cost = A.reduce((a, v) => a + Math.max(0, ...B.map((s) => g.stakes[v]![s] as number)), 0)
      const excess = (1 + gamma) * piB - cost
      if (excess > best.excess) best = { excess, A, B }
    }
  }
  return best
}

function check(g: Graph, gamma: number) {
  const stakes: PairStake[] = []
  g.stakes.forEach((row, v) => row.forEach((st, s) => st > 0 && stakes.push({ service: svc(s), operator: op(v), stake: BigInt(st) * TOKEN })))
  const services: ServiceSecurityInput[] = g.services.map((x, s) => ({ service: svc(s), profitFromCorruption: x.pi, attackThreshold: x.alpha }))
  return securityCheck({ services, stakes, minSecuritySlack: gamma, shockFraction: 0.1 })
}

const graphArb = fc.record({ nV: fc.integer({ min: 1, max: 6 }), nS: fc.integer({ min: 1, max: 5 }) }).chain(({ nV, nS }) =>
  fc.record({
    stakes: fc.array(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 })), { minLength: nS, maxLength: nS }), { minLength: nV, maxLength: nV }),
    services: fc.array(
      fc.record({
        pi: fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 120 }) }, { weight: 1, arbitrary: fc.constant(undefined) }),
        alpha: fc.constantFrom(1 / 3, 0.5, 0.2, 2 / 3, 1),
      }),
      { minLength: nS, maxLength: nS },
    ),
  }),
)

describe('security check (Durvasula–Roughgarden, per-pair stakes)', () => {
  it('computes ρ, I, γ and the cascade bound with their terms', () => {
    // Two services, two operators: s0 has 90 tokens (60 + 30), π = 10, α = 1/3 → ρ = 30/10 = 3;
    // s1 has 30 tokens (only v1), π = 5, α = 1/2 → ρ = 15/5 = 3. I_v0 = 1/3, I_v1 = 2/3 → γ = 2 and 0.5.
    const r = check(
      {
        stakes: [
          [60, 0],
          [30, 30],
        ],
        services: [
          { pi: 10, alpha: 1 / 3 },
          { pi: 5, alpha: 0.5 },
        ],
      },
      0.25,
    )
    expect(r.services.map((s) => [s.status, s.ratio, s.stake])).toEqual([
      ['secure', 3, 90n * TOKEN],
      ['secure', 3, 30n * TOKEN],
    ])
    expect(r.operators.map((o) => [o.operator, o.incentiveIndex, o.slack, o.status])).toEqual([
      [op(0), 1 / 3, 2, 'ok'],
      [op(1), 2 / 3, 0.5, 'ok'],
    ])
    expect(r.network.minSlack).toBe(0.5)
    expect(r.network.weakestOperator).toBe(op(1))
    expect(r.network.cascadeBound).toBeCloseTo((1 + 1 / 0.5) * 0.1, 12)
    expect(r.network.conditionHolds).toBe(true)
    expect(r.services[0]!.terms.find((t) => t.name === 'security ratio ρ')!.explanation).toContain('0.3333·90 / 10')
    expect(r.operators[1]!.terms.map((t) => t.name)).toEqual(['attack-incentive index I', 'security slack γ'])
  })

  it('reports a service without π as security unknown, not as safe, and an insecure service (ρ < 1)', () => {
    const r = check(
      {
        stakes: [[10, 10]],
        services: [
          { pi: undefined, alpha: 1 / 3 },
          { pi: 20, alpha: 0.5 },
        ],
      },
      0,
    )
    expect(r.services[0]!.status).toBe('unknown')
    expect(r.services[0]!.ratio).toBeUndefined()
    expect(r.services[1]!.status).toBe('insecure')
    expect(r.services[1]!.ratio).toBe(0.25)
    // I = 1/0.25 = 4 over the known service, γ = −0.75; the unknown one is left out and counted.
    expect(r.operators[0]).toMatchObject({ incentiveIndex: 4, slack: -0.75, unknownServices: 1, status: 'below-slack' })
    expect(r.network.cascadeBound).toBeNull()
    expect(r.network.conditionHolds).toBe(false)
    // Only the unknown service staked: γ unbounded on what is known, but the condition is not claimed.
    const u = check({ stakes: [[10]], services: [{ pi: undefined, alpha: 1 / 3 }] }, 0)
    expect(u.operators[0]).toMatchObject({ slack: null, status: 'unknown' })
    expect(u.network.conditionHolds).toBe(false)
    expect(u.network.unknownServices).toBe(1)
  })

  it('sums stake over every position and the external stake', () => {
    const alloc = (service: string, operator: string, stake: bigint) => ({ service, operator, stake, shares: 0n, operatorLimit: 0n }) as never
    const stakes = universeStakes({
      positions: [{ allocations: [alloc(svc(0), op(0), 5n), alloc(svc(0), op(0).toUpperCase().replace('0X', '0x'), 2n)] }, { allocations: [alloc(svc(1), op(1), 0n)] }] as never,
      externalStake: [{ service: svc(0) as never, operator: op(0) as never, stake: 3n }],
    })
    expect(stakes).toEqual([{ service: svc(0), operator: op(0), stake: 10n }])
  })

  it('property: when every γ_v ≥ γ holds, brute force finds no coalition whose attack pays, even with slack (1 + γ)·π_B ≤ cost', () => {
    let held = 0
    let attacked = 0
    fc.assert(
      fc.property(graphArb, fc.constantFrom(0, 0.1, 0.5, 1, 3), (g, gamma) => {
        const r = check(g, gamma)
        const worst = worstAttack(g, gamma)
        if (r.network.conditionHolds) {
          held++
          expect(worst.excess).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(worst.excess)))
        }
        // Contrapositive at γ = 0: a profitable attack means the check does not hold.
        if (worstAttack(g, 0).excess > 1e-9) {
          attacked++
          expect(check(g, 0).network.conditionHolds).toBe(false)
        }
      }),
      { numRuns: 400, seed: 16 },
    )
    // The property is not vacuous: both sides occur.
    expect(held).toBeGreaterThan(20)
    expect(attacked).toBeGreaterThan(20)
  })
})
