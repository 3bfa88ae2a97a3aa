/**
 * The matrix of one LP block (lp.ts builds the pairs, this writes the model): columns, rows with their exact limits,
 * the row-wise matrix (CSR) and its transpose (CSC), all in typed arrays.
 */
import type { Address, PositionService, ServiceId } from './types.js'
import type { Policy } from './policy.js'
import { mulFloor } from './exact.js'
import { SolverError } from './errors.js'
import { COL_T, COL_U, COL_V, type ForcedMove, LP_FEASIBILITY_MARGIN, type LpBlock, type LpPairs, type LpRow, type SecurityHold, type ServiceLimitSource, newPairs, turnoverMarginWei } from './lpModel.js'
import type { LpArena } from './lpArena.js'

/** Inputs of {@link assembleBlock}: the admitted pairs of a position in (service, operator) order and what they index. */
export interface BlockParts {
  position: string
  A: bigint
  scale: number
  policy: Policy
  /** The pairs, their `svc` / `op` indexing `services` / `operators`; their columns (uCol, vCol) are set here. */
  pairs: LpPairs
  /** The block's services, ascending; `serviceOf` holds their per-position limits. */
  services: ServiceId[]
  serviceOf: PositionService[]
  /** Pairs of service ls are pairs[svcStart[ls] .. svcStart[ls + 1]). */
  svcStart: number[]
  operators: Address[]
  groups: { group: string; cap: number }[]
  /** Where the block's typed arrays are allocated (one arena per buildLp call). */
  arena: LpArena
  forced: ForcedMove[]
  holds: SecurityHold[]
}

/**
 * Columns, rows and the matrix of a block, written straight into typed arrays: the row-wise matrix (CSR) in one pass
 * (every u column precedes every v column, τ columns come last, so emitting a row's u's, then v's, then τ keeps it
 * sorted), then its transpose (CSC).
 */
export function assembleBlock(b: BlockParts): LpBlock {
  const { A, scale, policy, pairs, services, svcStart, operators, arena } = b
  const { svc: pairSvc, op: pairOp, x0, x0Wei, uCol, vCol, value } = pairs
  const m = policy.minOperatorsPerService
  const nPairs = pairs.length
  const nSvc = services.length

  // Columns in scratch arrays sized for the most there can be (u and v per pair, τ per service), copied out below.
  const maxCols = 2 * nPairs + nSvc
  const colKind = arena.scratchI32(S_KIND, maxCols)
  const colRef = arena.scratchI32(S_REF, maxCols)
  const colLower = arena.scratchF64(S_LOWER, maxCols)
  const colUpper = arena.scratchF64(S_UPPER, maxCols)
  const colCost = arena.scratchF64(S_COST, maxCols)
  let nCols = 0
  const addCol = (kind: number, ref: number, lower: number, upper: number, cost: number): number => {
    colKind[nCols] = kind
    colRef[nCols] = ref
    colLower[nCols] = lower
    colUpper[nCols] = upper
    colCost[nCols] = cost
    return nCols++
  }
  for (let j = 0; j < nPairs; j++) if (pairs.canIncrease[j] === 1) uCol[j] = addCol(COL_U, j, 0, Infinity, value[j] as number)
  for (let j = 0; j < nPairs; j++) if ((x0Wei[j] as bigint) > 0n) vCol[j] = addCol(COL_V, j, 0, x0[j] as number, -(value[j] as number))
  const t0 = arena.scratchF64(S_T0, nSvc).fill(0, 0, nSvc)
  for (let j = 0; j < nPairs; j++) t0[pairSvc[j] as number]! += x0[j] as number
  const tau0 = nCols
  if (m > 1) for (let ls = 0; ls < nSvc; ls++) addCol(COL_T, ls, -(t0[ls] as number), Infinity, 0)

  // Pairs of each operator (ascending), by counting.
  const opStart = arena.scratchI32(S_OPSTART, operators.length + 1).fill(0, 0, operators.length + 1)
  for (let j = 0; j < nPairs; j++) opStart[(pairOp[j] as number) + 1]!++
  for (let k = 0; k < operators.length; k++) opStart[k + 1]! += opStart[k] as number
  const opPairs = arena.scratchI32(S_OPPAIRS, nPairs)
  {
    const fill = arena.scratchI32(S_FILL, operators.length + 1)
    fill.set(opStart.subarray(0, operators.length + 1))
    for (let j = 0; j < nPairs; j++) opPairs[fill[pairOp[j] as number]!++] = j
  }

  // Rows: service, operator, group, leverage, risk, maxLoss, turnover, diversificationTotal (objects), then one
  // diversification row per pair (right-hand side only). Each of the first 6 + groups rows, and each of the two
  // diversification families, holds every u and v column (tau0 of them) at most once; the diversification rows add one
  // τ entry each. The matrix is written into scratch arrays of at least that bound, then copied out at its exact size.
  const nDiv = m > 1 ? nPairs : 0
  const rows: LpRow[] = []
  const nnzMax = tau0 * (6 + b.groups.length + (m > 1 ? 2 : 0)) + (m > 1 ? nSvc + nDiv : 0)
  const rowStartL: number[] = []
  const rowCol = arena.scratchI32(S_ROWCOL, nnzMax)
  const rowVal = arena.scratchF64(S_ROWVAL, nnzMax)
  let at = 0
  /** Emits the row over pairs `js[from..to)` (coefficient `coef[k]` or 1 on x_j) and returns Σ coef·x0 in the same order. */
  const emit = (js: ArrayLike<number>, from: number, to: number, coef?: ArrayLike<number>, sign = 1): number => {
    rowStartL.push(at)
    let acc = 0
    for (let k = from; k < to; k++) {
      const j = js[k] as number
      acc += (coef ? (coef[k] as number) : 1) * (x0[j] as number)
      const u = uCol[j] as number
      if (u >= 0) {
        rowCol[at] = u
        rowVal[at++] = sign * (coef ? (coef[k] as number) : 1)
      }
    }
    for (let k = from; k < to; k++) {
      const v = vCol[js[k] as number] as number
      if (v >= 0) {
        rowCol[at] = v
        rowVal[at++] = coef ? -sign * (coef[k] as number) : -sign
      }
    }
    return acc
  }
  const all = arena.scratchI32(S_ALL, nPairs)
  for (let j = 0; j < nPairs; j++) all[j] = j
  const capCfg = mulFloor(A, policy.caps.perService)
  for (let ls = 0; ls < nSvc; ls++) {
    const ps = b.serviceOf[ls] as PositionService
    let limitWei = A
    let source: ServiceLimitSource = 'activeStake'
    if (ps.maxNetworkLimit < limitWei) [limitWei, source] = [ps.maxNetworkLimit < 0n ? 0n : ps.maxNetworkLimit, 'maxNetworkLimit']
    if (capCfg < limitWei) [limitWei, source] = [capCfg, 'caps.perService']
    const limit = Number(limitWei) / scale
    const acc = emit(all, svcStart[ls] as number, svcStart[ls + 1] as number)
    rows.push({ kind: 'service', subject: services[ls] as string, rhs: limit - acc, limit, limitWei, source })
  }
  const opLimitWei = mulFloor(A, policy.caps.perOperator)
  for (let k = 0; k < operators.length; k++) {
    const limit = Number(opLimitWei) / scale
    const acc = emit(opPairs, opStart[k] as number, opStart[k + 1] as number)
    rows.push({ kind: 'operator', subject: operators[k] as string, rhs: limit - acc, limit, limitWei: opLimitWei })
  }
  b.groups.forEach((g, gi) => {
    const pj: number[] = []
    for (let j = 0; j < nPairs; j++) if ((pairs.groups[j] as number[]).includes(gi)) pj.push(j)
    if (pj.length === 0) return
    const limitWei = mulFloor(A, g.cap)
    const limit = Number(limitWei) / scale
    const acc = emit(pj, 0, pj.length)
    rows.push({ kind: 'group', subject: g.group, rhs: limit - acc, limit, limitWei })
  })
  {
    const limitWei = mulFloor(A, policy.leverageCap)
    const limit = Number(limitWei) / scale
    const acc = emit(all, 0, nPairs)
    rows.push({ kind: 'leverage', subject: '', rhs: limit - acc, limit, limitWei })
  }
  // Rows with float weights: the risk budget Σ ℓ·x, and MaxLoss Σ min(1, sev·h)·x (docs/risk.md; only when the
  // fraction is below 1: the cap at active stake makes a larger limit void).
  const pj = arena.scratchI32(S_PJ, nPairs)
  const coef = arena.scratchF64(S_COEF, nPairs)
  const weighted = (kind: 'risk' | 'maxLoss', fraction: number) => {
    let n = 0
    const weight = kind === 'risk' ? pairs.loss : pairs.lossFactor
    for (let j = 0; j < nPairs; j++) {
      const w = weight[j] as number
      if (w > 0) {
        pj[n] = j
        coef[n++] = w
      }
    }
    if (n === 0) return
    const limitWei = mulFloor(A, fraction)
    const limit = Number(limitWei) / scale
    const acc = emit(pj, 0, n, coef)
    rows.push({ kind, subject: '', rhs: limit - acc, limit, limitWei, fraction })
  }
  weighted('risk', policy.riskBudget)
  if (policy.maxLossFraction < 1) weighted('maxLoss', policy.maxLossFraction)
  const turnoverLimitWei = mulFloor(A, policy.turnoverCapPerRun)
  const marginWei = turnoverMarginWei(nPairs, m)
  const turnoverLimit = Number(turnoverLimitWei) / scale
  const turnoverRhs = Math.max(0, turnoverLimit - LP_FEASIBILITY_MARGIN - Number(marginWei) / scale)
  const turnoverRow = rows.length
  rowStartL.push(at)
  for (let c = 0; c < nCols; c++)
    if (colKind[c] !== COL_T) {
      rowCol[at] = c
      rowVal[at++] = 1
    }
  rows.push({ kind: 'turnover', subject: '', rhs: turnoverRhs, limit: turnoverLimit, limitWei: turnoverLimitWei })
  if (m > 1) {
    // t0 − Σ x0 = 0 by construction of t0.
    for (let ls = 0; ls < nSvc; ls++) {
      emit(all, svcStart[ls] as number, svcStart[ls + 1] as number, undefined, -1)
      rowCol[at] = tau0 + ls
      rowVal[at++] = 1
      rows.push({ kind: 'diversificationTotal', subject: services[ls] as string, rhs: 0, limit: 0, limitWei: 0n })
    }
  }
  // Diversification rows D_j, one per pair: x_j − t_s/m ≤ t0_s/m − x0_j (right-hand sides only: no object per row).
  const nNamed = rows.length
  const nRows = nNamed + nDiv
  const rowStart = arena.i32(nRows + 1)
  rowStart.set(rowStartL)
  const rowRhs = arena.f64(nRows)
  for (let r = 0; r < nNamed; r++) rowRhs[r] = (rows[r] as LpRow).rhs
  for (let j = 0; j < nDiv; j++) {
    const ls = pairSvc[j] as number
    rowStart[nNamed + j] = at
    if ((uCol[j] as number) >= 0) {
      rowCol[at] = uCol[j] as number
      rowVal[at++] = 1
    }
    if ((vCol[j] as number) >= 0) {
      rowCol[at] = vCol[j] as number
      rowVal[at++] = -1
    }
    rowCol[at] = tau0 + ls
    rowVal[at++] = -1 / m
    rowRhs[nNamed + j] = (t0[ls] as number) / m - (x0[j] as number)
  }
  rowStart[nRows] = at
  // A bound that undercounts must fail loudly, never give a wrong LP (typed arrays drop writes past their end).
  if (at > nnzMax) throw new SolverError({ solver: 'fast', reason: `LP matrix of position ${b.position} overflows its bound (${at} > ${nnzMax} entries)` })
  const nnz = at

  let objectiveConstant = 0
  for (let j = 0; j < nPairs; j++) objectiveConstant += (value[j] as number) * (x0[j] as number)
  return {
    position: b.position,
    activeStake: A,
    scale,
    minOperators: m,
    pairs,
    services,
    operators,
    groups: b.groups.map((g) => ({ group: g.group, cap: g.cap })),
    nCols,
    colKind: keep(arena.u8(nCols), colKind, nCols),
    colRef: keep(arena.i32(nCols), colRef, nCols),
    colLower: keep(arena.f64(nCols), colLower, nCols),
    colUpper: keep(arena.f64(nCols), colUpper, nCols),
    colCost: keep(arena.f64(nCols), colCost, nCols),
    rows,
    nRows,
    rowRhs,
    rowStart,
    rowCol: keep(arena.i32(nnz), rowCol, nnz),
    rowVal: keep(arena.f64(nnz), rowVal, nnz),
    objectiveConstant,
    forced: b.forced,
    turnoverRow,
    securityHolds: b.holds,
  }
}

// Scratch slots of the arena (lpArena.ts) used while a block is assembled.
const S_KIND = 0
const S_REF = 1
const S_OPSTART = 2
const S_OPPAIRS = 3
const S_FILL = 4
const S_ROWCOL = 5
const S_ALL = 6
const S_PJ = 7
const S_LOWER = 0
const S_UPPER = 1
const S_COST = 2
const S_T0 = 3
const S_ROWVAL = 4
const S_COEF = 5

/** `to` with the first n entries of the scratch array `from` (same values; int32 scratch into uint8 for column kinds). */
function keep<T extends Uint8Array | Int32Array | Float64Array>(to: T, from: Int32Array | Float64Array, n: number): T {
  to.set(from.subarray(0, n))
  return to
}

/** The block of a position with no admissible pair: no columns, only the (empty) turnover row so the plan can report the limit. */
export function emptyBlock(position: string, A: bigint, scale: number, m: number, forced: ForcedMove[], turnoverLimitWei: bigint, securityHolds: SecurityHold[]): LpBlock {
  const limit = Number(turnoverLimitWei) / scale
  return {
    position,
    activeStake: A,
    scale,
    minOperators: m,
    pairs: newPairs(0),
    services: [],
    operators: [],
    groups: [],
    nCols: 0,
    colKind: new Uint8Array(0),
    colRef: new Int32Array(0),
    colLower: new Float64Array(0),
    colUpper: new Float64Array(0),
    colCost: new Float64Array(0),
    // Only the (empty) turnover row, so the plan can report the limit.
    rows: [{ kind: 'turnover', subject: '', rhs: limit, limit, limitWei: turnoverLimitWei }],
    nRows: 1,
    rowRhs: Float64Array.of(limit),
    rowStart: new Int32Array(2),
    rowCol: new Int32Array(0),
    rowVal: new Float64Array(0),
    objectiveConstant: 0,
    forced,
    turnoverRow: 0,
    securityHolds,
  }
}
