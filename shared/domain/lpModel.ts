/**
 * The allocation LP's data model (built by `lp.ts`, solved by `solvers/fast.ts` or `solvers/highs.ts`, rounded by
 * `round.ts`): rows, pairs, blocks and solutions, plus the small pure helpers that read or adjust a block.
 */
import type { Address, Position, ServiceId } from './types.js'
import { mulFloor } from './exact.js'
import type { LpArena } from './lpArena.js'

/** Kind of an LP row; names the policy constraint it encodes. */
export type RowKind = 'service' | 'operator' | 'group' | 'leverage' | 'risk' | 'maxLoss' | 'turnover' | 'diversificationTotal' | 'diversification'

/** Why a service row has the limit it has (the smallest of the three). */
export type ServiceLimitSource = 'activeStake' | 'maxNetworkLimit' | 'caps.perService'

/**
 * One row `Σ a·x ≤ rhs` of a block. A block keeps these objects for its named rows only (`LpBlock.rows`); the
 * per-pair diversification rows live in `LpBlock.rowRhs` alone (see {@link rowAt} for one as an object).
 */
export interface LpRow {
  kind: RowKind
  /** Service id, operator address or group name; '' for position-wide rows and diversification rows (see `pair`). */
  subject: string
  /** Right-hand side in the solver's (shifted, normalised) space: limit − A·x0 (− margin for turnover). */
  rhs: number
  /** The row's limit in normalised stake (before shifting), for reporting. */
  limit: number
  /** Exact limit in wei (service, operator, group, leverage, turnover), or the risk budget in wei/yr as a bigint floor. */
  limitWei: bigint
  /** For service rows: which limit is the smallest. */
  source?: ServiceLimitSource
  /** For diversification rows: index of the pair in `LpBlock.pairs`. */
  pair?: number
  /** For risk and maxLoss rows: the limit as the policy fraction (exact float), held in bigint by plan.ts. */
  fraction?: number
}

/** One pair (service, operator) of a block, as an object: see {@link pairAt}; a block holds its pairs in {@link LpPairs}. */
export interface LpPair {
  service: ServiceId
  operator: Address
  /** Objective coefficient c_j (per unit of normalised stake per year). */
  value: number
  /** Risk coefficient ℓ_j = p·sev·h. */
  loss: number
  /** Loss per slash per unit of stake, min(1, sev·h): the MaxLoss row's coefficient (docs/risk.md). */
  lossFactor: number
  /** Slash probability per year of the pair. */
  probability: number
  /** Current stake after forced reductions, normalised. */
  x0: number
  /** Current stake after forced reductions, wei. */
  x0Wei: bigint
  /** Current on-chain stake, wei. */
  currentWei: bigint
  /** May the LP increase the pair (net value > 0 and no halve order)? */
  canIncrease: boolean
  /** Column of u_j (−1 if none). */
  uCol: number
  /** Column of v_j (−1 if none). */
  vCol: number
  /** Groups (indices into `LpBlock.groups`) the pair belongs to. */
  groups: number[]
}

/**
 * The pairs of a block as parallel arrays indexed by pair j (struct of arrays): one object per pair, with its floats
 * boxed, was most of the planner's garbage at scale (issue 16 §3). Field meanings are those of {@link LpPair}.
 */
export interface LpPairs {
  length: number
  /** Index of the pair's service in `LpBlock.services`. */
  svc: Int32Array
  /** Index of the pair's operator in `LpBlock.operators`. */
  op: Int32Array
  value: Float64Array
  loss: Float64Array
  lossFactor: Float64Array
  probability: Float64Array
  x0: Float64Array
  x0Wei: bigint[]
  currentWei: bigint[]
  /** 1 when the LP may increase the pair. */
  canIncrease: Uint8Array
  /** Column of u_j / v_j (−1 if none). */
  uCol: Int32Array
  vCol: Int32Array
  /** Groups (indices into `LpBlock.groups`) of each pair (one shared empty array when the policy has no risk groups). */
  groups: number[][]
  /** Index of each pair's score in the `scores.pairs` the block was built from (the plan reads its figures there). */
  score: Int32Array
}

/** Pairs of a block with room for `n` pairs, no columns yet (uCol = vCol = −1); typed arrays from `arena` when given. */
export function newPairs(n: number, arena?: LpArena): LpPairs {
  const f64 = (k: number) => (arena ? arena.f64(k) : new Float64Array(k))
  const i32 = (k: number) => (arena ? arena.i32(k) : new Int32Array(k))
  return {
    length: n,
    svc: i32(n),
    op: i32(n),
    value: f64(n),
    loss: f64(n),
    lossFactor: f64(n),
    probability: f64(n),
    x0: f64(n),
    x0Wei: new Array(n),
    currentWei: new Array(n),
    canIncrease: arena ? arena.u8(n) : new Uint8Array(n),
    uCol: i32(n).fill(-1),
    vCol: i32(n).fill(-1),
    groups: new Array(n),
    score: i32(n),
  }
}

/** Service id of pair j of a block. */
export function pairService(block: LpBlock, j: number): ServiceId {
  return block.services[block.pairs.svc[j] as number] as ServiceId
}

/** Operator address of pair j of a block. */
export function pairOperator(block: LpBlock, j: number): Address {
  return block.operators[block.pairs.op[j] as number] as Address
}

/** Pair j of a block as an object (for reports and tests; the planner reads the arrays). */
export function pairAt(block: LpBlock, j: number): LpPair {
  const p = block.pairs
  return {
    service: pairService(block, j),
    operator: pairOperator(block, j),
    value: p.value[j] as number,
    loss: p.loss[j] as number,
    lossFactor: p.lossFactor[j] as number,
    probability: p.probability[j] as number,
    x0: p.x0[j] as number,
    x0Wei: p.x0Wei[j] as bigint,
    currentWei: p.currentWei[j] as bigint,
    canIncrease: p.canIncrease[j] === 1,
    uCol: p.uCol[j] as number,
    vCol: p.vCol[j] as number,
    groups: p.groups[j] as number[],
  }
}

/** A move the LP does not decide: removal of stake from a pair that policy forbids. */
export interface ForcedMove {
  service: ServiceId
  operator: Address
  from: bigint
  to: bigint
  reason: string
  /** Set when a curator's explicit order forces the removal (a deny list, a slash response): the drain guard (drain.ts) exempts these. */
  cause?: 'denyList' | 'insecureService' | 'slashResponse'
}

/** Column kind: u_j, increase of pair j. */
export const COL_U = 0
/** Column kind: v_j, decrease of pair j. */
export const COL_V = 1
/** Column kind: τ_s, shift of the service total used by diversification. */
export const COL_T = 2

/** The LP of one position. */
export interface LpBlock {
  position: string
  activeStake: bigint
  /** Number(activeStake): multiply normalised figures by it to get wei. */
  scale: number
  minOperators: number
  pairs: LpPairs
  /** Services with at least one pair (order of the τ columns). */
  services: ServiceId[]
  /** Operators with at least one pair, ascending (`LpPairs.op` indexes them). */
  operators: Address[]
  groups: { group: string; cap: number }[]
  // Columns (structural variables), lower/upper bounds and costs.
  nCols: number
  colKind: Uint8Array
  /** Pair index (u, v) or service index (τ). */
  colRef: Int32Array
  colLower: Float64Array
  colUpper: Float64Array
  colCost: Float64Array
  // Matrix, row-wise (CSR); column-wise (CSC) on demand: see blockColumns (the solver builds it in its workspace, so
  // the LP does not keep a second copy of its matrix, a third of its memory at bench size).
  /**
   * The named rows (service, operator, group, leverage, risk, maxLoss, turnover, diversificationTotal): rows
   * 0 .. rows.length − 1. Row rows.length + j (up to nRows − 1) is the diversification row D_j of pair j, held in
   * `rowRhs` only: one object per pair was most of the planner's garbage at scale (issue 16 §3).
   */
  rows: LpRow[]
  /** Number of rows: the named rows, then one diversification row per pair when minOperatorsPerService > 1. */
  nRows: number
  /** Right-hand side of every row (nRows); equals `rows[r].rhs` for a named row. */
  rowRhs: Float64Array
  rowStart: Int32Array
  rowCol: Int32Array
  rowVal: Float64Array
  /** Σ_j c_j x0_j: objective of the starting point (u = v = τ = 0). */
  objectiveConstant: number
  forced: ForcedMove[]
  /** Index of the turnover row. */
  turnoverRow: number
  /** Security rules that applied to this position's pairs (absent = none). */
  securityHolds?: SecurityHold[]
  /** Set by plan.ts meetVar99 when the risk budget was tightened to meet var99Fraction (`met` false: it could not be). */
  riskBudgetTightened?: { from: number; to: number; met: boolean }
}

/** A security rule (docs/risk.md) that shaped a block: an insecure service exited or an operator held back. */
export interface SecurityHold {
  constraint: 'securityRatio' | 'minSecuritySlack'
  /** Service id (securityRatio) or operator address (minSecuritySlack). */
  subject: string
  /** 1 for ρ_s, minSecuritySlack for γ_v. */
  limit: number
  /** ρ_s or γ_v. */
  value: number
  message: string
}

/** A position the LP leaves as it is (nothing settable, or no stake). */
export interface FixedPosition {
  position: string
  reason: string
  /** Removals forced on a fixed position (e.g. no active stake left). */
  forced: ForcedMove[]
}

/** The whole model: independent blocks. */
export interface LpModel {
  blocks: LpBlock[]
  fixed: FixedPosition[]
  /** Managed positions named by the policy but absent from the universe. */
  missing: string[]
}

/** A request to de-risk (slash response), applied as a forced move. */
export interface DeriskRequest {
  operator: Address
  /** Only this service (omit = every service of the operator). */
  service?: ServiceId
  response: 'zero-out' | 'halve'
  /** Shown in reasons, e.g. "slashed by oracle-net/0 at block 123". */
  reason?: string
}

/** Options of {@link buildLp}. */
export interface BuildLpOptions {
  derisk?: DeriskRequest[]
}

/** Solution of one block, in the block's column space. */
export interface BlockSolution {
  position: string
  status: 'optimal' | 'infeasible'
  /** Column values (u, v, τ). */
  x: Float64Array
  /** Row duals (shadow prices, ≥ 0 for binding ≤ rows of a max problem); zeros when unknown. */
  duals: Float64Array
  /** Objective in normalised units, including `objectiveConstant`. */
  objective: number
  /** Rows that take part in the infeasibility (phase-1 certificate), when infeasible. */
  conflictRows?: number[]
  iterations?: number
}

/** Solution of a model. */
export interface LpSolution {
  solver: 'fast' | 'highs'
  /** Σ over blocks of objective × scale: collateral wei per year (float). */
  objective: number
  blocks: BlockSolution[]
}

/**
 * Stake the planner may allocate: `activeStake − inFlightStake` (never negative). In-flight stake (EigenLayer
 * withdrawals waiting out the delay) earns nothing and is not allocatable; every cap is a fraction of this.
 * @example allocatableStake({ activeStake: 685n, inFlightStake: 400n }) // 285n
 */
export function allocatableStake(p: Pick<Position, 'activeStake' | 'inFlightStake'>): bigint {
  const a = p.activeStake - (p.inFlightStake ?? 0n)
  return a > 0n ? a : 0n
}

/** Can the bot set the position's allocation? (The protocol's reader decides: `Position.steerable`.) */
export function isSteerable(p: Position): boolean {
  return p.steerable
}

/** Turnover margin of a block in wei: covers rounding of every pair (see plan.ts). */
export function turnoverMarginWei(nPairs: number, minOperators: number): bigint {
  return BigInt(4 * (nPairs + 1) * (minOperators + 2))
}

/** Relative feasibility margin applied to the turnover row (solver tolerance). */
export const LP_FEASIBILITY_MARGIN = 1e-9

/**
 * Row r of a block as an object: the named row itself, or a diversification row made on demand
 * (`{ kind: 'diversification', subject: '', rhs, limit: 0, limitWei: 0n, pair }`).
 */
export function rowAt(block: LpBlock, r: number): LpRow {
  const named = block.rows[r]
  if (named !== undefined) return named
  return { kind: 'diversification', subject: '', rhs: block.rowRhs[r] as number, limit: 0, limitWei: 0n, pair: r - block.rows.length }
}

/** The block with named row r replaced by `row` (its right-hand side in `rowRhs` too); the original is not modified. */
export function withRow(block: LpBlock, r: number, row: LpRow): LpBlock {
  const rows = block.rows.map((x, i) => (i === r ? row : x))
  const rowRhs = block.rowRhs.slice()
  rowRhs[r] = row.rhs
  return { ...block, rows, rowRhs }
}

/** A block's matrix column-wise (CSC): entries of each column in ascending row order. */
export interface BlockColumns {
  colStart: Int32Array
  colRow: Int32Array
  colVal: Float64Array
}

/**
 * The block's matrix column-wise, transposed from its rows (CSR), into the given arrays: `colStart` zeroed with
 * nCols + 1 entries, `colRow` / `colVal` with one entry per nonzero, `fill` any nCols + 1 entries (scratch).
 */
export function transposeRows(block: LpBlock, out: BlockColumns, fill: Int32Array): BlockColumns {
  const { rowStart, rowCol, rowVal, nCols } = block
  const { colStart, colRow, colVal } = out
  const nnz = rowStart[block.nRows] as number
  for (let k = 0; k < nnz; k++) colStart[(rowCol[k] as number) + 1]!++
  for (let c = 0; c < nCols; c++) colStart[c + 1]! += colStart[c] as number
  fill.set(colStart.subarray(0, nCols + 1))
  for (let r = 0; r < block.nRows; r++)
    for (let k = rowStart[r] as number; k < (rowStart[r + 1] as number); k++) {
      const q = fill[rowCol[k] as number]!++
      colRow[q] = r
      colVal[q] = rowVal[k] as number
    }
  return out
}

/** The block's matrix column-wise (CSC), in new arrays. */
export function blockColumns(block: LpBlock): BlockColumns {
  const nnz = block.rowStart[block.nRows] as number
  const out = { colStart: new Int32Array(block.nCols + 1), colRow: new Int32Array(nnz), colVal: new Float64Array(nnz) }
  return transposeRows(block, out, new Int32Array(block.nCols + 1))
}

/** Values x_j (normalised) of every pair of a block from a column solution. */
export function pairValues(block: LpBlock, x: Float64Array): Float64Array {
  const { length: n, x0, uCol, vCol } = block.pairs
  const out = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    const u = uCol[j] as number
    const v = vCol[j] as number
    out[j] = (x0[j] as number) + (u >= 0 ? (x[u] as number) : 0) - (v >= 0 ? (x[v] as number) : 0)
  }
  return out
}

/** Row activities (Σ a·col, shifted space) of a block for a column solution. */
export function rowActivities(block: LpBlock, x: Float64Array): Float64Array {
  const out = new Float64Array(block.nRows)
  for (let r = 0; r < block.nRows; r++) {
    let s = 0
    for (let k = block.rowStart[r] as number; k < (block.rowStart[r + 1] as number); k++) s += (block.rowVal[k] as number) * (x[block.rowCol[k] as number] as number)
    out[r] = s
  }
  return out
}

/** Objective (normalised, with constant) of a block for a column solution. */
export function blockObjective(block: LpBlock, x: Float64Array): number {
  let s = block.objectiveConstant
  for (let c = 0; c < block.nCols; c++) s += (block.colCost[c] as number) * (x[c] as number)
  return s
}

/**
 * The auxiliary LP "least turnover that satisfies every other constraint": same rows and bounds,
 * objective −Σ(u + v), no turnover limit. Always feasible (x = 0 satisfies every other row).
 * Its optimum, negated, is the minimum turnover τ_min (normalised).
 */
export function minTurnoverBlock(block: LpBlock): LpBlock {
  const colCost = new Float64Array(block.nCols)
  for (let c = 0; c < block.nCols; c++) colCost[c] = block.colKind[c] === COL_T ? 0 : -1
  return { ...withRow(block, block.turnoverRow, { ...(block.rows[block.turnoverRow] as LpRow), rhs: 1e12 }), colCost, objectiveConstant: 0 }
}

/**
 * The same block with its turnover limit raised to at least `minTurnover` (normalised) plus the
 * rounding margin, so that forced removals can be completed in this run.
 * @returns the new block (the original is not modified)
 */
export function withTurnoverAtLeast(block: LpBlock, minTurnover: number): LpBlock {
  const row = block.rows[block.turnoverRow] as LpRow
  const A = block.activeStake
  const marginWei = turnoverMarginWei(block.pairs.length, block.minOperators)
  const needWei = BigInt(Math.ceil(Math.max(0, minTurnover) * block.scale * (1 + 4e-9))) + mulFloor(A, 4 * LP_FEASIBILITY_MARGIN) + 2n * marginWei
  const limitWei = needWei > row.limitWei ? needWei : row.limitWei
  const limit = Number(limitWei) / block.scale
  const rhs = Math.max(0, limit - LP_FEASIBILITY_MARGIN - Number(marginWei) / block.scale)
  return withRow(block, block.turnoverRow, { ...row, limit, limitWei, rhs })
}

/** Does the block remove stake the policy forbids (deny lists, eligibility, slash response)? */
export function hasForcedRemovals(block: LpBlock): boolean {
  return block.forced.some((f) => f.to < f.from)
}
