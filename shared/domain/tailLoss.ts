/**
 * Tail loss of a position (docs/risk.md §2): MaxLoss, and one-year slashing value-at-risk and expected shortfall at
 * 95 % and 99 %.
 *
 * Model: one slash event per (operator, service) pair per year with probability p_j, costing
 * L_j = min(1, sev_j · h_j) · x_j. Pairs linked through a `caps.perRiskGroup` group are fully correlated (comonotone:
 * one uniform U per group, pair j slashes iff U < p_j; groups that share a pair are merged); the rest independent.
 * The total loss is capped at the active stake.
 *
 * Method: exact dynamic programming over discretised losses, run twice — every component's loss rounded down and
 * rounded up to a grid of step δ = ⌈ΣL / GRID⌉ wei. Pointwise L↓ ≤ L ≤ L↑ and VaR, ES are monotone, so the true
 * figures lie between the two runs: we report the upper one (conservative) and the width as the stated bound.
 */
import type { Policy } from './policy.js'
import type { Scratch } from './lpArena.js'

/** Grid cells over Σ L (per DP run). */
export const TAIL_GRID = 2048

/** One pair's exposure. */
export interface Exposure {
  /** Slash probability per year. */
  probability: number
  /** Loss if it slashes, wei: min(1, sev·h) · stake. */
  loss: bigint
  /** Risk groups the pair belongs to (fully correlated within a group). */
  groups: readonly string[]
}

/** Parameters of {@link tailLoss}. */
export interface TailLossParameters {
  exposures: readonly Exposure[]
  /** Active stake: no year loses more. */
  cap: bigint
  /** Grid cells (default TAIL_GRID). */
  grid?: number
  /** Buffers for the DP, reused from one call to the next (a plan passes one for all its positions); fresh ones if absent. */
  work?: Scratch<Float64Array>
}

/** The conservative tail figures of one position, wei (VaR exact bigint on the grid, ES as float wei). */
export interface TailLossUpperReturnType {
  /** min(cap, Σ L_j): every service slashing at once. */
  maxLoss: bigint
  /** VaR↑ at 95 % / 99 % (upper DP run: never below the true VaR). */
  var95: bigint
  var99: bigint
  /** Expected shortfall↑ at 95 % / 99 %. */
  es95: number
  es99: number
  /** Independent components (groups and ungrouped pairs) with a loss. */
  components: number
  /** Grid step δ, wei. */
  step: bigint
}

/** Tail figures of one position with their stated bounds. */
export interface TailLossReturnType extends TailLossUpperReturnType {
  /** Stated bound: VaR↑ − VaR↓ (the true VaR lies in between), wei. */
  var95Bound: bigint
  var99Bound: bigint
  /** ES↑ − ES↓, wei. */
  es95Bound: number
  es99Bound: number
}

/** Loss factor of a pair per slash: min(1, sev·h). */
export function lossFactor(severity: number, contractFactor: number): number {
  const f = severity * contractFactor
  return f > 1 ? 1 : f > 0 ? f : 0
}

/**
 * Risk groups of a (service, operator) pair under a policy: groups whose members list its operator or service, plus
 * metadata `riskGroup` memberships (the same rule the LP's group rows use).
 * @returns a function from (service, operator) to group names (sorted)
 */
export function riskGroupsOf(policy: Pick<Policy, 'caps' | 'scoring'>): (service: string, operator: string) => string[] {
  const byMember = new Map<string, Set<string>>()
  const add = (member: string, group: string) => (byMember.get(member) ?? byMember.set(member, new Set()).get(member)!).add(group)
  const known = new Set(policy.caps.perRiskGroup.map((g) => g.group))
  for (const g of policy.caps.perRiskGroup) for (const m of g.members) add(m.toLowerCase(), g.group)
  for (const md of policy.scoring.serviceMetadata) if (md.riskGroup !== undefined && known.has(md.riskGroup)) add(md.service, md.riskGroup)
  for (const md of policy.scoring.operatorMetadata) if (md.riskGroup !== undefined && known.has(md.riskGroup)) add(md.operator, md.riskGroup)
  if (byMember.size === 0) return () => []
  return (service, operator) => {
    const a = byMember.get(service.toLowerCase())
    const b = byMember.get(operator.toLowerCase())
    if (a === undefined && b === undefined) return []
    return [...new Set([...(a ?? []), ...(b ?? [])])].sort()
  }
}

interface Component {
  /** Outcome probabilities (k = 0 … n members slashing, highest p first). */
  prob: number[]
  /** Cumulative loss of outcome k, wei. */
  loss: bigint[]
}

/** Independent components: union of pairs sharing a group, comonotone within. */
function components(exposures: readonly Exposure[]): Component[] {
  if (exposures.every((e) => e.groups.length === 0)) {
    // No risk groups (the common case): every pair is its own component, in pair order — what the general path below
    // gives for singletons, without its union-find and maps.
    const out: Component[] = []
    for (const e of exposures) {
      if (e.loss <= 0n || !(e.probability > 0)) continue
      const p = Math.min(1, e.probability)
      out.push({ prob: [1 - p, p], loss: [0n, e.loss] })
    }
    return out
  }
  const parent = exposures.map((_, i) => i)
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number
    return i
  }
  const firstOf = new Map<string, number>()
  exposures.forEach((e, i) => {
    for (const g of e.groups) {
      const f = firstOf.get(g)
      if (f === undefined) firstOf.set(g, i)
      else parent[find(i)] = find(f)
    }
  })
  const members = new Map<number, number[]>()
  exposures.forEach((e, i) => {
    if (e.loss <= 0n || !(e.probability > 0)) return
    const r = find(i)
    ;(members.get(r) ?? members.set(r, []).get(r)!).push(i)
  })
  const out: Component[] = []
  for (const r of [...members.keys()].sort((a, b) => a - b)) {
    const list = (members.get(r) as number[]).map((i) => exposures[i] as Exposure).sort((a, b) => b.probability - a.probability)
    const prob: number[] = [1 - Math.min(1, (list[0] as Exposure).probability)]
    const loss: bigint[] = [0n]
    let acc = 0n
    list.forEach((e, k) => {
      acc += e.loss
      const next = k + 1 < list.length ? Math.min(1, (list[k + 1] as Exposure).probability) : 0
      prob.push(Math.min(1, e.probability) - next)
      loss.push(acc)
    })
    out.push({ prob, loss })
  }
  return out
}

/** Distribution of the total loss in grid units, each component's loss rounded down (up = false) or up. */
function convolve(comps: Component[], step: bigint, up: boolean, work: Scratch<Float64Array> | undefined): Float64Array {
  const idx = (l: bigint) => Number(up ? (l + step - 1n) / step : l / step)
  let size = 1
  for (const c of comps) size += idx(c.loss[c.loss.length - 1] as bigint)
  // Work slots 0, 1 for the upper run and 2, 3 for the lower one (both distributions are read after both runs).
  const buffer = (slot: number) => (work ? zeroed(work.get(slot + (up ? 0 : 2), size), size) : new Float64Array(size))
  let cur = buffer(0)
  let nxt = buffer(1)
  cur[0] = 1
  let top = 0
  for (const c of comps) {
    const shifts = c.loss.map(idx)
    const last = shifts[shifts.length - 1] as number
    if (shifts.length === 2 && shifts[0] === 0) {
      // One pair (the common case): cell i gets cur[i]·p0 then cur[i − sh]·p1 added, in the order of the general loop
      // below (which adds nothing for zero cells and outcomes), so the figures are bit for bit the same.
      // Outcome probabilities are ≥ 0 and finite, so a skipped term and a term ×0 add the same +0.
      const p0 = c.prob[0] as number
      const p1 = c.prob[1] as number
      const end = top + last
      const a = Math.min(top, last - 1) // cells [0, a]: the first outcome only
      const b = Math.max(top + 1, last) // cells [b, end]: the second only; [a + 1, b − 1]: both (or none)
      for (let i = 0; i <= a; i++) nxt[i] = (cur[i] as number) * p0
      // Cells [a + 1, b − 1] are [last, top] (both outcomes) when last ≤ top, else (top, last) (neither).
      if (last <= top) for (let i = a + 1; i < b; i++) nxt[i] = (cur[i] as number) * p0 + (cur[i - last] as number) * p1
      else nxt.fill(0, a + 1, b)
      for (let i = b; i <= end; i++) nxt[i] = 0 + (cur[i - last] as number) * p1
      top += last
      ;[cur, nxt] = [nxt, cur]
      continue
    }
    nxt.fill(0, 0, top + last + 1)
    for (let k = 0; k < shifts.length; k++) {
      const pk = c.prob[k] as number
      if (pk <= 0) continue
      const sh = shifts[k] as number
      for (let i = 0; i <= top; i++) {
        const v = cur[i] as number
        if (v !== 0) nxt[i + sh] = (nxt[i + sh] as number) + v * pk
      }
    }
    top += last
    ;[cur, nxt] = [nxt, cur]
  }
  return cur.subarray(0, top + 1)
}

/** The first n entries of a work buffer, zeroed (as a fresh array would be). */
function zeroed(b: Float64Array, n: number): Float64Array {
  return b.subarray(0, n).fill(0)
}

/** Float tolerance of the cumulative probability against the level. */
const CDF_TOL = 1e-12

/** VaR (value of the first cell with cdf ≥ q) and ES of a grid distribution whose cell i is worth min(i·step, cap). */
function varEs(dist: Float64Array, q: number, step: number, cap: number): { i: number; es: number } {
  let cdf = 0
  let i = 0
  for (; i < dist.length; i++) {
    cdf += dist[i] as number
    if (cdf >= q - CDF_TOL) break
  }
  if (i >= dist.length) i = dist.length - 1
  let tail = 0
  for (let k = i + 1; k < dist.length; k++) tail += (dist[k] as number) * Math.min(k * step, cap)
  const es = (tail + Math.min(i * step, cap) * Math.max(0, Math.min(1, cdf) - q)) / (1 - q)
  return { i, es }
}

/**
 * MaxLoss, VaR and ES (95 %, 99 %, one year) of a position's exposures.
 * @param params exposures (p, loss, groups), the active-stake cap and the grid size
 * @returns the figures (VaR↑, ES↑) with their stated bounds
 */
export function tailLoss(params: TailLossParameters): TailLossReturnType {
  return run(params, true) as TailLossReturnType
}

/**
 * The figures of {@link tailLoss} without their stated bounds: the upper DP run alone (half the work), for figures
 * that are held against a limit or shown without a bound (a VaR cap, the current allocation's tail).
 */
export function tailLossUpper(params: TailLossParameters): TailLossUpperReturnType {
  return run(params, false)
}

function run(params: TailLossParameters, bounds: boolean): TailLossUpperReturnType | TailLossReturnType {
  const cap = params.cap > 0n ? params.cap : 0n
  const comps = components(params.exposures)
  const total = comps.reduce((a, c) => a + (c.loss[c.loss.length - 1] as bigint), 0n)
  const maxLoss = total < cap ? total : cap
  const grid = BigInt(Math.max(1, Math.floor(params.grid ?? TAIL_GRID)))
  const step = total > 0n ? (total + grid - 1n) / grid : 1n
  const upper: TailLossUpperReturnType = { maxLoss, var95: 0n, var99: 0n, es95: 0, es99: 0, components: comps.length, step }
  const result: TailLossUpperReturnType | TailLossReturnType = bounds ? { ...upper, var95Bound: 0n, var99Bound: 0n, es95Bound: 0, es99Bound: 0 } : upper
  if (total === 0n) return result
  const capped = (i: number) => {
    const v = BigInt(i) * step
    return v < cap ? v : cap
  }
  const hi = convolve(comps, step, true, params.work)
  const lo = bounds ? convolve(comps, step, false, params.work) : undefined
  // ES is a float figure: cell values as floats (exact bigint only for the VaR cell).
  const stepF = Number(step)
  const capF = Number(cap)
  for (const [q, key] of [
    [0.95, '95'],
    [0.99, '99'],
  ] as const) {
    const u = varEs(hi, q, stepF, capF)
    result[`var${key}`] = capped(u.i)
    result[`es${key}`] = u.es
    if (lo !== undefined) {
      const d = varEs(lo, q, stepF, capF)
      const r = result as TailLossReturnType
      r[`var${key}Bound`] = capped(u.i) - capped(d.i)
      r[`es${key}Bound`] = Math.max(0, u.es - d.es)
    }
  }
  return result
}
