/**
 * The fast path: an exact LP solver in pure TypeScript for the allocation LP of `lp.ts`.
 *
 * Method
 * ------
 * 1. Decomposition. No policy constraint couples positions (every cap is a fraction of the position's
 *    own stake, the turnover cap is per position), so the monolithic LP is block-diagonal and each
 *    position's block is solved on its own. The optimum of the whole is the sum of the block optima.
 *
 * 2. Per block: a bounded primal simplex on a *kernel* basis (a "working basis").
 *    Rows are `a_i·x ≤ b_i` with slack s_i ≥ 0, columns have bounds [l_j, u_j]. In a basis, let R_N
 *    be the rows whose slack is nonbasic (binding rows) and C_B the basic structural columns; then
 *    |R_N| = |C_B| = k and the basis matrix is, up to permutation, [[K, 0], [A[R_B, C_B], I]] with the
 *    kernel K = A[R_N, C_B]. Only K⁻¹ (dense, k × k) is kept: x_{C_B} = K⁻¹(b_{R_N} − A[R_N, N]x_N),
 *    duals y_{R_N} = c_{C_B}ᵀK⁻¹ (y = 0 on slack rows), slacks of the other rows follow by one sparse
 *    product. In this LP almost every row (one diversification row per pair, one operator row per
 *    operator, …) is slack at the optimum, so k is about the number of positive variables (tens),
 *    not the number of rows (thousands): an iteration costs O(k² + nnz(A)) instead of O(m²).
 *    Every basis change is one of four rank-one updates of K⁻¹: column replace (structural in,
 *    structural out), grow (structural in, slack out: a row becomes binding), shrink (slack in,
 *    structural out) and row replace (slack in, slack out); bound flips change no basis.
 *    K⁻¹ is recomputed by Gauss–Jordan with partial pivoting every REFACTOR_EVERY updates and before
 *    optimality is declared, and the primal values are recomputed from scratch at that point.
 *    Pricing: Dantzig (largest reduced cost), Harris two-pass ratio test with a tolerance, Bland's
 *    rule after a run of degenerate steps (anti-cycling). Phase 1 adds one artificial column per row
 *    violated at the start point (the current allocation) and minimises their sum; when the optimum
 *    of phase 1 is positive the LP is infeasible and the rows with a nonzero phase-1 dual (a Farkas
 *    certificate) are reported as the conflicting constraints.
 *
 * Exactness: the simplex ends at a basic solution whose primal and dual feasibility are checked after
 * a fresh refactorisation (tolerances 1e-10 on normalised stake), i.e. the same vertex optimum that
 * HiGHS reaches; tests compare objectives to 1e-6 relative on random universes.
 */
import { SolverError } from '../errors.js'
import type { BlockSolution, LpBlock, LpModel, LpSolution } from '../lpModel.js'
import { AT_LOWER, AT_UPPER, BASIC, BETWEEN, CANDIDATES, KernelBasis, KernelWorkspace, REFACTOR_EVERY, STALE, STALL_LIMIT, TOL_D, TOL_P, TOL_PIVOT, W_ACT, W_D, W_X0 } from './kernel.js'

/** Options of {@link solveFast}. */
export interface SolveFastOptions {
  /** Max simplex iterations per block (default 50·(rows + cols) + 1000). */
  maxIterations?: number
}

/**
 * Solves every block of the model with the kernel simplex (synchronous, pure TS).
 * @param model output of buildLp
 * @returns per-block solutions; infeasible blocks have status 'infeasible' and conflict rows
 */
export function solveFast(model: LpModel, opts: SolveFastOptions = {}): LpSolution {
  const ws = new KernelWorkspace()
  const blocks = model.blocks.map((b) => solveBlockFast(b, opts, ws))
  let objective = 0
  blocks.forEach((s, i) => {
    if (s.status === 'optimal') objective += s.objective * (model.blocks[i] as LpBlock).scale
  })
  return { solver: 'fast', objective, blocks }
}

/**
 * Solves one block.
 * @param block one position's LP
 * @param ws work arrays to reuse (solveFast shares one across its blocks)
 * @returns column values, duals and objective (normalised)
 */
export function solveBlockFast(block: LpBlock, opts: SolveFastOptions = {}, ws = new KernelWorkspace()): BlockSolution {
  const maxIter = opts.maxIterations ?? 50 * (block.nRows + block.nCols) + 1000
  try {
    return new KernelSimplex(block, false, ws).solve(maxIter)
  } catch (e) {
    // Numerical trouble (a near-singular kernel) or stalling: start again with Bland's rule and the
    // exact ratio test throughout — slower, but it cannot cycle. Unboundedness is not retried.
    if (!(e instanceof SolverError) || /unbounded/.test(e.shortMessage)) throw e
    return new KernelSimplex(block, true, ws).solve(10 * maxIter)
  }
}

class KernelSimplex extends KernelBasis {
  iterations = 0
  fullScans = 0

  private readonly alwaysBland: boolean

  constructor(block: LpBlock, alwaysBland: boolean, ws: KernelWorkspace) {
    super(block, ws)
    this.alwaysBland = alwaysBland
  }

  solve(maxIter: number): BlockSolution {
    const b = this.b
    if (this.nS === 0) {
      return { position: b.position, status: 'optimal', x: new Float64Array(0), duals: new Float64Array(this.nR), objective: b.objectiveConstant, iterations: 0 }
    }
    // Start: every structural at the bound nearest 0 (u = v = τ = 0 is x = x0); rows violated there get an artificial.
    const x0 = this.ws.f(W_X0, this.nS)
    for (let j = 0; j < this.nS; j++) x0[j] = Math.min(Math.max(0, b.colLower[j] as number), b.colUpper[j] as number)
    const act = this.ws.f(W_ACT, this.nR)
    for (let j = 0; j < this.nS; j++) {
      const v = x0[j] as number
      if (v !== 0) for (let k = this.cStart[j] as number; k < (this.cStart[j + 1] as number); k++) act[this.cRow[k] as number]! += (this.cVal[k] as number) * v
    }
    const violated: number[] = []
    for (let i = 0; i < this.nR; i++) if ((this.rhs[i] as number) - (act[i] as number) < -TOL_P) violated.push(i)
    this.buildExtended(violated)
    for (let j = 0; j < this.nS; j++) {
      const v = x0[j] as number
      this.x[j] = v
      this.stat[j] = v === this.lo[j] ? AT_LOWER : v === this.hi[j] ? AT_UPPER : BETWEEN
    }
    // Initial kernel: artificials basic on the violated rows (K = −I).
    this.ensureCap(Math.max(16, violated.length))
    violated.forEach((row, a) => {
      const col = this.nS + a
      this.RN[a] = row
      this.CB[a] = col
      this.rowInRN[row] = a
      this.posCB[col] = a
      this.stat[col] = BASIC
    })
    this.k = violated.length
    for (let a = 0; a < this.k; a++) this.Kinv[a * this.cap + a] = -1
    this.recomputePrimal()

    let iter = 0
    if (violated.length > 0) {
      // Phase 1: maximise −Σ artificials.
      this.cost.fill(0)
      for (let a = this.nS; a < this.n; a++) this.cost[a] = -1
      iter = this.run(maxIter, iter)
      let infeas = 0
      for (let a = this.nS; a < this.n; a++) infeas += this.x[a] as number
      if (infeas > 1e-9) {
        this.computeDuals()
        const conflictRows: number[] = []
        for (let i = 0; i < this.nR; i++) if (Math.abs(this.y[i] as number) > 1e-12) conflictRows.push(i)
        for (let a = this.nS; a < this.n; a++) if ((this.x[a] as number) > 1e-9) conflictRows.push(this.cRow[this.cStart[a] as number] as number)
        return {
          position: b.position,
          status: 'infeasible',
          x: this.x.slice(0, this.nS),
          duals: new Float64Array(this.nR),
          objective: Number.NaN,
          conflictRows: [...new Set(conflictRows)].sort((p, q) => p - q),
          iterations: iter,
        }
      }
      for (let a = this.nS; a < this.n; a++) {
        this.hi[a] = 0
        if (this.stat[a] !== BASIC) {
          this.x[a] = 0
          this.stat[a] = AT_LOWER
        }
      }
    }
    // Phase 2.
    this.cost.fill(0)
    for (let j = 0; j < this.nS; j++) this.cost[j] = b.colCost[j] as number
    iter = this.run(maxIter, iter)
    this.iterations = iter
    this.computeDuals()
    const xs = new Float64Array(this.nS)
    for (let j = 0; j < this.nS; j++) {
      // Clean tiny noise against bounds.
      let v = this.x[j] as number
      const l = this.lo[j] as number
      const h = this.hi[j] as number
      if (Math.abs(v - l) <= 1e-13) v = l
      else if (Math.abs(v - h) <= 1e-13) v = h
      xs[j] = v
    }
    let obj = b.objectiveConstant
    for (let j = 0; j < this.nS; j++) obj += (b.colCost[j] as number) * (xs[j] as number)
    return { position: b.position, status: 'optimal', x: xs, duals: this.y.slice(), objective: obj, iterations: iter }
  }

  /**
   * Full pricing: scans every column, refills the candidate list with the CANDIDATES best (by |d|),
   * and returns the best column (−1 if none). Under Bland's rule returns the smallest eligible index.
   */
  private fullPricing(bland: boolean): number {
    const n = this.n
    const cand = this.cand
    const candD = this.candD
    const stat = this.stat
    const lo = this.lo
    const hi = this.hi
    const dAll = this.reducedCosts()
    let nc = 0
    let minAt = 0
    let minD = Infinity
    for (let j = 0; j < n; j++) {
      const st = stat[j] as number
      if (st === BASIC || (hi[j] as number) <= (lo[j] as number)) continue
      const d = dAll[j] as number
      if (!(st === AT_LOWER ? d > TOL_D : st === AT_UPPER ? d < -TOL_D : d > TOL_D || d < -TOL_D)) continue
      if (bland) {
        this.nCand = 0
        return j
      }
      const ad = d < 0 ? -d : d
      if (nc < CANDIDATES) {
        cand[nc] = j
        candD[nc] = ad
        if (ad < minD) {
          minD = ad
          minAt = nc
        }
        nc++
      } else if (ad > minD) {
        cand[minAt] = j
        candD[minAt] = ad
        minAt = 0
        minD = candD[0] as number
        for (let t = 1; t < nc; t++)
          if ((candD[t] as number) < minD) {
            minD = candD[t] as number
            minAt = t
          }
      }
    }
    this.nCand = nc
    let best = -1
    let bestD = 0
    for (let t = 0; t < nc; t++)
      if ((candD[t] as number) > bestD || ((candD[t] as number) === bestD && (cand[t] as number) < best)) {
        bestD = candD[t] as number
        best = cand[t] as number
      }
    return best
  }

  /**
   * Reduced costs d_j = c_j − Σ_r A[r, j]·y_r of every column, read row-wise over the rows whose dual is not 0 (the
   * binding rows: tens of the block's thousand). Each d_j gets the same terms in the same order (rows ascending) as the
   * column-wise sum, less the terms A·0, which change no value but the sign of a zero: pricing compares |d_j| with a
   * positive tolerance, so it picks the same columns.
   */
  private reducedCosts(): Float64Array {
    const n = this.n
    const d = this.ws.f(W_D, n)
    d.set(this.cost.subarray(0, n))
    const y = this.y
    const rStart = this.rStart
    const rCol = this.rCol
    const rVal = this.rVal
    for (let r = 0; r < this.nR; r++) {
      const yr = y[r] as number
      if (yr === 0) continue
      for (let e = rStart[r] as number; e < (rStart[r + 1] as number); e++) d[rCol[e] as number]! -= (rVal[e] as number) * yr
    }
    return d
  }

  /** Runs simplex iterations with the current costs until optimal (partial pricing over a candidate list). */
  private run(maxIter: number, iter: number): number {
    let stall = 0
    let bland = this.alwaysBland
    let verified = false
    this.nCand = 0
    this.computeDuals()
    for (;;) {
      if (iter >= maxIter) throw new SolverError({ solver: 'fast', reason: `iteration limit ${maxIter} reached in position ${this.b.position}` })
      if (this.updates >= REFACTOR_EVERY) this.refactor()
      // Pricing: candidates first (their d with the current duals), a full scan when none is left.
      let q = -1
      let best = 0
      if (!bland) {
        for (let t = 0; t < this.nCand; t++) {
          const j = this.cand[t] as number
          const d = this.reducedCost(j)
          if (Number.isNaN(d)) continue
          const ad = Math.abs(d)
          if (ad > best) {
            best = ad
            q = j
          }
        }
      }
      let full = false
      if (q < 0 || best < STALE * this.lastFullBest) {
        this.fullScans++
        q = this.fullPricing(bland)
        full = true
        best = q >= 0 ? Math.abs(this.reducedCost(q)) : 0
        this.lastFullBest = best
      }
      // Slacks of binding rows (kernel rows) may enter when their dual is negative.
      let slackRow = -1
      if (!(bland && q >= 0)) {
        for (let a = 0; a < this.k; a++) {
          const d = -(this.y[this.RN[a] as number] as number)
          if (d > TOL_D && (d > best || (bland && slackRow < 0))) {
            best = d
            slackRow = a
            if (bland) break
          }
        }
      }
      if (slackRow >= 0) q = -1
      if (q < 0 && slackRow < 0) {
        if (!full) continue
        if (verified || this.updates === 0) return iter
        // Refactor from scratch and re-check before declaring optimality.
        this.refactor()
        verified = true
        continue
      }
      const dq = q >= 0 ? this.reducedCost(q) : -(this.y[this.RN[slackRow] as number] as number)
      const dir = q >= 0 ? (dq > 0 ? 1 : -1) : 0
      verified = false
      iter++
      const theta = this.step(q, dir, slackRow, bland, dq)
      if (theta > 1e-14) {
        stall = 0
        bland = this.alwaysBland
      } else if (++stall > STALL_LIMIT) bland = true
    }
  }

  /** Adds −v to the rate of change of slack row r (a row outside R_N), marking it touched on first use. */
  private touch(r: number, v: number): void {
    if ((this.rowInRN[r] as number) >= 0) return
    if (!this.mark[r]) {
      this.mark[r] = 1
      this.ds[r] = 0
      this.touched[this.nTouched++] = r
    }
    this.ds[r]! -= v
  }

  /** One simplex step: entering structural q (direction dir) or the slack of kernel row slackRow. */
  private step(q: number, dir: number, slackRow: number, bland: boolean, dq: number): number {
    const k = this.k
    const cap = this.cap
    const K = this.Kinv
    const w = this.w
    // dB = rate of change of basic structurals per unit step θ.
    if (q >= 0) {
      // w = K⁻¹ a_q[R_N]
      w.fill(0, 0, k)
      for (let e = this.cStart[q] as number; e < (this.cStart[q + 1] as number); e++) {
        const a = this.rowInRN[this.cRow[e] as number] as number
        if (a < 0) continue
        const v = this.cVal[e] as number
        for (let bb = 0; bb < k; bb++) w[bb]! += (K[bb * cap + a] as number) * v
      }
      for (let bb = 0; bb < k; bb++) w[bb] = -dir * (w[bb] as number) // now w = dB
    } else {
      for (let bb = 0; bb < k; bb++) w[bb] = -(K[bb * cap + slackRow] as number)
    }
    // ds on slack rows: −(dir·a_q + Σ_b dB_b A[:, CB_b]).
    const ds = this.ds
    this.nTouched = 0
    if (q >= 0) for (let e = this.cStart[q] as number; e < (this.cStart[q + 1] as number); e++) this.touch(this.cRow[e] as number, dir * (this.cVal[e] as number))
    for (let bb = 0; bb < k; bb++) {
      const r = w[bb] as number
      if (r === 0) continue
      const col = this.CB[bb] as number
      for (let e = this.cStart[col] as number; e < (this.cStart[col + 1] as number); e++) this.touch(this.cRow[e] as number, r * (this.cVal[e] as number))
    }
    // Ratio test (Harris two-pass; exact min-ratio with smallest index under Bland).
    const range = q < 0 ? Infinity : dir > 0 ? (this.hi[q] as number) - (this.x[q] as number) : (this.x[q] as number) - (this.lo[q] as number)
    let thetaMax = Infinity
    for (let bb = 0; bb < k; bb++) {
      const r = w[bb] as number
      if (Math.abs(r) <= TOL_PIVOT) continue
      const col = this.CB[bb] as number
      const room = r > 0 ? (this.hi[col] as number) - (this.x[col] as number) : (this.x[col] as number) - (this.lo[col] as number)
      if (room === Infinity) continue
      const t = (Math.max(room, 0) + (bland ? 0 : TOL_P)) / Math.abs(r)
      if (t < thetaMax) thetaMax = t
    }
    for (let t = 0; t < this.nTouched; t++) {
      const r = this.touched[t] as number
      const rate = ds[r] as number
      if (rate >= -TOL_PIVOT) continue
      const th = (Math.max(this.slack[r] as number, 0) + (bland ? 0 : TOL_P)) / -rate
      if (th < thetaMax) thetaMax = th
    }
    // Choose the leaving variable: largest |pivot| among ratios ≤ thetaMax.
    let leaveB = -1 // kernel col index of a leaving structural
    let leaveRow = -1 // row whose slack leaves
    let bestPiv = 0
    let theta = Infinity
    if (thetaMax < Infinity) {
      for (let bb = 0; bb < k; bb++) {
        const r = w[bb] as number
        if (Math.abs(r) <= TOL_PIVOT) continue
        const col = this.CB[bb] as number
        const room = r > 0 ? (this.hi[col] as number) - (this.x[col] as number) : (this.x[col] as number) - (this.lo[col] as number)
        if (room === Infinity) continue
        const t = Math.max(room, 0) / Math.abs(r)
        if (t <= thetaMax && (bland ? t < theta || (t === theta && col < (leaveB >= 0 ? (this.CB[leaveB] as number) : Infinity)) : Math.abs(r) > bestPiv)) {
          bestPiv = Math.abs(r)
          leaveB = bb
          leaveRow = -1
          theta = t
        }
      }
      for (let t = 0; t < this.nTouched; t++) {
        const r = this.touched[t] as number
        const rate = ds[r] as number
        if (rate >= -TOL_PIVOT) continue
        const th = Math.max(this.slack[r] as number, 0) / -rate
        if (th <= thetaMax && (bland ? th < theta : Math.abs(rate) > bestPiv)) {
          bestPiv = Math.abs(rate)
          leaveRow = r
          leaveB = -1
          theta = th
        }
      }
    }
    for (let t = 0; t < this.nTouched; t++) this.mark[this.touched[t] as number] = 0
    const flip = range <= theta
    if (flip) theta = range
    if (theta === Infinity) throw new SolverError({ solver: 'fast', reason: `LP unbounded in position ${this.b.position}` })
    // Update primal values.
    if (q >= 0) this.x[q]! += dir * theta
    else this.slack[this.RN[slackRow] as number]! += theta
    if (theta !== 0) {
      for (let bb = 0; bb < k; bb++) this.x[this.CB[bb] as number]! += theta * (w[bb] as number)
      for (let t = 0; t < this.nTouched; t++) {
        const r = this.touched[t] as number
        this.slack[r]! += theta * (ds[r] as number)
      }
    }
    if (flip) {
      // Entering structural moves bound to bound; no basis change.
      this.stat[q] = dir > 0 ? AT_UPPER : AT_LOWER
      this.x[q] = dir > 0 ? (this.hi[q] as number) : (this.lo[q] as number)
      return theta
    }
    // Basis change. First the duals: y' = y + (d_q / α)·ρ, ρ = row of B⁻¹ of the leaving variable,
    // α = ρ·A_q (its pivot entry), so that the entering variable's reduced cost becomes 0.
    const y = this.y
    if (leaveB >= 0) {
      const alpha = q >= 0 ? -dir * (w[leaveB] as number) : (K[leaveB * cap + slackRow] as number)
      const beta = dq / alpha
      const off = leaveB * cap
      for (let a = 0; a < k; a++) y[this.RN[a] as number]! += beta * (K[off + a] as number)
    } else {
      this.rowTimesKinv(leaveRow)
      const z = this.z
      let alpha: number
      if (q >= 0) {
        // δ = A[row, q] − A[row, C_B]·K⁻¹a_q, with K⁻¹a_q = −dir·w.
        let aiq = 0
        for (let e = this.cStart[q] as number; e < (this.cStart[q + 1] as number); e++) if (this.cRow[e] === leaveRow) aiq += this.cVal[e] as number
        let vw = 0
        for (let e = this.rStart[leaveRow] as number; e < (this.rStart[leaveRow + 1] as number); e++) {
          const bb = this.posCB[this.rCol[e] as number] as number
          if (bb >= 0) vw += (this.rVal[e] as number) * -dir * (w[bb] as number)
        }
        alpha = aiq - vw
        this.delta = alpha
      } else alpha = -(z[slackRow] as number)
      const beta = dq / alpha
      y[leaveRow]! += beta
      for (let a = 0; a < k; a++) y[this.RN[a] as number]! -= beta * (z[a] as number)
    }
    if (leaveB >= 0) {
      const col = this.CB[leaveB] as number
      const r = w[leaveB] as number
      this.stat[col] = r > 0 ? AT_UPPER : AT_LOWER
      this.x[col] = r > 0 ? (this.hi[col] as number) : (this.lo[col] as number)
      this.posCB[col] = -1
      if (q >= 0) this.replaceColumn(leaveB, q, dir)
      else this.shrink(slackRow, leaveB)
    } else {
      this.slack[leaveRow] = 0
      if (q >= 0) this.grow(leaveRow, q, dir)
      else this.replaceRow(slackRow, leaveRow)
    }
    this.updates++
    return theta
  }
}
