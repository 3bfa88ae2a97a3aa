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
import { cmp } from './format.js'
import { mulFloor } from './exact.js'
import { assembleBlock, emptyBlock } from './lpMatrix.js'
import { type BuildContext, buildContext, deriskFor, edgeOf } from './lpContext.js'
import { type BuildLpOptions, type FixedPosition, type ForcedMove, type LpBlock, type LpModel, type SecurityHold, allocatableStake, isSteerable, newPairs } from './lpModel.js'

export * from './lpModel.js'
export { floatToRational, mulFloor } from './exact.js'
export { toCplexLp } from './lpText.js'

/** The groups list of every pair when the policy has no risk groups (one shared empty array, never written). */
const NO_GROUPS: number[] = []

/**
 * Builds the allocation LP of every managed position.
 * @param universe state of the world
 * @param scores output of scoreUniverse for the same universe and policy
 * @param policy validated policy
 * @param opts de-risk requests (slash response)
 * @returns independent blocks, one per steerable managed position with stake
 */
export function buildLp(universe: Universe, scores: UniverseScores, policy: Policy, opts: BuildLpOptions = {}): LpModel {
  const blocks: LpBlock[] = []
  const fixed: FixedPosition[] = []
  for (const { part } of lpParts(universe, scores, policy, opts)) {
    if ('nCols' in part) blocks.push(part)
    else fixed.push(part)
  }
  return { blocks, fixed, missing: missingPositions(universe, policy) }
}

/** One managed position and its part of the model: its LP block, or the reason it is left as it is. */
export interface LpPart {
  pos: Position
  part: LpBlock | FixedPosition
}

/**
 * The model position by position, in the order of managedPositions, built as it is read: buildLp collects the parts,
 * planAllocation plans each block as it comes, so that a block and its solution die young instead of living through
 * the whole plan (at bench size that is most of what the garbage collector copies, promotes and marks).
 */
export function* lpParts(universe: Universe, scores: UniverseScores, policy: Policy, opts: BuildLpOptions = {}): Generator<LpPart> {
  const ctx = buildContext(universe, scores, policy, opts)
  for (const pos of managedPositions(universe.positions, policy)) {
    if (!isSteerable(pos)) {
      yield { pos, part: { position: pos.id, reason: `${pos.kind} delegator: nothing is settable by the curator`, forced: [] } }
      continue
    }
    yield { pos, part: buildBlock(ctx, pos) }
  }
}

/** Vaults the policy manages that are not in the universe (sorted). */
export function missingPositions(universe: Universe, policy: Policy): string[] {
  const present = new Set(managedPositions(universe.positions, policy).map((p) => p.vault.toLowerCase()))
  return policy.positions
    .map((p) => p.vault)
    .filter((v) => !present.has(v) && !universe.positions.some((p) => p.id.toLowerCase() === v))
    .sort()
}

/** The LP block of one steerable managed position, or the position as fixed when it has no allocatable stake. */
function buildBlock(ctx: BuildContext, pos: Position): LpBlock | FixedPosition {
  const { policy, svcIds, opIds, nS, sIdx, oIdx } = ctx
  const m = policy.minOperatorsPerService
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
    return { position: pos.id, reason: (pos.inFlightStake ?? 0n) > 0n ? 'no allocatable stake (the rest is in flight)' : 'no active stake', forced }
  }
  const scale = Number(A)
  const posSvc: (PositionService | undefined)[] = new Array(nS).fill(undefined)
  for (const ps of pos.services) {
    const si = sIdx.get(ps.service.toLowerCase())
    if (si !== undefined) posSvc[si] = ps
  }
  const optedIn = [...new Set(pos.operatorsOptedIn.map((o) => oIdx.get(o.toLowerCase())).filter((x): x is number => x !== undefined))].sort((x, y) => x - y)
  const stamp = ++ctx.stamp
  // Opted-in operators are stamped too (opStamp), so "opted into the vault" is one array read.
  for (const oi of optedIn) ctx.opStamp[oi] = stamp
  for (const pid of current.keys()) {
    const k = edgeOf(ctx, Math.floor(pid / nS), pid % nS)
    if (k >= 0) ctx.curStamp[k] = stamp
  }

  // Candidate pairs: every eligible (service, operator) plus every pair holding stake. An eligible pair is always met
  // in the first loop (operator opted in, service of the operator and of the vault), in operator then service order.
  // Candidates as parallel arrays (struct of arrays, no object per candidate), indexed by candidate number, sized for
  // the most there can be (every service of every opted-in operator, plus every pair holding stake).
  let maxC = current.size
  const { opSvcStart, opSvcIdx } = ctx
  for (const oi of optedIn) maxC += (opSvcStart[oi + 1] as number) - (opSvcStart[oi] as number)
  // (Scratch of the call's arena: every entry below nC is written before it is read.)
  const { arena } = ctx
  const cSi = arena.scratchI32(S_SI, maxC)
  const cOi = arena.scratchI32(S_OI, maxC)
  const cUp = arena.scratchI32(S_UP, maxC)
  // The pair figures, copied here while candidates come operator by operator (adjacent in the edge-indexed arrays): the
  // pairs below are written service by service, where reading the edge-indexed arrays would stride across them.
  const cValue = arena.scratchF64(S_VALUE, maxC)
  const cLoss = arena.scratchF64(S_LOSS, maxC)
  const cLossFactor = arena.scratchF64(S_LOSSFACTOR, maxC)
  const cProb = arena.scratchF64(S_PROB, maxC)
  const cScore = arena.scratchI32(S_SCORE, maxC)
  // Whether the candidate holds stake after forced moves (x0 > 0), for the admission order without a bigint compare.
  const cHeld = arena.scratchI32(S_HELD, maxC)
  // (The two bigint columns are plain arrays kept in the context and reused block after block, like the scratch.)
  const cX0 = ctx.candX0
  const cCur = ctx.candCur
  let nC = 0
  // Pair (si, oi) with its edge k (−1: the operator is not opted into the service) and its current stake.
  const consider = (si: number, oi: number, k: number, cur: bigint) => {
    const why = whyNot(ctx, posSvc, si, oi, k, stamp)
    if (why !== undefined) {
      const s = svcIds[si] as ServiceId
      const o = opIds[oi] as Address
      const h = ctx.svInsecure[si]
      // Exits the policy orders by name (deny and allow lists, redistributing sets, a service whose ρ < 1 "treated
      // like a deny-listed one") carry their cause: the drain guard lets them through.
      const listed = ctx.svDeny.has(s) || ctx.opDeny.has(o) || ctx.redistributing.has(s) || (ctx.svAllow !== undefined && !ctx.svAllow.has(s)) || (ctx.opAllow !== undefined && !ctx.opAllow.has(o))
      const cause = listed ? ('denyList' as const) : h !== undefined && why === h.message ? ('insecureService' as const) : undefined
      if (cur > 0n) forced.push({ service: s, operator: o, from: cur, to: 0n, reason: why, ...(cause ? { cause } : {}) })
      if (h !== undefined && why === h.message) holds.set(h.subject, h)
      return
    }
    let x0Wei = cur
    let canIncrease = (ctx.eValue[k] as number) > 0
    const held = ctx.opHeld[oi]
    if (held !== undefined && canIncrease) {
      canIncrease = false
      holds.set(held.subject, held)
    }
    if (ctx.derisk.length > 0) {
      const s = svcIds[si] as ServiceId
      const o = opIds[oi] as Address
      const d = deriskFor(ctx.derisk, s, o)
      if (d !== undefined) {
        const to = d.response === 'zero-out' ? 0n : cur / 2n
        if (cur > to) forced.push({ service: s, operator: o, from: cur, to, reason: d.reason ?? `slash response: ${d.response}`, cause: 'slashResponse' })
        x0Wei = to
        canIncrease = false
      }
    }
    if (x0Wei === 0n && !canIncrease) return
    cSi[nC] = si
    cOi[nC] = oi
    cValue[nC] = ctx.eValue[k] as number
    cLoss[nC] = ctx.eLoss[k] as number
    cLossFactor[nC] = ctx.eLossFactor[k] as number
    cProb[nC] = ctx.eProb[k] as number
    cScore[nC] = ctx.eScore[k] as number
    cX0[nC] = x0Wei
    cHeld[nC] = x0Wei > 0n ? 1 : 0
    cCur[nC] = cur
    cUp[nC++] = canIncrease ? 1 : 0
  }
  for (const oi of optedIn)
    for (let k = opSvcStart[oi] as number; k < (opSvcStart[oi + 1] as number); k++) {
      const si = opSvcIdx[k] as number
      if (posSvc[si] !== undefined) consider(si, oi, k, ctx.curStamp[k] === stamp ? (current.get(oi * nS + si) ?? 0n) : 0n)
    }
  // Then the pairs holding stake that the loop above did not meet (it meets every edge of an opted-in operator on a
  // service of the vault).
  for (const pid of [...current.keys()].sort((x, y) => x - y)) {
    const si = pid % nS
    const oi = Math.floor(pid / nS)
    const k = edgeOf(ctx, oi, si)
    if (k >= 0 && ctx.opStamp[oi] === stamp && posSvc[si] !== undefined) continue
    consider(si, oi, k, current.get(pid) ?? 0n)
  }

  // Compounded slash probability filter per operator (see module comment). Candidates come grouped by operator in
  // ascending order; admitted pairs are then counted and placed by service (a stable counting sort), which leaves them
  // in (service, operator) order.
  const admitted = arena.scratchI32(S_ADMITTED, maxC)
  const pMax = policy.maxCompoundedSlashProbability
  // Admission order within an operator: pairs holding stake first, then by net value (descending), then by service.
  // (A sign, never a float difference: a float returned from a call that is not inlined is a heap number per call.)
  const before = (x: number, y: number): number => {
    const held = (cHeld[y] as number) - (cHeld[x] as number)
    if (held !== 0) return held
    const vx = cValue[x] as number
    const vy = cValue[y] as number
    if (vy > vx) return 1
    if (vy < vx) return -1
    return (cSi[x] as number) - (cSi[y] as number)
  }
  const ofOp: number[] = []
  for (let a = 0; a < nC; ) {
    let b = a + 1
    while (b < nC && cOi[b] === cOi[a]) b++
    ofOp.length = 0
    for (let c = a; c < b; c++) {
      ofOp.push(c)
      admitted[c] = 0
    }
    // An operator has a few candidates (its services): insertion sort, no allocation; the order is total (one candidate
    // per service), so it is the order any sort gives.
    for (let i = 1; i < ofOp.length; i++) {
      const v = ofOp[i] as number
      let k = i - 1
      while (k >= 0 && before(ofOp[k] as number, v) > 0) {
        ofOp[k + 1] = ofOp[k] as number
        k--
      }
      ofOp[k + 1] = v
    }
    let survive = 1
    for (const c of ofOp) {
      const si = cSi[c] as number
      const p = cProb[c] as number
      if (1 - survive * (1 - p) <= pMax + 1e-12) {
        survive *= 1 - p
        admitted[c] = 1
      } else if ((cCur[c] as bigint) > 0n) {
        const s = svcIds[si] as ServiceId
        const o = opIds[cOi[c] as number] as Address
        forced.push({ service: s, operator: o, from: cCur[c] as bigint, to: 0n, reason: `operator ${o}: securing service ${s} too would raise its compounded slash probability above ${pMax}` })
      }
    }
    a = b
  }
  forced.sort((a, b) => cmp(a.service, b.service) || cmp(a.operator, b.operator))

  // Pairs (service, operator order) as parallel arrays, the block's services (ascending) and operators (ascending).
  // svcEnd[si]: after the placement below, the end of service si's pairs in `order` (and the start of the next).
  const svcEnd = arena.scratchI32(S_SVCEND, nS).fill(0, 0, nS)
  for (let c = 0; c < nC; c++) if (admitted[c] === 1) svcEnd[cSi[c] as number]!++
  let nPairs = 0
  for (let si = 0; si < nS; si++) {
    const n = svcEnd[si] as number
    svcEnd[si] = nPairs
    nPairs += n
  }
  const order = arena.scratchI32(S_ORDER, nPairs)
  for (let c = 0; c < nC; c++) if (admitted[c] === 1) order[svcEnd[cSi[c] as number]!++] = c
  if (nPairs === 0) return emptyBlock(pos.id, A, scale, m, forced, mulFloor(A, policy.turnoverCapPerRun), sortedHolds(holds))
  const pairs = newPairs(nPairs, ctx.arena)
  const services: ServiceId[] = []
  const svcStart: number[] = []
  const opsSeen: number[] = []
  const pairOi = arena.scratchI32(S_PAIROI, nPairs)
  const hasGroups = ctx.groups.length > 0
  let j = 0
  for (let si = 0; si < nS; si++) {
    const from = si === 0 ? 0 : (svcEnd[si - 1] as number)
    const to = svcEnd[si] as number
    if (from === to) continue
    const ls = services.length
    services.push(svcIds[si] as ServiceId)
    svcStart.push(j)
    for (let k = from; k < to; k++) {
      const c = order[k] as number
      const oi = cOi[c] as number
      const x0Wei = cX0[c] as bigint
      if (ctx.opStamp[oi] !== -stamp) {
        ctx.opStamp[oi] = -stamp
        opsSeen.push(oi)
      }
      pairs.svc[j] = ls
      pairOi[j] = oi
      pairs.value[j] = cValue[c] as number
      pairs.loss[j] = cLoss[c] as number
      pairs.lossFactor[j] = cLossFactor[c] as number
      pairs.probability[j] = cProb[c] as number
      pairs.score[j] = cScore[c] as number
      pairs.x0[j] = x0Wei === 0n ? 0 : Number(x0Wei) / scale
      pairs.x0Wei[j] = x0Wei
      pairs.currentWei[j] = cCur[c] as bigint
      pairs.canIncrease[j] = cUp[c] as number
      pairs.groups[j] = hasGroups ? [] : NO_GROUPS
      j++
    }
  }
  svcStart.push(j)
  opsSeen.sort((x, y) => x - y)
  for (let k = 0; k < opsSeen.length; k++) ctx.opLocal[opsSeen[k] as number] = k
  for (let k = 0; k < nPairs; k++) pairs.op[k] = ctx.opLocal[pairOi[k] as number] as number
  const operators = opsSeen.map((oi) => opIds[oi] as Address)
  if (hasGroups)
    for (let k = 0; k < nPairs; k++) {
      const service = services[pairs.svc[k] as number] as string
      const operator = operators[pairs.op[k] as number] as string
      ctx.groups.forEach((_, g) => {
        const mem = ctx.groupMembers[g] as Set<string>
        if (mem.has(operator) || mem.has(service)) (pairs.groups[k] as number[]).push(g)
      })
    }
  const serviceOf = services.map((s) => posSvc[sIdx.get(s) as number] as PositionService)
  return assembleBlock({ position: pos.id, A, scale, policy, pairs, services, serviceOf, svcStart, operators, groups: ctx.groups, forced, holds: sortedHolds(holds), arena: ctx.arena })
}

// Scratch slots of the arena (lpArena.ts) used by buildBlock (lpMatrix.ts uses the ones below these).
const S_SI = 16
const S_OI = 17
const S_UP = 18
const S_PAIROI = 19
const S_SCORE = 20
const S_ADMITTED = 21
const S_SVCEND = 22
const S_ORDER = 23
const S_HELD = 24
const S_VALUE = 16
const S_LOSS = 17
const S_LOSSFACTOR = 18
const S_PROB = 19

/** Why a pair (with its edge k, −1 for none) may not receive stake in this position (undefined = eligible). */
function whyNot(ctx: BuildContext, posSvc: (PositionService | undefined)[], si: number, oi: number, k: number, stamp: number): string | undefined {
  if (posSvc[si] === undefined) return `service ${ctx.svcIds[si]} is not enabled for this vault`
  if (ctx.svBan[si] !== undefined) return ctx.svBan[si]
  if (ctx.opBan[oi] !== undefined) return ctx.opBan[oi]
  if (ctx.opStamp[oi] !== stamp) return `operator ${ctx.opIds[oi]} is not opted into the vault`
  if (k < 0) return `operator ${ctx.opIds[oi]} is not opted into service ${ctx.svcIds[si]}`
  if ((ctx.eScore[k] as number) < 0) return 'pair has no score'
  return undefined
}

function sortedHolds(holds: Map<string, SecurityHold>): SecurityHold[] {
  return [...holds.values()].sort((a, b) => cmp(a.constraint, b.constraint) || cmp(a.subject, b.subject))
}
