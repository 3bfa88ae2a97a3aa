/**
 * The reference solver: HiGHS (npm `highs`, WebAssembly) on the same LP as the fast path.
 * Used by tests and the benchmark only — never imported by `plan.ts`, so the Lambda bundles
 * do not carry the 3.5 MB WASM.
 */
import { SolverError } from '../errors.js'
import { type BlockSolution, type LpBlock, type LpModel, type LpSolution, buildLp, minTurnoverBlock, toCplexLp } from '../lp.js'
import { type Plan, type PlanOptions, blocksToRelax, meetVar99, planFromSolution, relaxTurnover } from '../plan.js'
import type { Policy } from '../policy.js'
import type { UniverseScores } from '../score.js'
import type { Universe } from '../types.js'

import type { Highs } from 'highs'

let highsPromise: Promise<Highs> | undefined

/** Loads the HiGHS WASM module once per process (ESM entry `highs.mjs`; the CJS-typed default is unwrapped). */
export async function loadHighs(): Promise<Highs> {
  highsPromise ??= import('highs').then((m) => {
    const mod = m as unknown as { default: (() => Promise<Highs>) | { default: () => Promise<Highs> } }
    const loader = typeof mod.default === 'function' ? mod.default : mod.default.default
    return loader()
  })
  return highsPromise
}

/** Options of {@link solveWithHighs}. */
export interface SolveWithHighsOptions {
  /** Solve the monolithic LP (all blocks in one model, default) or one model per block. */
  monolithic?: boolean
  /** LP text already built with toCplexLp (benchmarks build it once). */
  lpText?: string
}

/**
 * Solves the model with HiGHS.
 * @param lp output of buildLp
 * @returns the same shape as the fast path's solution (solver 'highs')
 */
export async function solveWithHighs(lp: LpModel, opts: SolveWithHighsOptions = {}): Promise<LpSolution> {
  const highs = await loadHighs()
  const monolithic = opts.monolithic ?? true
  if (!monolithic) {
    const blocks = lp.blocks.map((b) => solveBlocks(highs, { blocks: [b], fixed: [], missing: [] }, undefined)[0] as BlockSolution)
    return assemble(lp, blocks)
  }
  const blocks = solveBlocks(highs, lp, opts.lpText)
  return assemble(lp, blocks)
}

function assemble(lp: LpModel, blocks: BlockSolution[]): LpSolution {
  let objective = 0
  blocks.forEach((s, i) => {
    if (s.status === 'optimal') objective += s.objective * (lp.blocks[i] as LpBlock).scale
  })
  return { solver: 'highs', objective, blocks }
}

const OPTIONS = {
  output_flag: false,
  primal_feasibility_tolerance: 1e-10,
  dual_feasibility_tolerance: 1e-10,
} as const

function solveBlocks(highs: Highs, lp: LpModel, lpText: string | undefined): BlockSolution[] {
  if (lp.blocks.every((b) => b.nCols === 0)) return lp.blocks.map((b) => emptySolution(b))
  const text = lpText ?? toCplexLp(lp)
  let res: ReturnType<Highs['solve']>
  try {
    res = highs.solve(text, OPTIONS)
  } catch (e) {
    throw new SolverError({ solver: 'highs', reason: 'HiGHS threw while solving', cause: e })
  }
  if (res.Status === 'Infeasible' || res.Status === 'Primal infeasible or unbounded') {
    if (lp.blocks.length === 1) {
      const b = lp.blocks[0] as LpBlock
      return [{ position: b.position, status: 'infeasible', x: new Float64Array(b.nCols), duals: new Float64Array(b.nRows), objective: Number.NaN }]
    }
    // Locate the infeasible block(s): solve each block on its own.
    return lp.blocks.map((b) => solveBlocks(highs, { blocks: [b], fixed: [], missing: [] }, undefined)[0] as BlockSolution)
  }
  if (res.Status !== 'Optimal') throw new SolverError({ solver: 'highs', reason: `status ${res.Status}` })
  const cols = res.Columns as Record<string, { Primal: number }>
  const rowDual = new Map<string, number>()
  for (const r of res.Rows as { Name?: string; Dual?: number }[]) if (r.Name !== undefined) rowDual.set(r.Name, r.Dual ?? 0)
  return lp.blocks.map((b, bi) => {
    const x = new Float64Array(b.nCols)
    let obj = b.objectiveConstant
    for (let c = 0; c < b.nCols; c++) {
      const v = cols[`c${bi}_${c}`]?.Primal ?? 0
      x[c] = v
      obj += (b.colCost[c] as number) * v
    }
    const duals = new Float64Array(b.nRows)
    for (let r = 0; r < b.nRows; r++) duals[r] = Math.abs(rowDual.get(`r${bi}_${r}`) ?? 0)
    return { position: b.position, status: 'optimal', x, duals, objective: obj }
  })
}

function emptySolution(b: LpBlock): BlockSolution {
  return { position: b.position, status: 'optimal', x: new Float64Array(b.nCols), duals: new Float64Array(b.nRows), objective: b.objectiveConstant }
}

/**
 * planAllocation with HiGHS as the solver (async; for the CLI, tests and the benchmark). Same LP,
 * same turnover relaxation for forced removals, same exact rounding. A block over var99Fraction is re-solved by
 * meetVar99's bisection with the fast path (the two agree to 1e-6 on the same LP).
 */
export async function planAllocationWithHighs(universe: Universe, scores: UniverseScores, policy: Policy, opts: PlanOptions): Promise<Plan> {
  const lp = buildLp(universe, scores, policy, opts.derisk ? { derisk: opts.derisk } : {})
  const solution = await solveWithHighs(lp)
  const relax = blocksToRelax(lp, solution)
  if (relax.length === 0) {
    const met = meetVar99(lp, solution, policy)
    return planFromSolution(universe, scores, policy, met.lp, met.solution, opts)
  }
  const minTurnover: number[] = []
  for (const i of relax) minTurnover.push(-((await solveWithHighs({ blocks: [minTurnoverBlock(lp.blocks[i] as LpBlock)], fixed: [], missing: [] })).blocks[0] as BlockSolution).objective)
  const relaxed = relaxTurnover(lp, relax, minTurnover)
  const met = meetVar99(relaxed, await solveWithHighs(relaxed), policy)
  return planFromSolution(universe, scores, policy, met.lp, met.solution, opts)
}
