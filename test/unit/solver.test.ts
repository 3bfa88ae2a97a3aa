import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SolverError } from '../../shared/domain/errors.js'
import { type LpBlock, type LpRow, blockObjective, newPairs, rowActivities } from '../../shared/domain/lp.js'
import { solveBlockFast } from '../../shared/domain/solvers/fast.js'
import { solveWithHighs } from '../../shared/domain/solvers/highs.js'

interface Col {
  lo: number
  hi: number
  cost: number
}

/** A generic LP `max c·x, A x ≤ b, lo ≤ x ≤ hi` as an LpBlock (dense A for tests). */
function block(A: number[][], b: number[], cols: Col[]): LpBlock {
  const nR = A.length
  const nC = cols.length
  const rowStart = [0]
  const rowCol: number[] = []
  const rowVal: number[] = []
  for (let r = 0; r < nR; r++) {
    for (let c = 0; c < nC; c++) if ((A[r]![c] ?? 0) !== 0) rowCol.push(c), rowVal.push(A[r]![c]!)
    rowStart.push(rowCol.length)
  }
  const rows: LpRow[] = b.map((rhs) => ({ kind: 'leverage', subject: '', rhs, limit: rhs, limitWei: 0n }))
  return {
    position: 'test',
    activeStake: 1n,
    scale: 1,
    minOperators: 1,
    pairs: newPairs(0),
    services: [],
    operators: [],
    groups: [],
    nCols: nC,
    colKind: new Uint8Array(nC),
    colRef: new Int32Array(nC),
    colLower: Float64Array.from(cols.map((c) => c.lo)),
    colUpper: Float64Array.from(cols.map((c) => c.hi)),
    colCost: Float64Array.from(cols.map((c) => c.cost)),
    rows,
    nRows: rows.length,
    rowRhs: Float64Array.from(b),
    rowStart: Int32Array.from(rowStart),
    rowCol: Int32Array.from(rowCol),
    rowVal: Float64Array.from(rowVal),
    objectiveConstant: 0,
    forced: [],
    turnoverRow: -1,
  }
}

const model = (b: LpBlock) => ({ blocks: [b], fixed: [], missing: [] })

describe('Function: solveBlockFast', () => {
  it('solves a textbook LP: max 3x + 5y, x ≤ 4, 2y ≤ 12, 3x + 2y ≤ 18 → (2, 6), 36', () => {
    const s = solveBlockFast(
      block(
        [
          [1, 0],
          [0, 2],
          [3, 2],
        ],
        [4, 12, 18],
        [
          { lo: 0, hi: Infinity, cost: 3 },
          { lo: 0, hi: Infinity, cost: 5 },
        ],
      ),
    )
    expect(s.status).toBe('optimal')
    expect([...s.x]).toEqual([2, 6])
    expect(s.objective).toBeCloseTo(36, 12)
    // Shadow prices: row 2 (2y ≤ 12) 1.5, row 3 1, row 1 0.
    expect([...s.duals].map((d) => Math.round(d * 1e9) / 1e9)).toEqual([0, 1.5, 1])
  })

  it('handles bounds, bound flips and variables that start inside their bounds', () => {
    // max x + y, x ∈ [0, 1], y ∈ [−2, 3], x + y ≤ 10 → x = 1, y = 3 (flips, no basis change).
    const s = solveBlockFast(
      block(
        [[1, 1]],
        [10],
        [
          { lo: 0, hi: 1, cost: 1 },
          { lo: -2, hi: 3, cost: 1 },
        ],
      ),
    )
    expect([...s.x]).toEqual([1, 3])
    // min y (max −y) with y ∈ [−2, ∞) starting at 0 must move down to −2.
    const t = solveBlockFast(block([[1]], [5], [{ lo: -2, hi: Infinity, cost: -1 }]))
    expect([...t.x]).toEqual([-2])
  })

  it('runs phase 1 from an infeasible start and reports the rows of an infeasibility', () => {
    // x ≥ 2 written as −x ≤ −2; start x = 0 violates it; x ≤ 5 is fine.
    const ok = solveBlockFast(block([[-1], [1]], [-2, 5], [{ lo: 0, hi: Infinity, cost: -1 }]))
    expect(ok.status).toBe('optimal')
    expect(ok.x[0]).toBeCloseTo(2, 12)
    // x ≥ 2 and x ≤ 1: infeasible, both rows in the certificate; a third, unrelated row is not.
    const bad = solveBlockFast(
      block(
        [
          [-1, 0],
          [1, 0],
          [0, 1],
        ],
        [-2, 1, 4],
        [
          { lo: 0, hi: Infinity, cost: 1 },
          { lo: 0, hi: Infinity, cost: 1 },
        ],
      ),
    )
    expect(bad.status).toBe('infeasible')
    expect(bad.conflictRows).toEqual([0, 1])
  })

  it('throws SolverError on an unbounded LP', () => {
    expect(() =>
      solveBlockFast(
        block(
          [[1, -1]],
          [1],
          [
            { lo: 0, hi: Infinity, cost: 1 },
            { lo: 0, hi: Infinity, cost: 1 },
          ],
        ),
      ),
    ).toThrowError(SolverError)
  })

  it('survives heavy degeneracy (many tied rows through the same vertex)', () => {
    const n = 12
    const A: number[][] = []
    const b: number[] = []
    for (let i = 0; i < n; i++) {
      A.push(Array.from({ length: n }, (_, j) => (j === i || j === (i + 1) % n ? 1 : 0)))
      b.push(1)
    }
    A.push(Array.from({ length: n }, () => 1))
    b.push(n / 2)
    const s = solveBlockFast(
      block(
        A,
        b,
        Array.from({ length: n }, () => ({ lo: 0, hi: Infinity, cost: 1 })),
      ),
    )
    expect(s.objective).toBeCloseTo(n / 2, 9)
  })
})

describe('Property: the kernel simplex matches HiGHS on random LPs', () => {
  const lpArb = fc
    .record({
      nR: fc.integer({ min: 1, max: 12 }),
      nC: fc.integer({ min: 1, max: 14 }),
      seed: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 400, maxLength: 400 }),
      density: fc.double({ min: 0.2, max: 0.9, noNaN: true }),
    })
    .map(({ nR, nC, seed, density }) => {
      let k = 0
      const next = () => seed[k++ % seed.length] as number
      const A: number[][] = Array.from({ length: nR }, () => Array.from({ length: nC }, (): number => (Math.abs(next()) < density ? Math.round(next() * 8) / 4 : 0)))
      // Every row touches a column (the LP writer drops empty rows, as the domain never has one).
      A.forEach((row, r) => {
        if (!row.some((v) => v !== 0)) row[r % nC] = 1
      })
      // Mostly non-negative right-hand sides (feasible start), some negative (phase 1).
      const b = Array.from({ length: nR }, () => Math.round((next() + 0.7) * 8) / 2)
      const cols = Array.from({ length: nC }, () => {
        const lo = next() < -0.6 ? -Math.round(Math.abs(next()) * 4) : 0
        const hi = next() < 0 ? Infinity : lo + Math.round(Math.abs(next()) * 6) + 1
        return { lo, hi, cost: Math.round(next() * 10) / 2 }
      })
      // A box on every column keeps the LP bounded.
      const box = cols.map((c) => ({ ...c, hi: Math.min(c.hi, 50) }))
      return block(A, b, box)
    })

  it('same status, same optimum (1e-9 relative), and a feasible point', async () => {
    await fc.assert(
      fc.asyncProperty(lpArb, async (b) => {
        const f = solveBlockFast(b)
        const h = (await solveWithHighs(model(b))).blocks[0]!
        expect(f.status).toBe(h.status)
        if (f.status !== 'optimal') return
        expect(Math.abs(f.objective - h.objective)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(h.objective)))
        const act = rowActivities(b, f.x)
        b.rowRhs.forEach((rhs, i) => expect(act[i]!).toBeLessThanOrEqual(rhs + 1e-9))
        for (let c = 0; c < b.nCols; c++) {
          expect(f.x[c]!).toBeGreaterThanOrEqual(b.colLower[c]! - 1e-9)
          expect(f.x[c]!).toBeLessThanOrEqual(b.colUpper[c]! + 1e-9)
        }
        expect(blockObjective(b, f.x)).toBeCloseTo(f.objective, 9)
      }),
      { numRuns: 400, seed: 2024 },
    )
  })
})

describe('Function: solveBlockFast (fallback)', () => {
  it('falls back to Bland’s rule when the fast pivoting runs out of iterations, and still finds the optimum', () => {
    const b = block(
      [
        [1, 0],
        [0, 2],
        [3, 2],
      ],
      [4, 12, 18],
      [
        { lo: 0, hi: Infinity, cost: 3 },
        { lo: 0, hi: Infinity, cost: 5 },
      ],
    )
    // One iteration is not enough for the first attempt; the retry gets ten times the budget.
    const s = solveBlockFast(b, { maxIterations: 1 })
    expect(s.objective).toBeCloseTo(36, 12)
    expect(() => solveBlockFast(b, { maxIterations: 0 })).toThrowError(/iteration limit/)
  })
})
