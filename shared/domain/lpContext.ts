/**
 * What every block of one buildLp call (./lp.ts) shares, built once per call: services and operators as integer
 * indices, the pair figures in flat typed arrays, bans, security holds, risk groups and de-risk orders.
 */
import type { Universe } from './types.js'
import type { Policy } from './policy.js'
import type { PairScore, UniverseScores } from './score.js'
import { cmp, num } from './format.js'
import { lossFactor } from './tailLoss.js'
import { LpArena } from './lpArena.js'
import type { BuildLpOptions, SecurityHold } from './lpModel.js'

/** A de-risk order with lower-case ids. */
export interface Derisk {
  operator: string
  service: string | undefined
  response: 'zero-out' | 'halve'
  reason?: string
}

/**
 * What every block of one buildLp call shares: services and operators as integer indices (sorted id order), the pair
 * figures in flat arrays indexed by edge, bans and holds per index. Built once per call; each position's block is then
 * built by `buildBlock` from integer indices only (no string keys in the per-pair loops).
 *
 * An edge is an (operator, service) pair the operator is opted into: edges are numbered operator by operator, each
 * operator's services ascending (`opSvcStart` / `opSvcIdx`). Only an edge can be eligible, so the figures are kept per
 * edge: an operator's figures lie side by side (a block reads them operator by operator), and the arrays hold the
 * universe's edges, not every (operator, service) of the cross product (at bench size 20,000 entries, not 100,000).
 */
export interface BuildContext {
  policy: Policy
  svcIds: string[]
  opIds: string[]
  nS: number
  sIdx: Map<string, number>
  oIdx: Map<string, number>
  /** Services of operator oi, ascending: `opSvcIdx[opSvcStart[oi] .. opSvcStart[oi + 1])`; the position k in `opSvcIdx` numbers the edge. */
  opSvcStart: Int32Array
  opSvcIdx: Int32Array
  /** Index of the edge's score in `scores.pairs`, or −1 when the pair has no score. */
  eScore: Int32Array
  eValue: Float64Array
  eLoss: Float64Array
  eLossFactor: Float64Array
  eProb: Float64Array
  /** Set to the block's stamp for the edges its position holds stake on (so most candidates skip the map of them). */
  curStamp: Int32Array
  /** buildBlock's candidates' stake (x0 and current), reused block after block (entries past the block's count are stale). */
  candX0: bigint[]
  candCur: bigint[]
  stamp: number
  /** Per-call scratch indexed by operator: local operator index of the current block (valid when opStamp = stamp). */
  opLocal: Int32Array
  opStamp: Int32Array
  opAllow: Set<string> | undefined
  opDeny: Set<string>
  svAllow: Set<string> | undefined
  svDeny: Set<string>
  redistributing: Set<string>
  opBan: (string | undefined)[]
  svBan: (string | undefined)[]
  svInsecure: (SecurityHold | undefined)[]
  opHeld: (SecurityHold | undefined)[]
  groups: { group: string; cap: number }[]
  groupMembers: Set<string>[]
  derisk: Derisk[]
  /** The typed arrays of this call's blocks. */
  arena: LpArena
}

/** The edge of operator oi and service si (its index in `opSvcIdx`), or −1 when the operator is not opted into the service. */
export function edgeOf(ctx: Pick<BuildContext, 'opSvcStart' | 'opSvcIdx'>, oi: number, si: number): number {
  const { opSvcStart, opSvcIdx } = ctx
  for (let k = opSvcStart[oi] as number; k < (opSvcStart[oi + 1] as number); k++) {
    const s = opSvcIdx[k] as number
    if (s === si) return k
    if (s > si) break
  }
  return -1
}

export function buildContext(universe: Universe, scores: UniverseScores, policy: Policy, opts: BuildLpOptions): BuildContext {
  const svcIds = [...new Set(universe.services.map((s) => s.id.toLowerCase()))].sort()
  const opIds = [...new Set(universe.operators.map((o) => o.address.toLowerCase()))].sort()
  const nS = svcIds.length
  const nO = opIds.length
  const sIdx = new Map(svcIds.map((s, i) => [s, i]))
  const oIdx = new Map(opIds.map((o, i) => [o, i]))
  // Edges: the services of each operator, ascending, in one pair of arrays for every operator (a small typed array is
  // ~260 bytes on the JS heap: not one array each). An operator listed twice secures the union of its lists.
  const opSvc = new Uint8Array(nO * nS)
  for (const o of universe.operators) {
    const oi = oIdx.get(o.address.toLowerCase()) as number
    for (const s of o.services) {
      const si = sIdx.get(s.toLowerCase())
      if (si !== undefined) opSvc[oi * nS + si] = 1
    }
  }
  const opSvcStart = new Int32Array(nO + 1)
  for (let oi = 0; oi < nO; oi++) {
    let n = 0
    for (let si = 0; si < nS; si++) n += opSvc[oi * nS + si] as number
    opSvcStart[oi + 1] = (opSvcStart[oi] as number) + n
  }
  const nE = opSvcStart[nO] as number
  const opSvcIdx = new Int32Array(nE)
  for (let oi = 0, k = 0; oi < nO; oi++) for (let si = 0; si < nS; si++) if (opSvc[oi * nS + si] === 1) opSvcIdx[k++] = si
  const edges = { opSvcStart, opSvcIdx }
  const eScore = new Int32Array(nE).fill(-1)
  const eValue = new Float64Array(nE)
  const eLoss = new Float64Array(nE)
  const eLossFactor = new Float64Array(nE)
  const eProb = new Float64Array(nE)
  // Scores come sorted by service (scoreUniverse): a service's index is looked up once per run of its pairs. A score of
  // a pair that is not an edge is never read (such a pair is not eligible).
  let lastService: string | undefined
  let lastSi: number | undefined
  for (let i = 0; i < scores.pairs.length; i++) {
    const p = scores.pairs[i] as PairScore
    if (p.service !== lastService) {
      lastService = p.service
      lastSi = sIdx.get(p.service)
    }
    const si = lastSi
    const oi = oIdx.get(p.operator)
    if (si === undefined || oi === undefined) continue
    const k = edgeOf(edges, oi, si)
    if (k < 0) continue
    eScore[k] = i
    eValue[k] = p.netValuePerYear
    eLoss[k] = p.expectedLossPerYear
    eLossFactor[k] = lossFactor(p.severity, p.contractFactor)
    eProb[k] = p.slashProbabilityPerYear
  }

  const opAllow = policy.operators.allow ? new Set<string>(policy.operators.allow) : undefined
  const opDeny = new Set<string>(policy.operators.deny)
  const svAllow = policy.services.allow ? new Set<string>(policy.services.allow) : undefined
  const svDeny = new Set<string>(policy.services.deny)
  // Why an operator / a service may not receive stake (undefined = fine).
  const opBan = arrayOf(nO, (oi) => {
    const o = opIds[oi] as string
    return opDeny.has(o) ? `operator ${o} is deny-listed` : opAllow !== undefined && !opAllow.has(o) ? `operator ${o} is not in operators.allow` : undefined
  })
  // EigenLayer redistributing operator sets (slashed funds go to the AVS's recipient) are denied unless the policy allows them.
  const redistributing = new Set(policy.services.denyRedistributing ? universe.services.filter((s) => s.redistributing).map((s) => s.id.toLowerCase()) : [])
  const svBan = arrayOf(nS, (si) => {
    const s = svcIds[si] as string
    return svDeny.has(s)
      ? `service ${s} is deny-listed`
      : redistributing.has(s)
        ? `service ${s} is a redistributing operator set (services.denyRedistributing)`
        : svAllow !== undefined && !svAllow.has(s)
          ? `service ${s} is not in services.allow`
          : undefined
  })
  // Security (docs/risk.md): a service whose cost of corruption is below its profit (ρ < 1) is exited like a
  // deny-listed one; an operator whose slack γ is below minSecuritySlack gets no new stake.
  const svInsecure = arrayOf<SecurityHold | undefined>(nS, () => undefined)
  const opHeld = arrayOf<SecurityHold | undefined>(nO, () => undefined)
  for (const sv of scores.security?.services ?? []) {
    const si = sIdx.get(sv.service)
    if (si === undefined || sv.status !== 'insecure' || sv.ratio === undefined) continue
    const message = `service ${sv.label}: security ratio ρ = α·σ/π = ${num(sv.ratio)} < 1 (cost of corruption below its profit): exited like a deny-listed service`
    svInsecure[si] = { constraint: 'securityRatio', subject: sv.service, limit: 1, value: sv.ratio, message }
    if (svBan[si] === undefined) svBan[si] = message
  }
  for (const os of scores.security?.operators ?? []) {
    const oi = oIdx.get(os.operator)
    if (oi === undefined || os.slack === null || !(os.slack < policy.minSecuritySlack)) continue
    opHeld[oi] = {
      constraint: 'minSecuritySlack',
      subject: os.operator,
      limit: policy.minSecuritySlack,
      value: os.slack,
      message: `operator ${os.operator}: security slack γ = 1/I − 1 = ${num(os.slack)} < minSecuritySlack ${num(policy.minSecuritySlack)} (I = ${num(os.incentiveIndex)}): no new stake`,
    }
  }

  // Risk groups: explicit members plus metadata memberships.
  const byName = [...policy.caps.perRiskGroup].sort((a, b) => cmp(a.group, b.group))
  const groups = arrayOf(byName.length, (i) => {
    const g = byName[i] as Policy['caps']['perRiskGroup'][number]
    return { group: g.group, cap: g.cap }
  })
  const groupMembers = arrayOf(byName.length, (i) => new Set<string>((byName[i] as Policy['caps']['perRiskGroup'][number]).members))
  const groupIndex = new Map(groups.map((g, i) => [g.group, i]))
  for (const md of policy.scoring.serviceMetadata) if (md.riskGroup !== undefined) groupMembers[groupIndex.get(md.riskGroup) ?? -1]?.add(md.service)
  for (const md of policy.scoring.operatorMetadata) if (md.riskGroup !== undefined) groupMembers[groupIndex.get(md.riskGroup) ?? -1]?.add(md.operator)

  const orders = opts.derisk ?? []
  const derisk = arrayOf<Derisk>(orders.length, (i) => {
    const d = orders[i] as (typeof orders)[number]
    return { ...d, operator: d.operator.toLowerCase(), service: d.service?.toLowerCase() }
  })
  return {
    policy,
    svcIds,
    opIds,
    nS,
    sIdx,
    oIdx,
    opSvcStart,
    opSvcIdx,
    eScore,
    eValue,
    eLoss,
    eLossFactor,
    eProb,
    curStamp: new Int32Array(nE),
    candX0: [],
    candCur: [],
    stamp: 0,
    opLocal: new Int32Array(nO),
    opStamp: new Int32Array(nO),
    opAllow,
    opDeny,
    svAllow,
    svDeny,
    redistributing,
    opBan,
    svBan,
    svInsecure,
    opHeld,
    groups,
    groupMembers,
    derisk,
    arena: new LpArena(),
  }
}

/** The strongest de-risk order for a pair (zero-out wins over halve). */
export function deriskFor(derisk: Derisk[], service: string, operator: string): Derisk | undefined {
  let best: Derisk | undefined
  for (const d of derisk) {
    if (d.operator !== operator || (d.service !== undefined && d.service !== service)) continue
    if (best === undefined || (best.response === 'halve' && d.response === 'zero-out')) best = d
  }
  return best
}

/**
 * An array of n entries made by a loop, for the arrays the LP build reads in its hot loops. Its elements kind (holey,
 * any value) is the same whichever tier of V8 made it. Array.prototype.map's result is not: once V8 inlines map into
 * the optimised caller, the arrays it returns get another hidden class, and every function that reads them is
 * deoptimised ("wrong map") and compiled again, run after run, in the planner's first runs (issue 16 §3).
 */
function arrayOf<T>(n: number, f: (i: number) => T): T[] {
  const a: T[] = new Array(n)
  for (let i = 0; i < n; i++) a[i] = f(i)
  return a
}
