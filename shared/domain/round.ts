/**
 * Rounding a block's float LP solution to exact bigint targets (steps 1–4 of plan.ts's module comment): snap, floor,
 * largest remainder per service, repair every row exactly in bigint, top services up to their limits, verify.
 */
import type { Policy } from './policy.js'
import { type BlockSolution, COL_T, type LpBlock, type LpPairs, type LpRow, pairOperator, pairService, pairValues } from './lpModel.js'
import { floatToRational } from './exact.js'
import { SolverError } from './errors.js'
import { cmp } from './format.js'

/** LP values within this (normalised) distance of the current stake, or of 0, are solver noise (tolerance 1e-10). */
const SNAP = 2e-10

const roundCache = new WeakMap<BlockSolution, { block: LpBlock; policy: Policy; t: bigint[] }>()

/** Exact bigint targets (per pair of the block, same order) from the LP solution; memoised per (solution, block, policy): meetVar99 and planFromSolution round the same solution. */
export function roundBlock(block: LpBlock, sol: BlockSolution, policy: Policy): bigint[] {
  const hit = roundCache.get(sol)
  if (hit !== undefined && hit.block === block && hit.policy === policy) return hit.t
  const t = roundBlockUncached(block, sol)
  roundCache.set(sol, { block, policy, t })
  return t
}

function roundBlockUncached(block: LpBlock, sol: BlockSolution): bigint[] {
  const A = block.activeStake
  const xs = pairValues(block, sol.x)
  const { length: n, x0, x0Wei, op } = block.pairs
  const t: bigint[] = new Array(n)
  // 1–2: snap, floor, largest remainder per service.
  interface Rem {
    j: number
    num: bigint // remainder numerator over den
    den: bigint
  }
  // By service index: the block's services are ascending, so index order is service id order.
  const rems = new Map<number, Rem[]>()
  for (let j = 0; j < n; j++) {
    const x = Math.max(0, xs[j] as number)
    if (Math.abs(x - (x0[j] as number)) <= SNAP) {
      t[j] = x0Wei[j] as bigint
      continue
    }
    if (x <= SNAP) {
      t[j] = 0n
      continue
    }
    const [num, den] = floatToRational(x)
    const v = num * A
    t[j] = v / den
    const rem = v % den
    const s = block.pairs.svc[j] as number
    if (rem > 0n) (rems.get(s) ?? rems.set(s, []).get(s)!).push({ j, num: rem, den })
  }
  for (const s of [...rems.keys()].sort((a, b) => a - b)) {
    const list = rems.get(s) as Rem[]
    const D = list.reduce((a, r) => (r.den > a ? r.den : a), 1n)
    let units = list.reduce((a, r) => a + r.num * (D / r.den), 0n) / D
    if (units === 0n) continue
    list.sort((a, b) => {
      const byRem = b.num * a.den - a.num * b.den
      if (byRem !== 0n) return byRem > 0n ? 1 : -1
      const ta = Number((t[a.j] as bigint) < (x0Wei[a.j] as bigint))
      const tb = Number((t[b.j] as bigint) < (x0Wei[b.j] as bigint))
      // The block's operators are ascending: index order is address order.
      return tb - ta || (op[a.j] as number) - (op[b.j] as number)
    })
    for (const r of list) {
      if (units === 0n) break
      t[r.j] = (t[r.j] as bigint) + 1n
      units--
    }
  }
  // 3: repair, on the pairs that hold or get stake only (see supportOf).
  const sup = supportOf(block, t)
  repair(block, t, sup)
  // 3b: a service the LP fills to its limit ends a few hundred wei short of it (float error of x·A): top it up
  // to the exact limit when that breaks nothing, so the chain gets `4000` rather than `3999.999…`.
  topUpToLimits(block, t, sup)
  // 4: verify.
  const v = supportViolations(block, t, sup)
  if (v.length > 0) throw new SolverError({ solver: 'fast', reason: `rounding could not satisfy the policy exactly in position ${block.position}`, details: v.join('\n') })
  return t
}

/** Relative distance (of active stake) under which a service's total counts as "at its limit" after rounding. */
const TOP_UP = 1e-9

/** Raises services that ended within TOP_UP of their limit to the exact limit, spread evenly over their pairs, if no constraint breaks. */
function topUpToLimits(block: LpBlock, t: bigint[], sup: Support): void {
  const tolerance = BigInt(Math.ceil(Number(block.activeStake) * TOP_UP))
  for (const row of sup.rows) {
    if (row.kind !== 'service') continue
    const held = row.pairs.filter((j) => (t[j] as bigint) > 0n)
    if (held.length === 0) continue
    const sum = held.reduce((a, j) => a + (t[j] as bigint), 0n)
    const deficit = row.limitWei - sum
    if (deficit <= 0n || deficit > tolerance) continue
    const k = BigInt(held.length)
    // The whole deficit first; then the part that splits evenly (keeps equal pairs equal under diversification).
    for (const amount of [...new Set([deficit, deficit - (deficit % k)])]) {
      if (amount <= 0n) continue
      const before = held.map((j) => t[j] as bigint)
      const order = [...held].sort((a, b) => cmp(pairOperator(block, a), pairOperator(block, b)))
      order.forEach((j, i) => {
        t[j] = (t[j] as bigint) + amount / k + (BigInt(i) < amount % k ? 1n : 0n)
      })
      if (supportViolations(block, t, sup).length === 0) break
      held.forEach((j, i) => {
        t[j] = before[i] as bigint
      })
    }
  }
}

/** Σ t_j over the listed pairs, skipping zeros (most pairs of a block hold nothing: no bigint is made for them). */
function sumOf(t: readonly bigint[], js: readonly number[]): bigint {
  let acc = 0n
  for (const j of js) {
    const v = t[j] as bigint
    if (v !== 0n) acc += v
  }
  return acc
}

interface BigRow {
  kind: LpRow['kind']
  subject: string
  limitWei: bigint
  /** Pair indices (coefficient 1), or for risk: with rational coefficients. */
  pairs: number[]
}

/**
 * The pairs of a block that hold or get stake (t ≠ 0 or x0 ≠ 0, ascending), with the ≤ rows over pairs with
 * coefficient 1 (service, operator, group, leverage; pairs read from the CSR) and each service's pairs restricted to
 * them. At scale a block has a thousand pairs and a few dozen in its support. Every other pair is at 0 before the
 * repair and stays there: every step only lowers a pair that holds stake (by at most what it holds, or its increase),
 * moves it back toward x0, or tops up a pair that holds stake; so t ≥ 0 throughout, a pair outside the support adds
 * nothing to any sum and breaks no row, and the repair and the checks read the support alone.
 */
interface Support {
  /** Pair indices, ascending. */
  pairs: number[]
  rows: BigRow[]
  /** Pairs of the support per service of the block (services in order of first pair), ascending. */
  services: number[][]
}

/** The support of targets `t` (see {@link Support}). */
function supportOf(block: LpBlock, t: readonly bigint[]): Support {
  const { x0Wei, svc } = block.pairs
  const n = block.pairs.length
  const pairs: number[] = []
  // 1 for a pair of the support.
  const inSup = new Uint8Array(n)
  const svcList = new Int32Array(block.services.length).fill(-1)
  const services: number[][] = []
  for (let j = 0; j < n; j++) {
    if ((t[j] as bigint) === 0n && (x0Wei[j] as bigint) === 0n) continue
    pairs.push(j)
    inSup[j] = 1
    const s = svc[j] as number
    let i = svcList[s] as number
    if (i < 0) {
      i = services.length
      svcList[s] = i
      services.push([])
    }
    ;(services[i] as number[]).push(j)
  }
  const rows: BigRow[] = []
  // Pairs of the support in a row (once or twice: their u and v columns) are marked with the row's number, then read
  // off the support in its (ascending) order: no sort, no duplicate.
  const mark = new Int32Array(n).fill(-1)
  block.rows.forEach((r, i) => {
    if (r.kind !== 'service' && r.kind !== 'operator' && r.kind !== 'group' && r.kind !== 'leverage') return
    let any = false
    for (let k = block.rowStart[i] as number; k < (block.rowStart[i + 1] as number); k++) {
      const c = block.rowCol[k] as number
      if (block.colKind[c] === COL_T) continue
      const j = block.colRef[c] as number
      if (inSup[j] === 1) {
        mark[j] = i
        any = true
      }
    }
    const list: number[] = []
    if (any) for (const j of pairs) if (mark[j] === i) list.push(j)
    rows.push({ kind: r.kind, subject: r.subject, limitWei: r.limitWei, pairs: list })
  })
  return { pairs, rows, services }
}

/** Tolerance of the risk-budget check, as a fraction of stake per year (1e-9 = 0.0000001 %/yr). */
export const RISK_TOLERANCE = 1e-9

/** Rows with float coefficients held in exact rationals: the risk budget (to RISK_TOLERANCE) and MaxLoss (exactly). */
type WeightedKind = 'risk' | 'maxLoss'
const WEIGHTED: readonly WeightedKind[] = ['risk', 'maxLoss']
const weightsOf = (kind: WeightedKind, p: LpPairs) => (kind === 'risk' ? p.loss : p.lossFactor)

const riskCache = new WeakMap<LpBlock, Map<WeightedKind, { fraction: number; limit: [bigint, bigint]; weights: Map<number, [bigint, bigint]> } | null>>()

/** riskExcess's answer for a row that holds (its num and D are read only when it does not). */
const WITHIN = { excess: false, num: 0n, D: 1n } as const

/**
 * Is Σ w_j·t_j below `limit` (fraction × active stake) by more than 1e-6 of it, in floats? Each term and the sum carry
 * a relative error of at most ~n·2⁻⁵³ (1e-10 for a million pairs, no negative term), far below that margin, so then
 * the exact bigint sum is within the limit too; a sum near the limit (or any negative term) answers false.
 */
function wellWithin(weight: Float64Array, t: readonly bigint[], js: readonly number[], limit: number): boolean {
  let est = 0
  for (const j of js) {
    const tj = t[j] as bigint
    if (tj === 0n) continue
    const w = weight[j] as number
    if (tj < 0n || !(w >= 0)) return false
    est += w * Number(tj)
  }
  return est < limit * (1 - 1e-6)
}
const TOLERANCE_RATIONAL = /* @__PURE__ */ floatToRational(RISK_TOLERANCE)

/**
 * Σ coef·t against the row's policy fraction of active stake, exactly in bigint (coefficients read as exact binary
 * fractions, over the pairs holding stake only: the common denominator D is the largest of theirs and the limit's).
 */
function riskExcess(block: LpBlock, t: bigint[], js: readonly number[], kind: WeightedKind): { excess: boolean; num: bigint; D: bigint } {
  const byKind = riskCache.get(block) ?? riskCache.set(block, new Map()).get(block)!
  let c = byKind.get(kind)
  if (c === undefined) {
    const row = block.rows.find((r) => r.kind === kind)
    c = row === undefined ? null : { fraction: row.fraction ?? row.limit, limit: floatToRational(row.fraction ?? row.limit), weights: new Map() }
    byKind.set(kind, c)
  }
  if (c === null) return WITHIN
  const weight = weightsOf(kind, block.pairs)
  if (wellWithin(weight, t, js, c.fraction * Number(block.activeStake))) return WITHIN
  const [bn, bd] = c.limit
  let D = bd
  const used: number[] = []
  for (const j of js) {
    if ((t[j] as bigint) === 0n) continue
    // Exact weights of the pairs read so far (those holding stake: a few of the block's).
    let w = c.weights.get(j)
    if (w === undefined) {
      w = floatToRational(weight[j] as number)
      c.weights.set(j, w)
    }
    if (w[1] > D) D = w[1]
    used.push(j)
  }
  let lhs = 0n
  for (const j of used) {
    const [n, d] = c.weights.get(j) as [bigint, bigint]
    if (n !== 0n) lhs += n * (D / d) * (t[j] as bigint)
  }
  // The risk budget is a float-weighted estimate: it holds to RISK_TOLERANCE of stake per year
  // (the LP's feasibility tolerance); every stake cap and MaxLoss hold exactly.
  const [tn, td] = TOLERANCE_RATIONAL
  const rhs = bn * (D / bd) * block.activeStake + (kind === 'risk' ? (tn * D * block.activeStake) / td : 0n)
  return { excess: lhs > rhs, num: lhs - rhs, D }
}

function repair(block: LpBlock, t: bigint[], sup: Support): void {
  const { rows, pairs: js } = sup
  const pairs = block.pairs
  const x0Wei = pairs.x0Wei
  const m = BigInt(block.minOperators)
  const inc = (j: number) => (t[j] as bigint) - (x0Wei[j] as bigint)
  /** Is pair j above its current stake? (inc(j) > 0n without making a bigint.) */
  const up = (j: number) => (t[j] as bigint) > (x0Wei[j] as bigint)
  const trim = (list: number[], excess: bigint): bigint => {
    // Increases first (largest first), then other stake (largest first); deterministic order. Keys are made once per
    // pair (not per comparison).
    const key = new Map<number, bigint>()
    for (const j of list) key.set(j, up(j) ? inc(j) : (t[j] as bigint))
    const order = [...list].sort((a, b) => {
      const pa = up(a) ? 1 : 0
      const pb = up(b) ? 1 : 0
      if (pa !== pb) return pb - pa
      const ka = key.get(a) as bigint
      const kb = key.get(b) as bigint
      return ka === kb ? a - b : kb > ka ? 1 : -1
    })
    for (const j of order) {
      if (excess <= 0n) break
      const room = up(j) ? inc(j) : (t[j] as bigint)
      const d = room < excess ? room : excess
      t[j] = (t[j] as bigint) - d
      excess -= d
    }
    return excess
  }
  for (let pass = 0; pass < 8; pass++) {
    let changed = false
    for (const r of rows) {
      const act = sumOf(t, r.pairs)
      if (act > r.limitWei) {
        trim(r.pairs, act - r.limitWei)
        changed = true
      }
    }
    // Risk budget and MaxLoss: trim the lossiest increases until they hold.
    for (const kind of WEIGHTED) {
      const weight = weightsOf(kind, pairs)
      for (let guard = 0; guard < pairs.length + 2; guard++) {
        const r = riskExcess(block, t, js, kind)
        if (!r.excess) break
        changed = true
        let best = -1
        for (const j of js) {
          if ((t[j] as bigint) === 0n || (weight[j] as number) <= 0) continue
          if (best < 0) best = j
          const bj = best
          const better = (up(j) ? 1 : 0) - (up(bj) ? 1 : 0) || (weight[j] as number) - (weight[bj] as number)
          if (better > 0) best = j
        }
        if (best < 0) break
        const [ln, ld] = floatToRational(weight[best] as number)
        // Units of stake needed: ceil(excess / ℓ) = ceil(num/D / (ln/ld)).
        const need = (r.num * ld + r.D * ln - 1n) / (r.D * ln)
        const room = up(best) ? inc(best) : (t[best] as bigint)
        t[best] = (t[best] as bigint) - (need < room ? need : room)
      }
    }
    // Diversification: m·t_j ≤ Σ_s.
    if (m > 1n) for (const list of sup.services) if (capAtShare(t, list, m)) changed = true
    // Turnover: move pairs back toward their current stake (increases first, largest first).
    const tr = block.rows[block.turnoverRow]
    if (tr !== undefined) {
      // |t − x0| of every pair of the support (0 elsewhere), made once (the sort below compares them many times).
      let turnover = 0n
      const move = new Map<number, bigint>()
      for (const j of js) {
        if (t[j] === x0Wei[j]) continue
        const d = inc(j)
        const mag = d < 0n ? -d : d
        move.set(j, mag)
        turnover += mag
      }
      let excess = turnover - tr.limitWei
      if (excess > 0n) {
        changed = true
        const order = [...js].sort((a, b) => {
          if (up(a) !== up(b)) return up(a) ? -1 : 1
          const aa = move.get(a) ?? 0n
          const ab = move.get(b) ?? 0n
          return aa === ab ? a - b : ab > aa ? 1 : -1
        })
        for (const j of order) {
          if (excess <= 0n) break
          const d = inc(j)
          if (d === 0n) continue
          const mag = d < 0n ? -d : d
          const step = mag < excess ? mag : excess
          t[j] = (t[j] as bigint) + (d > 0n ? -step : step)
          excess -= step
        }
      }
    }
    if (!changed) return
  }
}

/** Rounds of {@link capAtShare} per service and pass. */
const SHARE_ROUNDS = 200

/**
 * Diversification of one service, m·t_j ≤ Σ_o t_o: round after round (at most SHARE_ROUNDS), every pair above
 * q = ⌊Σ/m⌋ is cut to q, until none is above it.
 * @returns whether a pair was cut
 */
export function capAtShare(t: bigint[], list: readonly number[], m: bigint): boolean {
  // After each round every cut pair equals the last cut c and the others are below it: the state is min(t_j, c). So
  // with no negative stake the rounds run on c alone, Σ min(t_j, c) read off the sorted stakes and their prefix sums
  // (a few bigints a round instead of one per pair), and t is written once — the same result as cutting pair by pair.
  let total = 0n
  let largest = 0n
  let held = 0
  for (const j of list) {
    const v = t[j] as bigint
    if (v < 0n) return capAtShareByPair(t, list, m)
    if (v === 0n) continue
    total += v
    if (v > largest) largest = v
    held++
  }
  if (held === 0) return false
  // The first round below cuts nothing when no stake is above ⌊Σ/m⌋, the common case after the LP: no list, no sort.
  if (held > 1 && !(largest > total / m)) return false
  const vals: bigint[] = []
  for (const j of list) {
    const v = t[j] as bigint
    if (v !== 0n) vals.push(v)
  }
  if (vals.length === 1) {
    // One pair holding stake v: round r cuts it to ⌊v/m^r⌋ (⌊⌊v/m⌋/m⌋ = ⌊v/m²⌋), down to 0 or for SHARE_ROUNDS rounds.
    const v = vals[0] as bigint
    const cap = m ** BigInt(SHARE_ROUNDS)
    const c = v < cap ? 0n : v / cap
    for (const j of list) if ((t[j] as bigint) > c) t[j] = c
    return true
  }
  vals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const n = vals.length
  const prefix: bigint[] = new Array(n + 1)
  prefix[0] = 0n
  for (let i = 0; i < n; i++) prefix[i + 1] = (prefix[i] as bigint) + (vals[i] as bigint)
  const max = vals[n - 1] as bigint
  let c: bigint | undefined
  for (let round = 0; round < SHARE_ROUNDS; round++) {
    let sum = prefix[n] as bigint
    if (c !== undefined) {
      // k = number of stakes below c.
      let lo = 0
      let hi = n
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if ((vals[mid] as bigint) < c) lo = mid + 1
        else hi = mid
      }
      sum = (prefix[lo] as bigint) + c * BigInt(n - lo)
    }
    const q = sum / m
    const top = c === undefined || max < c ? max : c
    if (!(top > q)) break
    c = q
  }
  if (c === undefined) return false
  for (const j of list) if ((t[j] as bigint) > c) t[j] = c
  return true
}

/** {@link capAtShare} pair by pair (any sign of stake). */
export function capAtShareByPair(t: bigint[], list: readonly number[], m: bigint): boolean {
  let changed = false
  for (let round = 0; round < SHARE_ROUNDS; round++) {
    const sum = sumOf(t, list)
    // For integers t and sum ≥ 0: m·t > sum ⇔ t > ⌊sum/m⌋ (no bigint made per pair); a negative sum keeps the product.
    const q = sum / m
    let any = false
    for (const j of list) {
      const tj = t[j] as bigint
      if (sum >= 0n ? tj > q : m * tj > sum) {
        t[j] = q
        any = true
      }
    }
    if (!any) break
    changed = true
  }
  return changed
}

/** Every exact violation of the policy by bigint targets of a block (empty = all good). */
export function violations(block: LpBlock, t: bigint[], _policy: Policy): string[] {
  return supportViolations(block, t, supportOf(block, t))
}

/** {@link violations} over the support of `t` (see {@link Support}: no pair outside it can break a row). */
function supportViolations(block: LpBlock, t: bigint[], sup: Support): string[] {
  const out: string[] = []
  for (const r of sup.rows) {
    const act = sumOf(t, r.pairs)
    if (act > r.limitWei) out.push(`${r.kind} ${r.subject}: ${act} > ${r.limitWei}`)
  }
  if (riskExcess(block, t, sup.pairs, 'risk').excess) out.push('risk budget exceeded')
  if (riskExcess(block, t, sup.pairs, 'maxLoss').excess) out.push('maxLossFraction exceeded')
  let turnover = 0n
  const { x0Wei, canIncrease } = block.pairs
  for (const j of sup.pairs) {
    const tj = t[j] as bigint
    const x0 = x0Wei[j] as bigint
    if (tj === x0) continue
    const d = tj - x0
    turnover += d < 0n ? -d : d
    if (tj < 0n) out.push(`negative target ${pairService(block, j)}|${pairOperator(block, j)}`)
    if (canIncrease[j] !== 1 && tj > x0) out.push(`pair ${pairService(block, j)}|${pairOperator(block, j)} may not increase`)
  }
  const tr = block.rows[block.turnoverRow]
  if (tr !== undefined && turnover > tr.limitWei) out.push(`turnover ${turnover} > ${tr.limitWei}`)
  if (block.minOperators > 1) {
    const m = BigInt(block.minOperators)
    for (const list of sup.services) {
      const sum = sumOf(t, list)
      for (const j of list) {
        const tj = t[j] as bigint
        if (tj === 0n ? sum < 0n : m * tj > sum) out.push(`diversification ${pairService(block, j)}|${pairOperator(block, j)}`)
      }
    }
  }
  return out
}
