/**
 * The allocation LP, built once and handed to either solver (the pure-TS fast path in
 * `solvers/fast.ts`, or HiGHS in `solvers/highs.ts`), so both solve exactly the same model.
 *
 * One independent block per managed, steerable position p (no policy constraint couples positions:
 * every cap is a fraction of the position's own stake), in stake-normalised units (÷ A). A is the position's
 * allocatable stake `activeStake − inFlightStake` (see allocatableStake): stake in flight (EigenLayer withdrawals
 * waiting out the delay) earns nothing and is not allocated.
 *
 *   x_j  stake of pair j = (service s, operator o), x_j = x0_j + u_j − v_j,
 *        u_j ∈ [0, ∞) (increase; only pairs with positive net value), v_j ∈ [0, x0_j] (decrease)
 *   t_s  service total used by diversification, t_s = t0_s + τ_s with t0_s = Σ_o x0_{s,o}, τ_s ≥ −t0_s
 *
 *   max  Σ_j c_j x_j                               c_j = r_s(1 − c_o) − p_{o,s}·sev_s·h_s
 *   S_s  Σ_o x_{s,o} ≤ min(A, maxNetworkLimit_s, perService·A) / A
 *   O_o  Σ_s x_{s,o} ≤ perOperator
 *   G_g  Σ_{j ∈ g} x_j ≤ cap_g                      j ∈ g if its operator or its service is a member
 *   L    Σ_j x_j ≤ leverageCap
 *   R    Σ_j ℓ_j x_j ≤ riskBudget                   ℓ_j = p·sev·h
 *   T    Σ_j (u_j + v_j) ≤ turnoverCapPerRun − margin
 *   DS_s t_s − Σ_o x_{s,o} ≤ 0                      (only when minOperatorsPerService m > 1)
 *   D_j  x_j − t_s / m ≤ 0                           ⇔ x_{s,o} ≤ Σ_o x_{s,o} / m
 *
 * Eligible pairs: service in the position's services, allowed and not denied; operator opted into the
 * vault and into the service, allowed and not denied; and admitted by the compounded-probability
 * filter below. Current stake on any other pair is a forced move to 0 ("deny wins"): it is not a
 * variable and is not counted in the turnover budget T. The same holds for `derisk` requests
 * (slash response): zero-out removes the pair, halve fixes its current stake to ⌊x0/2⌋ and forbids
 * increases; the forced part is exempt from T.
 *
 * Max compounded slash probability (1 − Π_s(1 − p_{o,s}) ≤ P_max over the services o secures for the
 * position) is not linear in x: it depends on which pairs are positive. We linearise by fixing, per
 * (position, operator), the admissible service set before the LP: services where the pair already
 * holds stake first, then by net value (descending, ties by service id); a service is admitted if the
 * compounded probability of the admitted set stays ≤ P_max. Every LP solution then satisfies the
 * constraint exactly (an operator can only be positive on admitted services). This is conservative
 * (the exact condition is combinatorial), and it is documented in docs/policy.md.
 *
 * Exactness on chain: bigint limits are computed exactly (`floor(cap · A)` with the float cap read as
 * an exact binary fraction) and the row right-hand sides are those limits ÷ A. Only the turnover row
 * is tightened by a margin (1e-9 + a few wei per pair) so that rounding to bigint in plan.ts can
 * always restore every cap exactly without exceeding the turnover budget.
 */
import type { Address, Position, PositionService, ServiceId, Universe } from './types.js'
import type { Policy } from './policy.js'
import { type UniverseScores, managedPositions, pairKey } from './score.js'
import { cmp, num } from './format.js'
import { lossFactor } from './tailLoss.js'

/** Kind of an LP row; names the policy constraint it encodes. */
export type RowKind = 'service' | 'operator' | 'group' | 'leverage' | 'risk' | 'maxLoss' | 'turnover' | 'diversificationTotal' | 'diversification'

/** Why a service row has the limit it has (the smallest of the three). */
export type ServiceLimitSource = 'activeStake' | 'maxNetworkLimit' | 'caps.perService'

/** One row `Σ a·x ≤ rhs` of a block. */
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

/** One pair (service, operator) of a block. */
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
  pairs: LpPair[]
  /** Services with at least one pair (order of the τ columns). */
  services: ServiceId[]
  groups: { group: string; cap: number }[]
  // Columns (structural variables), lower/upper bounds and costs.
  nCols: number
  colKind: Uint8Array
  /** Pair index (u, v) or service index (τ). */
  colRef: Int32Array
  colLower: Float64Array
  colUpper: Float64Array
  colCost: Float64Array
  // Matrix, column-wise (CSC) and row-wise (CSR).
  colStart: Int32Array
  colRow: Int32Array
  colVal: Float64Array
  rows: LpRow[]
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
 * Exact `floor(f · a)` for a finite float f ≥ 0 and bigint a ≥ 0 (f read as the binary fraction it is).
 * @param a amount in wei
 * @param f factor (e.g. a cap fraction)
 */
export function mulFloor(a: bigint, f: number): bigint {
  if (!(f > 0) || a <= 0n) return 0n
  if (!Number.isFinite(f)) throw new RangeError('mulFloor: factor must be finite')
  const [num, den] = floatToRational(f)
  return (a * num) / den
}

const F64 = /* @__PURE__ */ new DataView(/* @__PURE__ */ new ArrayBuffer(8))

/** Exact rational of a finite float: [numerator, denominator], the denominator a power of two (read from the IEEE-754 bits). */
export function floatToRational(f: number): [bigint, bigint] {
  if (!Number.isFinite(f)) throw new RangeError('floatToRational: not finite')
  if (Number.isSafeInteger(f)) return [BigInt(f), 1n]
  F64.setFloat64(0, f)
  const hi = F64.getUint32(0)
  const lo = F64.getUint32(4)
  const exp = (hi >>> 20) & 0x7ff
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo)
  let e: number
  if (exp === 0) e = -1074
  else {
    mant |= 1n << 52n
    e = exp - 1075
  }
  const neg = hi >>> 31 === 1
  if (e >= 0) return [(neg ? -mant : mant) << BigInt(e), 1n]
  // Drop common powers of two so denominators stay small.
  let shift = -e
  while (shift > 0 && (mant & 0xffn) === 0n && shift >= 8) {
    mant >>= 8n
    shift -= 8
  }
  while (shift > 0 && (mant & 1n) === 0n) {
    mant >>= 1n
    shift--
  }
  return [neg ? -mant : mant, 1n << BigInt(shift)]
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

/** Is the position's delegator one whose allocation the bot can set? */
export function isSteerable(p: Position): boolean {
  return p.delegatorKind !== 'operator-network-specific'
}

/** Turnover margin of a block in wei: covers rounding of every pair (see plan.ts). */
export function turnoverMarginWei(nPairs: number, minOperators: number): bigint {
  return BigInt(4 * (nPairs + 1) * (minOperators + 2))
}

/** The groups list of every pair when the policy has no risk groups (one shared empty array, never written). */
const NO_GROUPS: number[] = []

/** Relative feasibility margin applied to the turnover row (solver tolerance). */
export const LP_FEASIBILITY_MARGIN = 1e-9

/**
 * Builds the allocation LP of every managed position.
 * @param universe state of the world
 * @param scores output of scoreUniverse for the same universe and policy
 * @param policy validated policy
 * @param opts de-risk requests (slash response)
 * @returns independent blocks, one per steerable managed position with stake
 */
export function buildLp(universe: Universe, scores: UniverseScores, policy: Policy, opts: BuildLpOptions = {}): LpModel {
  // Integer indices (services and operators in sorted id order) keep the per-position loops cheap.
  const svcIds = [...new Set(universe.services.map((s) => s.id.toLowerCase()))].sort()
  const opIds = [...new Set(universe.operators.map((o) => o.address.toLowerCase()))].sort()
  const nS = svcIds.length
  const sIdx = new Map(svcIds.map((s, i) => [s, i]))
  const oIdx = new Map(opIds.map((o, i) => [o, i]))
  // Pair figures in flat arrays indexed by pid = oi·nS + si: the per-position loops below read them for ~1,000 pairs ×
  // every position, and reading the (large, scattered) PairScore objects there dominated the build.
  const nP = opIds.length * nS
  const hasScore = new Uint8Array(nP)
  const pValue = new Float64Array(nP)
  const pLoss = new Float64Array(nP)
  const pLossFactor = new Float64Array(nP)
  const pProb = new Float64Array(nP)
  for (const p of scores.pairs) {
    const si = sIdx.get(p.service)
    const oi = oIdx.get(p.operator)
    if (si === undefined || oi === undefined) continue
    const pid = oi * nS + si
    hasScore[pid] = 1
    pValue[pid] = p.netValuePerYear
    pLoss[pid] = p.expectedLossPerYear
    pLossFactor[pid] = lossFactor(p.severity, p.contractFactor)
    pProb[pid] = p.slashProbabilityPerYear
  }
  /** Which pairs a position already considered: stamped with the position's number (no Set per position). */
  const seenStamp = new Int32Array(nP)
  let stamp = 0
  const opSvc: Uint8Array[] = opIds.map(() => new Uint8Array(nS))
  const opSvcList: number[][] = opIds.map(() => [])
  for (const o of universe.operators) {
    const oi = oIdx.get(o.address.toLowerCase()) as number
    for (const s of o.services) {
      const si = sIdx.get(s.toLowerCase())
      if (si !== undefined && !opSvc[oi]![si]) {
        opSvc[oi]![si] = 1
        opSvcList[oi]!.push(si)
      }
    }
  }
  for (const l of opSvcList) l.sort((x, y) => x - y)

  const opAllow = policy.operators.allow ? new Set<string>(policy.operators.allow) : undefined
  const opDeny = new Set<string>(policy.operators.deny)
  const svAllow = policy.services.allow ? new Set<string>(policy.services.allow) : undefined
  const svDeny = new Set<string>(policy.services.deny)
  // Why an operator / a service may not receive stake (undefined = fine).
  const opBan = opIds.map((o) => (opDeny.has(o) ? `operator ${o} is deny-listed` : opAllow !== undefined && !opAllow.has(o) ? `operator ${o} is not in operators.allow` : undefined))
  // EigenLayer redistributing operator sets (slashed funds go to the AVS's recipient) are denied unless the policy allows them.
  const redistributing = new Set(policy.services.denyRedistributing ? universe.services.filter((s) => s.redistributing).map((s) => s.id.toLowerCase()) : [])
  const svBan = svcIds.map((s) =>
    svDeny.has(s)
      ? `service ${s} is deny-listed`
      : redistributing.has(s)
        ? `service ${s} is a redistributing operator set (services.denyRedistributing)`
        : svAllow !== undefined && !svAllow.has(s)
          ? `service ${s} is not in services.allow`
          : undefined,
  )
  // Security (docs/risk.md): a service whose cost of corruption is below its profit (ρ < 1) is exited like a
  // deny-listed one; an operator whose slack γ is below minSecuritySlack gets no new stake.
  const svInsecure: (SecurityHold | undefined)[] = svcIds.map(() => undefined)
  const opHeld: (SecurityHold | undefined)[] = opIds.map(() => undefined)
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
  const groups = [...policy.caps.perRiskGroup].sort((a, b) => cmp(a.group, b.group))
  const groupMembers = groups.map((g) => new Set<string>(g.members))
  const groupIndex = new Map(groups.map((g, i) => [g.group, i]))
  for (const md of policy.scoring.serviceMetadata) if (md.riskGroup !== undefined) groupMembers[groupIndex.get(md.riskGroup) ?? -1]?.add(md.service)
  for (const md of policy.scoring.operatorMetadata) if (md.riskGroup !== undefined) groupMembers[groupIndex.get(md.riskGroup) ?? -1]?.add(md.operator)

  const derisk = [...(opts.derisk ?? [])].map((d) => ({ ...d, operator: d.operator.toLowerCase(), service: d.service?.toLowerCase() }))
  const deriskFor = (service: string, operator: string) => {
    let best: (typeof derisk)[number] | undefined
    for (const d of derisk) {
      if (d.operator !== operator || (d.service !== undefined && d.service !== service)) continue
      if (best === undefined || (best.response === 'halve' && d.response === 'zero-out')) best = d
    }
    return best
  }

  const m = policy.minOperatorsPerService
  const managed = managedPositions(universe.positions, policy)
  const present = new Set(managed.map((p) => p.vault.toLowerCase()))
  const missing = policy.positions
    .map((p) => p.vault)
    .filter((v) => !present.has(v) && !universe.positions.some((p) => p.id.toLowerCase() === v))
    .sort()
  const blocks: LpBlock[] = []
  const fixed: FixedPosition[] = []

  for (const pos of managed) {
    if (!isSteerable(pos)) {
      fixed.push({ position: pos.id, reason: `${pos.delegatorKind} delegator: nothing is settable by the curator`, forced: [] })
      continue
    }
    // In-flight stake (EigenLayer) earns nothing and cannot be allocated: the block works on the rest.
    const A = allocatableStake(pos)
    const forced: ForcedMove[] = []
    const holds = new Map<string, SecurityHold>()
    // Current stake per pair (sum if listed twice); pairs unknown to the universe are forced to 0.
    const current = new Map<number, bigint>()
    const strange = new Map<string, bigint>()
    for (const al of pos.allocations) {
      const st = al.stake > 0n ? al.stake : 0n
      const s = al.service.toLowerCase()
      const o = al.operator.toLowerCase()
      const si = sIdx.get(s)
      const oi = oIdx.get(o)
      if (si === undefined || oi === undefined) {
        const k = pairKey(s, o)
        strange.set(k, (strange.get(k) ?? 0n) + st)
      } else current.set(oi * nS + si, (current.get(oi * nS + si) ?? 0n) + st)
    }
    for (const [k, st] of [...strange].sort((x, y) => cmp(x[0], y[0])))
      if (st > 0n) {
        const [s, o] = k.split('|') as [ServiceId, Address]
        forced.push({ service: s, operator: o, from: st, to: 0n, reason: sIdx.has(s) ? `operator ${o} is unknown` : `service ${s} is unknown` })
      }
    if (A <= 0n) {
      for (const [pid, st] of [...current].sort((x, y) => x[0] - y[0]))
        if (st > 0n) forced.push({ service: svcIds[pid % nS] as ServiceId, operator: opIds[Math.floor(pid / nS)] as Address, from: st, to: 0n, reason: 'position has no active stake' })
      forced.sort((x, y) => cmp(x.service, y.service) || cmp(x.operator, y.operator))
      fixed.push({ position: pos.id, reason: (pos.inFlightStake ?? 0n) > 0n ? 'no allocatable stake (the rest is in flight)' : 'no active stake', forced })
      continue
    }
    const scale = Number(A)
    const posSvc = new Map<number, PositionService>()
    for (const ps of pos.services) {
      const si = sIdx.get(ps.service.toLowerCase())
      if (si !== undefined) posSvc.set(si, ps)
    }
    const optedIn = [...new Set(pos.operatorsOptedIn.map((o) => oIdx.get(o.toLowerCase())).filter((x): x is number => x !== undefined))].sort((x, y) => x - y)
    const optedSet = new Set(optedIn)

    // Eligibility of a pair, with the reason when not eligible.
    const whyNot = (si: number, oi: number): string | undefined => {
      const s = svcIds[si] as string
      const o = opIds[oi] as string
      if (!posSvc.has(si)) return `service ${s} is not enabled for this vault`
      if (svBan[si] !== undefined) return svBan[si]
      if (opBan[oi] !== undefined) return opBan[oi]
      if (!optedSet.has(oi)) return `operator ${o} is not opted into the vault`
      if (!opSvc[oi]![si]) return `operator ${o} is not opted into service ${s}`
      if (hasScore[oi * nS + si] === 0) return 'pair has no score'
      return undefined
    }

    // Candidate pairs: every eligible (service, operator) plus every pair holding stake.
    interface Cand {
      si: number
      oi: number
      s: ServiceId
      o: Address
      pid: number
      x0Wei: bigint
      currentWei: bigint
      canIncrease: boolean
    }
    const cands: Cand[] = []
    stamp++
    const consider = (si: number, oi: number) => {
      const pid = oi * nS + si
      if (seenStamp[pid] === stamp) return
      seenStamp[pid] = stamp
      const cur = current.get(pid) ?? 0n
      const why = whyNot(si, oi)
      const s = svcIds[si] as ServiceId
      const o = opIds[oi] as Address
      if (why !== undefined) {
        const h = svInsecure[si]
        // Exits the policy orders by name (deny and allow lists, redistributing sets, a service whose ρ < 1 "treated
        // like a deny-listed one") carry their cause: the drain guard lets them through.
        const listed = svDeny.has(s) || opDeny.has(o) || redistributing.has(s) || (svAllow !== undefined && !svAllow.has(s)) || (opAllow !== undefined && !opAllow.has(o))
        const cause = listed ? ('denyList' as const) : h !== undefined && why === h.message ? ('insecureService' as const) : undefined
        if (cur > 0n) forced.push({ service: s, operator: o, from: cur, to: 0n, reason: why, ...(cause ? { cause } : {}) })
        if (h !== undefined && why === h.message) holds.set(h.subject, h)
        return
      }
      let x0Wei = cur
      let canIncrease = (pValue[pid] as number) > 0
      const held = opHeld[oi]
      if (held !== undefined && canIncrease) {
        canIncrease = false
        holds.set(held.subject, held)
      }
      if (derisk.length > 0) {
        const d = deriskFor(s, o)
        if (d !== undefined) {
          const to = d.response === 'zero-out' ? 0n : cur / 2n
          if (cur > to) forced.push({ service: s, operator: o, from: cur, to, reason: d.reason ?? `slash response: ${d.response}`, cause: 'slashResponse' })
          x0Wei = to
          canIncrease = false
        }
      }
      if (x0Wei === 0n && !canIncrease) return
      cands.push({ si, oi, s, o, pid, x0Wei, currentWei: cur, canIncrease })
    }
    for (const oi of optedIn) for (const si of opSvcList[oi] as number[]) if (posSvc.has(si)) consider(si, oi)
    for (const pid of [...current.keys()].sort((x, y) => x - y)) consider(pid % nS, Math.floor(pid / nS))

    // Compounded slash probability filter per operator (see module comment).
    const byOp = new Map<number, Cand[]>()
    for (const c of cands) (byOp.get(c.oi) ?? byOp.set(c.oi, []).get(c.oi)!).push(c)
    const admitted: Cand[] = []
    const pMax = policy.maxCompoundedSlashProbability
    for (const oi of [...byOp.keys()].sort((x, y) => x - y)) {
      const list = (byOp.get(oi) as Cand[]).sort((a, b) => Number(b.x0Wei > 0n) - Number(a.x0Wei > 0n) || (pValue[b.pid] as number) - (pValue[a.pid] as number) || a.si - b.si)
      let survive = 1
      for (const c of list) {
        const p = pProb[c.pid] as number
        if (1 - survive * (1 - p) <= pMax + 1e-12) {
          survive *= 1 - p
          admitted.push(c)
        } else if (c.currentWei > 0n) {
          forced.push({
            service: c.s,
            operator: c.o,
            from: c.currentWei,
            to: 0n,
            reason: `operator ${c.o}: securing service ${c.s} too would raise its compounded slash probability above ${pMax}`,
          })
        }
      }
    }
    admitted.sort((a, b) => a.si - b.si || a.oi - b.oi)
    forced.sort((a, b) => cmp(a.service, b.service) || cmp(a.operator, b.operator))
    const posServices = new Map([...posSvc].map(([si, ps]) => [svcIds[si] as string, ps]))

    // Pairs and columns.
    const pairs: LpPair[] = admitted.map((c) => ({
      service: c.s,
      operator: c.o,
      value: pValue[c.pid] as number,
      loss: pLoss[c.pid] as number,
      lossFactor: pLossFactor[c.pid] as number,
      probability: pProb[c.pid] as number,
      x0: Number(c.x0Wei) / scale,
      x0Wei: c.x0Wei,
      currentWei: c.currentWei,
      canIncrease: c.canIncrease,
      uCol: -1,
      vCol: -1,
      groups: groups.length > 0 ? [] : NO_GROUPS,
    }))
    if (pairs.length === 0) {
      blocks.push(emptyBlock(pos.id, A, scale, m, forced, mulFloor(A, policy.turnoverCapPerRun), sortedHolds(holds)))
      continue
    }
    const services = [...new Set(pairs.map((p) => p.service))].sort()
    const svcIdx = new Map(services.map((s, i) => [s, i]))
    const operators = [...new Set(pairs.map((p) => p.operator))].sort()
    const opIdx = new Map(operators.map((o, i) => [o, i]))
    pairs.forEach((p) => {
      groups.forEach((_, g) => {
        const mem = groupMembers[g] as Set<string>
        if (mem.has(p.operator) || mem.has(p.service)) p.groups.push(g)
      })
    })

    // Columns in typed arrays sized for the most there can be (u and v per pair, τ per service), trimmed below.
    const maxCols = 2 * pairs.length + services.length
    const colKind = new Uint8Array(maxCols)
    const colRef = new Int32Array(maxCols)
    const colLower = new Float64Array(maxCols)
    const colUpper = new Float64Array(maxCols)
    const colCost = new Float64Array(maxCols)
    let nCols = 0
    const addCol = (kind: number, ref: number, lower: number, upper: number, cost: number): number => {
      colKind[nCols] = kind
      colRef[nCols] = ref
      colLower[nCols] = lower
      colUpper[nCols] = upper
      colCost[nCols] = cost
      return nCols++
    }
    pairs.forEach((p, j) => {
      if (p.canIncrease) p.uCol = addCol(COL_U, j, 0, Infinity, p.value)
    })
    pairs.forEach((p, j) => {
      if (p.x0Wei > 0n) p.vCol = addCol(COL_V, j, 0, p.x0, -p.value)
    })
    const t0 = new Array<number>(services.length).fill(0)
    for (const p of pairs) {
      const si = svcIdx.get(p.service) as number
      t0[si] = (t0[si] as number) + p.x0
    }
    const tauCol: number[] = []
    if (m > 1)
      services.forEach((_, si) => {
        tauCol.push(addCol(COL_T, si, -(t0[si] as number), Infinity, 0))
      })

    // Rows as lists of (pair, coef) over x, converted to (u, v) columns below.
    interface RowSpec {
      row: LpRow
      /** Pair indices (ascending) with coefficients on x_j (`coef` undefined = all ones). */
      pj: number[]
      coef?: number[]
      /** (service index, coefficient on t_s). */
      tauS?: number
      tauA?: number
    }
    const specs: RowSpec[] = []
    const x0A = (pj: number[], coef?: number[]) => {
      let acc = 0
      for (let k = 0; k < pj.length; k++) acc += (coef ? (coef[k] as number) : 1) * (pairs[pj[k] as number] as LpPair).x0
      return acc
    }
    const byService: number[][] = services.map(() => [])
    const byOperator: number[][] = operators.map(() => [])
    pairs.forEach((p, j) => {
      byService[svcIdx.get(p.service) as number]?.push(j)
      byOperator[opIdx.get(p.operator) as number]?.push(j)
    })
    services.forEach((s, si) => {
      const ps = posServices.get(s)!
      const capCfg = mulFloor(A, policy.caps.perService)
      let limitWei = A
      let source: ServiceLimitSource = 'activeStake'
      if (ps.maxNetworkLimit < limitWei) [limitWei, source] = [ps.maxNetworkLimit < 0n ? 0n : ps.maxNetworkLimit, 'maxNetworkLimit']
      if (capCfg < limitWei) [limitWei, source] = [capCfg, 'caps.perService']
      const pj = byService[si] as number[]
      const limit = Number(limitWei) / scale
      specs.push({ row: { kind: 'service', subject: s, rhs: limit - x0A(pj), limit, limitWei, source }, pj })
    })
    const opLimitWei = mulFloor(A, policy.caps.perOperator)
    operators.forEach((o, oi) => {
      const pj = byOperator[oi] as number[]
      const limit = Number(opLimitWei) / scale
      specs.push({ row: { kind: 'operator', subject: o, rhs: limit - x0A(pj), limit, limitWei: opLimitWei }, pj })
    })
    groups.forEach((g, gi) => {
      const pj: number[] = []
      pairs.forEach((p, j) => p.groups.includes(gi) && pj.push(j))
      if (pj.length === 0) return
      const limitWei = mulFloor(A, g.cap)
      const limit = Number(limitWei) / scale
      specs.push({ row: { kind: 'group', subject: g.group, rhs: limit - x0A(pj), limit, limitWei }, pj })
    })
    {
      const pj = pairs.map((_, j) => j)
      const limitWei = mulFloor(A, policy.leverageCap)
      const limit = Number(limitWei) / scale
      specs.push({ row: { kind: 'leverage', subject: '', rhs: limit - x0A(pj), limit, limitWei }, pj })
    }
    // Rows with float weights: the risk budget Σ ℓ·x, and MaxLoss Σ min(1, sev·h)·x (docs/risk.md; only when the
    // fraction is below 1: the cap at active stake makes a larger limit void).
    const weighted = (kind: 'risk' | 'maxLoss', weight: (p: LpPair) => number, fraction: number) => {
      const pj: number[] = []
      const coef: number[] = []
      pairs.forEach((p, j) => {
        if (weight(p) > 0) pj.push(j), coef.push(weight(p))
      })
      if (pj.length === 0) return
      const limitWei = mulFloor(A, fraction)
      const limit = Number(limitWei) / scale
      specs.push({ row: { kind, subject: '', rhs: limit - x0A(pj, coef), limit, limitWei, fraction }, pj, coef })
    }
    weighted('risk', (p) => p.loss, policy.riskBudget)
    if (policy.maxLossFraction < 1) weighted('maxLoss', (p) => p.lossFactor, policy.maxLossFraction)
    const turnoverLimitWei = mulFloor(A, policy.turnoverCapPerRun)
    const marginWei = turnoverMarginWei(pairs.length, m)
    const turnoverLimit = Number(turnoverLimitWei) / scale
    const turnoverRhs = Math.max(0, turnoverLimit - LP_FEASIBILITY_MARGIN - Number(marginWei) / scale)
    const turnoverSpecIndex = specs.length
    specs.push({ row: { kind: 'turnover', subject: '', rhs: turnoverRhs, limit: turnoverLimit, limitWei: turnoverLimitWei }, pj: [] })
    if (m > 1) {
      services.forEach((s, si) => {
        const pj = byService[si] as number[]
        // t0 − Σ x0 = 0 by construction of t0.
        specs.push({ row: { kind: 'diversificationTotal', subject: s, rhs: 0, limit: 0, limitWei: 0n }, pj, coef: pj.map(() => -1), tauS: si, tauA: 1 })
      })
    }
    // Diversification rows D_j come last, one per pair: x_j − t_s/m ≤ t0_s/m − x0_j. They are written straight into the
    // CSR below (no row spec per pair: at 100 positions × 1,000 pairs the specs were a large share of the build).
    const nSpecs = specs.length
    const nDiv = m > 1 ? pairs.length : 0
    const pairSvc = new Int32Array(pairs.length)
    pairs.forEach((p, j) => {
      pairSvc[j] = svcIdx.get(p.service) as number
    })

    // Assemble CSR (terms are in pair order, every u column precedes every v column, τ columns come
    // last, so emitting u's, then v's, then τ's keeps each row sorted) then CSC.
    let nnzEst = 0
    for (const sp of specs) nnzEst += 2 * sp.pj.length + 1
    nnzEst += nCols + 3 * nDiv
    const nRows = nSpecs + nDiv
    const rowStart = new Int32Array(nRows + 1)
    let rowCol = new Int32Array(nnzEst)
    let rowVal = new Float64Array(nnzEst)
    let at = 0
    for (let r = 0; r < specs.length; r++) {
      const sp = specs[r] as RowSpec
      rowStart[r] = at
      if (r === turnoverSpecIndex) {
        for (let c = 0; c < nCols; c++)
          if (colKind[c] !== COL_T) {
            rowCol[at] = c
            rowVal[at++] = 1
          }
      } else {
        const { pj, coef } = sp
        for (let k = 0; k < pj.length; k++) {
          const u = (pairs[pj[k] as number] as LpPair).uCol
          if (u >= 0) {
            rowCol[at] = u
            rowVal[at++] = coef ? (coef[k] as number) : 1
          }
        }
        for (let k = 0; k < pj.length; k++) {
          const v = (pairs[pj[k] as number] as LpPair).vCol
          if (v >= 0) {
            rowCol[at] = v
            rowVal[at++] = coef ? -(coef[k] as number) : -1
          }
        }
        if (sp.tauS !== undefined) {
          rowCol[at] = tauCol[sp.tauS] as number
          rowVal[at++] = sp.tauA as number
        }
      }
    }
    const rows: LpRow[] = specs.map((sp) => sp.row)
    for (let j = 0; j < nDiv; j++) {
      const p = pairs[j] as LpPair
      const si = pairSvc[j] as number
      rowStart[nSpecs + j] = at
      if (p.uCol >= 0) {
        rowCol[at] = p.uCol
        rowVal[at++] = 1
      }
      if (p.vCol >= 0) {
        rowCol[at] = p.vCol
        rowVal[at++] = -1
      }
      rowCol[at] = tauCol[si] as number
      rowVal[at++] = -1 / m
      rows.push({ kind: 'diversification', subject: '', rhs: (t0[si] as number) / m - p.x0, limit: 0, limitWei: 0n, pair: j })
    }
    rowStart[nRows] = at
    rowCol = rowCol.slice(0, at)
    rowVal = rowVal.slice(0, at)
    const nnz = at
    const colCount = new Int32Array(nCols + 1)
    for (let k = 0; k < nnz; k++) colCount[(rowCol[k] as number) + 1]!++
    for (let c = 0; c < nCols; c++) colCount[c + 1]! += colCount[c] as number
    const colStart = Int32Array.from(colCount)
    const fill = Int32Array.from(colCount)
    const colRow = new Int32Array(nnz)
    const colVal = new Float64Array(nnz)
    for (let r = 0; r < nRows; r++)
      for (let k = rowStart[r] as number; k < (rowStart[r + 1] as number); k++) {
        const c = rowCol[k] as number
        const pos2 = fill[c]!++
        colRow[pos2] = r
        colVal[pos2] = rowVal[k] as number
      }

    blocks.push({
      position: pos.id,
      activeStake: A,
      scale,
      minOperators: m,
      pairs,
      services,
      groups: groups.map((g) => ({ group: g.group, cap: g.cap })),
      nCols,
      colKind: colKind.slice(0, nCols),
      colRef: colRef.slice(0, nCols),
      colLower: colLower.slice(0, nCols),
      colUpper: colUpper.slice(0, nCols),
      colCost: colCost.slice(0, nCols),
      colStart,
      colRow,
      colVal,
      rows,
      rowStart,
      rowCol,
      rowVal,
      objectiveConstant: pairs.reduce((acc, p) => acc + p.value * p.x0, 0),
      forced,
      turnoverRow: turnoverSpecIndex,
      securityHolds: sortedHolds(holds),
    })
  }
  return { blocks, fixed, missing }
}

function sortedHolds(holds: Map<string, SecurityHold>): SecurityHold[] {
  return [...holds.values()].sort((a, b) => cmp(a.constraint, b.constraint) || cmp(a.subject, b.subject))
}

function emptyBlock(position: string, A: bigint, scale: number, m: number, forced: ForcedMove[], turnoverLimitWei: bigint, securityHolds: SecurityHold[]): LpBlock {
  const limit = Number(turnoverLimitWei) / scale
  return {
    position,
    activeStake: A,
    scale,
    minOperators: m,
    pairs: [],
    services: [],
    groups: [],
    nCols: 0,
    colKind: new Uint8Array(0),
    colRef: new Int32Array(0),
    colLower: new Float64Array(0),
    colUpper: new Float64Array(0),
    colCost: new Float64Array(0),
    colStart: new Int32Array(1),
    colRow: new Int32Array(0),
    colVal: new Float64Array(0),
    // Only the (empty) turnover row, so the plan can report the limit.
    rows: [{ kind: 'turnover', subject: '', rhs: limit, limit, limitWei: turnoverLimitWei }],
    rowStart: new Int32Array(2),
    rowCol: new Int32Array(0),
    rowVal: new Float64Array(0),
    objectiveConstant: 0,
    forced,
    turnoverRow: 0,
    securityHolds,
  }
}

/** Values x_j (normalised) of every pair of a block from a column solution. */
export function pairValues(block: LpBlock, x: Float64Array): Float64Array {
  const out = new Float64Array(block.pairs.length)
  block.pairs.forEach((p, j) => {
    out[j] = p.x0 + (p.uCol >= 0 ? (x[p.uCol] as number) : 0) - (p.vCol >= 0 ? (x[p.vCol] as number) : 0)
  })
  return out
}

/** Row activities (Σ a·col, shifted space) of a block for a column solution. */
export function rowActivities(block: LpBlock, x: Float64Array): Float64Array {
  const out = new Float64Array(block.rows.length)
  for (let r = 0; r < block.rows.length; r++) {
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
 * Writes the model as one CPLEX LP text (all blocks in one monolithic LP), for HiGHS.
 * Columns are named `c<block>_<col>`, rows `r<block>_<row>`.
 */
export function toCplexLp(model: LpModel): string {
  const parts: string[] = ['Maximize\n obj:']
  let any = false
  const fmt = (v: number) => (Object.is(v, -0) ? '0' : `${v}`)
  for (let b = 0; b < model.blocks.length; b++) {
    const bl = model.blocks[b] as LpBlock
    for (let c = 0; c < bl.nCols; c++) {
      const v = bl.colCost[c] as number
      if (v === 0) continue
      parts.push(v < 0 ? ` - ${fmt(-v)} c${b}_${c}` : ` + ${fmt(v)} c${b}_${c}`)
      any = true
    }
  }
  if (!any) parts.push(' 0 c_dummy')
  parts.push('\nSubject To\n')
  for (let b = 0; b < model.blocks.length; b++) {
    const bl = model.blocks[b] as LpBlock
    for (let r = 0; r < bl.rows.length; r++) {
      const s = bl.rowStart[r] as number
      const e = bl.rowStart[r + 1] as number
      if (s === e) continue
      let line = ` r${b}_${r}:`
      for (let k = s; k < e; k++) {
        const a = bl.rowVal[k] as number
        line += a < 0 ? ` - ${fmt(-a)} c${b}_${bl.rowCol[k]}` : ` + ${fmt(a)} c${b}_${bl.rowCol[k]}`
      }
      parts.push(`${line} <= ${fmt((bl.rows[r] as LpRow).rhs)}\n`)
    }
  }
  parts.push('Bounds\n')
  for (let b = 0; b < model.blocks.length; b++) {
    const bl = model.blocks[b] as LpBlock
    for (let c = 0; c < bl.nCols; c++) {
      const lo = bl.colLower[c] as number
      const hi = bl.colUpper[c] as number
      parts.push(` ${fmt(lo)} <= c${b}_${c} <= ${hi === Infinity ? '+inf' : fmt(hi)}\n`)
    }
  }
  if (!any) parts.push(' c_dummy = 0\n')
  parts.push('End\n')
  return parts.join('')
}

/**
 * The auxiliary LP "least turnover that satisfies every other constraint": same rows and bounds,
 * objective −Σ(u + v), no turnover limit. Always feasible (x = 0 satisfies every other row).
 * Its optimum, negated, is the minimum turnover τ_min (normalised).
 */
export function minTurnoverBlock(block: LpBlock): LpBlock {
  const colCost = new Float64Array(block.nCols)
  for (let c = 0; c < block.nCols; c++) colCost[c] = block.colKind[c] === COL_T ? 0 : -1
  const rows = block.rows.map((r, i) => (i === block.turnoverRow ? { ...r, rhs: 1e12 } : r))
  return { ...block, colCost, rows, objectiveConstant: 0 }
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
  const rows = block.rows.map((r, i) => (i === block.turnoverRow ? { ...r, limit, limitWei, rhs } : r))
  return { ...block, rows }
}

/** Does the block remove stake the policy forbids (deny lists, eligibility, slash response)? */
export function hasForcedRemovals(block: LpBlock): boolean {
  return block.forced.some((f) => f.to < f.from)
}
