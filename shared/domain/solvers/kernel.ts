/**
 * The kernel basis of the fast path's simplex (solvers/fast.ts, "Method" §2): the block's extended matrix, bounds and
 * primal values, the kernel K = A[R_N, C_B] with its dense inverse K⁻¹, the duals, and the rank-one updates of K⁻¹
 * (column replace, grow, shrink, row replace) with the periodic refactorisation. The pricing and ratio test that drive
 * it live in fast.ts.
 */
import { SolverError } from '../errors.js'
import { type LpBlock, transposeRows } from '../lpModel.js'
import { Scratch } from '../lpArena.js'

export const TOL_P = 1e-10
export const TOL_D = 1e-10
export const TOL_PIVOT = 1e-9
export const REFACTOR_EVERY = 100
export const STALL_LIMIT = 60
/** Size of the partial-pricing candidate list. */
export const CANDIDATES = 16
/** A full pricing is forced when the best candidate has fallen below this share of the last full scan's best. */
export const STALE = 0.1

export const AT_LOWER = 0
export const AT_UPPER = 1
export const BASIC = 2
/** Nonbasic strictly between its bounds (τ starts at 0 inside [−t0, ∞)): may move either way. */
export const BETWEEN = 3

/**
 * Work arrays of the kernel simplex, reused block after block within one solveFast call: each grows to the largest
 * block once, instead of a fresh backing store per array per block (issue 16 §3). Views are exact-length and filled.
 */
export class KernelWorkspace {
  private readonly f64 = new Scratch((n) => new Float64Array(n))
  private readonly i32 = new Scratch((n) => new Int32Array(n))
  private readonly u8 = new Scratch((n) => new Uint8Array(n))

  /** Float64 work array number `slot`, `n` entries set to `value`. */
  f(slot: number, n: number, value = 0): Float64Array {
    return this.f64.get(slot, n).subarray(0, n).fill(value)
  }

  /** Int32 work array number `slot`, `n` entries set to `value`. */
  i(slot: number, n: number, value = 0): Int32Array {
    return this.i32.get(slot, n).subarray(0, n).fill(value)
  }

  /** Uint8 work array number `slot`, `n` zeroed entries. */
  u(slot: number, n: number): Uint8Array {
    return this.u8.get(slot, n).subarray(0, n).fill(0)
  }
}

// Work array slots (float64, int32, uint8 numbered apart).
export const W_SLACK = 0
export const W_Y = 1
export const W_DS = 2
export const W_CVAL = 3
export const W_RVAL = 4
export const W_LO = 5
export const W_HI = 6
export const W_COST = 7
export const W_X = 8
export const W_M = 9
export const W_R = 10
export const W_X0 = 11
export const W_ACT = 12
export const W_D = 13
// Kernel arrays, two slots each (see ensureCap).
const W_KINV = 14
const W_W = 16
const W_Z = 18
const W_ROWINRN = 0
const W_TOUCHED = 1
const W_CSTART = 2
const W_CROW = 3
const W_ARTOF = 4
const W_RSTART = 5
const W_RCOL = 6
const W_POSCB = 7
const W_FILL = 8
const W_RN = 9
const W_CB = 11
const W_MARK = 0
const W_STAT = 1

/** Basis state and linear algebra of one block's kernel simplex (see the module comment). */
export abstract class KernelBasis {
  protected readonly b: LpBlock
  protected readonly nR: number
  protected readonly nS: number // structural columns of the block
  protected n = 0 // structural + artificial
  // Extended CSC (structural + artificial columns).
  protected cStart!: Int32Array
  protected cRow!: Int32Array
  protected cVal!: Float64Array
  // Extended CSR.
  protected rStart!: Int32Array
  protected rCol!: Int32Array
  protected rVal!: Float64Array
  protected lo!: Float64Array
  protected hi!: Float64Array
  protected cost!: Float64Array
  protected x!: Float64Array
  protected stat!: Uint8Array
  protected posCB!: Int32Array // kernel col index of a basic column, −1 otherwise
  protected readonly rhs: Float64Array
  protected readonly slack: Float64Array
  protected readonly rowInRN: Int32Array // kernel row index, −1 if slack basic
  protected k = 0
  protected cap = 0
  protected RN: Int32Array = new Int32Array(0)
  protected CB: Int32Array = new Int32Array(0)
  protected Kinv: Float64Array = new Float64Array(0) // Kinv[b * cap + a]: kernel col b (rows of K⁻¹) × kernel row a
  protected readonly y: Float64Array // duals by row (0 off R_N)
  protected updates = 0
  /** Which of the two workspace slots of each kernel array holds the current one (ensureCap). */
  private capSide = 1
  // Work arrays.
  protected w: Float64Array = new Float64Array(0)
  protected z: Float64Array = new Float64Array(0)
  protected readonly ds: Float64Array
  protected readonly touched: Int32Array
  protected nTouched = 0
  protected readonly mark: Uint8Array
  protected readonly cand = new Int32Array(CANDIDATES)
  protected readonly candD = new Float64Array(CANDIDATES)
  protected nCand = 0
  protected delta = 0
  protected lastFullBest = 0

  protected readonly ws: KernelWorkspace

  constructor(block: LpBlock, ws: KernelWorkspace) {
    this.b = block
    this.ws = ws
    this.nR = block.nRows
    this.nS = block.nCols
    // Read only.
    this.rhs = block.rowRhs
    this.slack = ws.f(W_SLACK, this.nR)
    this.rowInRN = ws.i(W_ROWINRN, this.nR, -1)
    this.y = ws.f(W_Y, this.nR)
    this.ds = ws.f(W_DS, this.nR)
    this.touched = ws.i(W_TOUCHED, this.nR)
    this.mark = ws.u(W_MARK, this.nR)
    // The matrix column-wise (the LP keeps it row-wise only), with room for one artificial column per row.
    const nnz = block.rowStart[this.nR] as number
    const cStart = ws.i(W_CSTART, this.nS + 1 + this.nR)
    const cRow = ws.i(W_CROW, nnz + this.nR)
    const cVal = ws.f(W_CVAL, nnz + this.nR)
    transposeRows(block, { colStart: cStart.subarray(0, this.nS + 1), colRow: cRow, colVal: cVal }, ws.i(W_FILL, this.nS + 1))
    this.cStart = cStart.subarray(0, this.nS + 1)
    this.cRow = cRow.subarray(0, nnz)
    this.cVal = cVal.subarray(0, nnz)
  }

  /** Builds CSC/CSR including one artificial column (−1 in its row) per violated row. */
  protected buildExtended(violated: number[]): void {
    const b = this.b
    const nA = violated.length
    this.n = this.nS + nA
    const nnzS = this.cStart[this.nS] as number
    if (nA > 0) {
      // The artificial columns go after the structural ones, in the room the constructor left.
      this.cStart = new Int32Array(this.cStart.buffer, this.cStart.byteOffset, this.n + 1)
      this.cRow = new Int32Array(this.cRow.buffer, this.cRow.byteOffset, nnzS + nA)
      this.cVal = new Float64Array(this.cVal.buffer, this.cVal.byteOffset, nnzS + nA)
      for (let a = 0; a < nA; a++) {
        this.cRow[nnzS + a] = violated[a] as number
        this.cVal[nnzS + a] = -1
        this.cStart[this.nS + a + 1] = nnzS + a + 1
      }
    }
    if (nA === 0) {
      this.rStart = b.rowStart
      this.rCol = b.rowCol
      this.rVal = b.rowVal
    } else {
      const artOf = this.ws.i(W_ARTOF, this.nR, -1)
      violated.forEach((r, a) => (artOf[r] = this.nS + a))
      this.rStart = this.ws.i(W_RSTART, this.nR + 1)
      this.rCol = this.ws.i(W_RCOL, nnzS + nA)
      this.rVal = this.ws.f(W_RVAL, nnzS + nA)
      let at = 0
      for (let r = 0; r < this.nR; r++) {
        this.rStart[r] = at
        for (let k = b.rowStart[r] as number; k < (b.rowStart[r + 1] as number); k++) {
          this.rCol[at] = b.rowCol[k] as number
          this.rVal[at++] = b.rowVal[k] as number
        }
        if ((artOf[r] as number) >= 0) {
          this.rCol[at] = artOf[r] as number
          this.rVal[at++] = -1
        }
      }
      this.rStart[this.nR] = at
    }
    this.lo = this.ws.f(W_LO, this.n)
    this.hi = this.ws.f(W_HI, this.n, Infinity)
    this.lo.set(b.colLower)
    this.hi.set(b.colUpper)
    this.cost = this.ws.f(W_COST, this.n)
    this.x = this.ws.f(W_X, this.n)
    this.stat = this.ws.u(W_STAT, this.n)
    this.posCB = this.ws.i(W_POSCB, this.n, -1)
  }

  protected ensureCap(need: number): void {
    if (need <= this.cap) return
    let cap = Math.max(16, this.cap)
    while (cap < need) cap *= 2
    // From the workspace, in the pair of slots the kernel did not use last (the old arrays are read while the new ones
    // are written): zeroed like fresh arrays, without a fresh backing store per growth of every block.
    this.capSide ^= 1
    const side = this.capSide
    const K = this.ws.f(W_KINV + side, cap * cap)
    for (let r = 0; r < this.k; r++) for (let c = 0; c < this.k; c++) K[r * cap + c] = this.Kinv[r * this.cap + c] as number
    const RN = this.ws.i(W_RN + side, cap)
    RN.set(this.RN.subarray(0, this.k))
    const CB = this.ws.i(W_CB + side, cap)
    CB.set(this.CB.subarray(0, this.k))
    this.Kinv = K
    this.RN = RN
    this.CB = CB
    const w = this.ws.f(W_W + side, cap)
    w.set(this.w)
    const z = this.ws.f(W_Z + side, cap)
    z.set(this.z)
    this.w = w
    this.z = z
    this.cap = cap
  }

  /** Reduced cost of structural j, or NaN when j cannot enter (basic, fixed, or no improving direction). */
  protected reducedCost(j: number): number {
    const st = this.stat[j] as number
    if (st === BASIC || (this.hi[j] as number) - (this.lo[j] as number) <= 0) return Number.NaN
    let d = this.cost[j] as number
    const y = this.y
    for (let k = this.cStart[j] as number, e = this.cStart[j + 1] as number; k < e; k++) d -= (this.cVal[k] as number) * (y[this.cRow[k] as number] as number)
    return (st === AT_LOWER ? d > TOL_D : st === AT_UPPER ? d < -TOL_D : Math.abs(d) > TOL_D) ? d : Number.NaN
  }

  /** y_{R_N} = c_{C_B}ᵀ K⁻¹, zero elsewhere. */
  protected computeDuals(): void {
    const y = this.y
    y.fill(0)
    const k = this.k
    const cap = this.cap
    const K = this.Kinv
    const yk = this.z // scratch, indexed by kernel row
    yk.fill(0, 0, k)
    for (let bb = 0; bb < k; bb++) {
      const c = this.cost[this.CB[bb] as number] as number
      if (c === 0) continue
      const off = bb * cap
      for (let a = 0; a < k; a++) yk[a]! += c * (K[off + a] as number)
    }
    for (let a = 0; a < k; a++) y[this.RN[a] as number] = yk[a] as number
  }

  /** Structural q replaces the basic structural at kernel col bb. w holds dB = −dir·K⁻¹a_q. */
  protected replaceColumn(bb: number, q: number, dir: number): void {
    const k = this.k
    const cap = this.cap
    const K = this.Kinv
    const w = this.w
    // Convert back to K⁻¹ a_q.
    for (let i = 0; i < k; i++) w[i] = -dir * (w[i] as number)
    const piv = w[bb] as number
    const offB = bb * cap
    for (let a = 0; a < k; a++) K[offB + a]! /= piv
    for (let r = 0; r < k; r++) {
      if (r === bb) continue
      const f = w[r] as number
      if (f === 0) continue
      const off = r * cap
      for (let a = 0; a < k; a++) K[off + a]! -= f * (K[offB + a] as number)
    }
    this.CB[bb] = q
    this.posCB[q] = bb
    this.stat[q] = BASIC
  }

  /** z = A[row, C_B] K⁻¹ (row vector over kernel rows). */
  protected rowTimesKinv(row: number): void {
    const k = this.k
    const cap = this.cap
    const K = this.Kinv
    const z = this.z
    z.fill(0, 0, k)
    for (let e = this.rStart[row] as number; e < (this.rStart[row + 1] as number); e++) {
      const bb = this.posCB[this.rCol[e] as number] as number
      if (bb < 0) continue
      const v = this.rVal[e] as number
      const off = bb * cap
      for (let a = 0; a < k; a++) z[a]! += v * (K[off + a] as number)
    }
  }

  /** Row `row` becomes binding and structural q becomes basic: K grows by one row and column. */
  protected grow(row: number, q: number, dir: number): void {
    // z = A[row, C_B]K⁻¹ and δ were computed by step() for the dual update.
    this.ensureCap(this.k + 1)
    const k = this.k
    const cap = this.cap
    const K = this.Kinv
    const w = this.w
    for (let i = 0; i < k; i++) w[i] = -dir * (w[i] as number) // K⁻¹ a_q
    const z = this.z
    const delta = this.delta
    for (let r = 0; r < k; r++) {
      const f = (w[r] as number) / delta
      const off = r * cap
      if (f !== 0) for (let a = 0; a < k; a++) K[off + a]! += f * (z[a] as number)
      K[off + k] = -f
    }
    const offK = k * cap
    for (let a = 0; a < k; a++) K[offK + a] = -(z[a] as number) / delta
    K[offK + k] = 1 / delta
    this.RN[k] = row
    this.CB[k] = q
    this.rowInRN[row] = k
    this.posCB[q] = k
    this.stat[q] = BASIC
    this.k = k + 1
  }

  /** The slack of kernel row ap enters and the structural at kernel col bb leaves: K shrinks. */
  protected shrink(ap: number, bb: number): void {
    const k = this.k
    const cap = this.cap
    const K = this.Kinv
    const piv = K[bb * cap + ap] as number
    const offB = bb * cap
    for (let r = 0; r < k; r++) {
      if (r === bb) continue
      const off = r * cap
      const f = (K[off + ap] as number) / piv
      if (f === 0) continue
      for (let a = 0; a < k; a++) K[off + a]! -= f * (K[offB + a] as number)
    }
    const row = this.RN[ap] as number
    this.rowInRN[row] = -1
    // Move the last row/col into the freed slots.
    const last = k - 1
    if (bb !== last) {
      const offL = last * cap
      for (let a = 0; a < k; a++) K[offB + a] = K[offL + a] as number
      const col = this.CB[last] as number
      this.CB[bb] = col
      this.posCB[col] = bb
    }
    if (ap !== last) {
      for (let r = 0; r < k; r++) K[r * cap + ap] = K[r * cap + last] as number
      const rr = this.RN[last] as number
      this.RN[ap] = rr
      this.rowInRN[rr] = ap
    }
    this.k = last
  }

  /** The slack of kernel row ap enters and the slack of row `row` leaves: kernel row replaced. */
  protected replaceRow(ap: number, row: number): void {
    // z = A[row, C_B]K⁻¹ was computed by step() for the dual update.
    const k = this.k
    const cap = this.cap
    const K = this.Kinv
    const z = this.z
    const piv = z[ap] as number
    for (let r = 0; r < k; r++) {
      const off = r * cap
      const col = (K[off + ap] as number) / piv
      if (col !== 0)
        for (let a = 0; a < k; a++) {
          if (a === ap) continue
          K[off + a]! -= col * (z[a] as number)
        }
      K[off + ap] = col
    }
    this.rowInRN[this.RN[ap] as number] = -1
    this.RN[ap] = row
    this.rowInRN[row] = ap
  }

  /** Recomputes K⁻¹ from A[R_N, C_B] (Gauss–Jordan, partial pivoting) and the primal values. */
  protected refactor(): void {
    const k = this.k
    const cap = this.cap
    if (k > 0) {
      // M = [K | I] dense, k × 2k.
      const w2 = 2 * k
      const M = this.ws.f(W_M, k * w2)
      for (let bb = 0; bb < k; bb++) {
        const col = this.CB[bb] as number
        for (let e = this.cStart[col] as number; e < (this.cStart[col + 1] as number); e++) {
          const a = this.rowInRN[this.cRow[e] as number] as number
          if (a >= 0) M[a * w2 + bb] = this.cVal[e] as number
        }
      }
      for (let a = 0; a < k; a++) M[a * w2 + k + a] = 1
      for (let c = 0; c < k; c++) {
        let p = -1
        let best = 0
        for (let r = c; r < k; r++) {
          const v = Math.abs(M[r * w2 + c] as number)
          if (v > best) {
            best = v
            p = r
          }
        }
        if (p < 0 || best < 1e-13) throw new SolverError({ solver: 'fast', reason: `singular kernel at refactorisation in position ${this.b.position}` })
        // Columns left of c are never read again (pivots and factors come from column c on, K⁻¹ from the right
        // half), so the row operations start at column c: the right half is the same, bit for bit.
        if (p !== c)
          for (let t = c; t < w2; t++) {
            const tmp = M[c * w2 + t] as number
            M[c * w2 + t] = M[p * w2 + t] as number
            M[p * w2 + t] = tmp
          }
        const inv = 1 / (M[c * w2 + c] as number)
        for (let t = c; t < w2; t++) M[c * w2 + t]! *= inv
        for (let r = 0; r < k; r++) {
          if (r === c) continue
          const f = M[r * w2 + c] as number
          if (f === 0) continue
          for (let t = c; t < w2; t++) M[r * w2 + t]! -= f * (M[c * w2 + t] as number)
        }
      }
      // M right half is K⁻¹ with rows = kernel cols (because K rows = kernel rows, cols = kernel cols):
      // K · X = I → X = K⁻¹ is (cols × rows), X[bb][a] = M[bb][k + a].
      for (let bb = 0; bb < k; bb++) for (let a = 0; a < k; a++) this.Kinv[bb * cap + a] = M[bb * w2 + k + a] as number
    }
    this.updates = 0
    this.recomputePrimal()
    this.computeDuals()
  }

  /** x_{C_B} = K⁻¹(b_{R_N} − A[R_N, N] x_N); slacks = b − A x. */
  protected recomputePrimal(): void {
    const k = this.k
    const cap = this.cap
    const r = this.ws.f(W_R, k)
    for (let a = 0; a < k; a++) {
      const row = this.RN[a] as number
      let v = this.rhs[row] as number
      for (let e = this.rStart[row] as number; e < (this.rStart[row + 1] as number); e++) {
        const col = this.rCol[e] as number
        if (this.stat[col] !== BASIC) v -= (this.rVal[e] as number) * (this.x[col] as number)
      }
      r[a] = v
    }
    for (let bb = 0; bb < k; bb++) {
      let v = 0
      const off = bb * cap
      for (let a = 0; a < k; a++) v += (this.Kinv[off + a] as number) * (r[a] as number)
      this.x[this.CB[bb] as number] = v
    }
    for (let i = 0; i < this.nR; i++) {
      let v = this.rhs[i] as number
      for (let e = this.rStart[i] as number; e < (this.rStart[i + 1] as number); e++) v -= (this.rVal[e] as number) * (this.x[this.rCol[e] as number] as number)
      this.slack[i] = (this.rowInRN[i] as number) >= 0 ? 0 : v
    }
  }
}
