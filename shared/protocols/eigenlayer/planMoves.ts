/**
 * Pure: turns the domain plan of an EigenLayer position into move sagas. The domain plans (operator set, operator)
 * stakes; on EigenLayer a staker only chooses its operator, and a delegated token is exposed to every set of that
 * operator by the operator's magnitudes. So each operator's plan targets are projected back to delegated tokens:
 *
 *   target_o = current_o + Σ_s (t_{s,o} − x0_{s,o}) · maxMagnitude_o / Σ_s currentMagnitude_{o,s}
 *
 * (over the sets o is exposed to; an operator whose targets did not change keeps exactly its current stake). Stake
 * then moves from operators above target to operators below it, one move per source staker (one open withdrawal per
 * staker), each source sending to the operator it can fill the most. The wave acts under the domain's rule
 * (diffPlan): (plan gain − delay cost − gas) / available stake ≥ minNetGainBpsPerYear, where plan gain = the plan's
 * objective − the current objective of the position, delay cost = Σ amount · v_from over the withdrawal delay (stake
 * in flight earns nothing; v_o = Σ_s exposure_{o,s} · net value_{s,o} per delegated token per year), and gas =
 * steps × estimatedGasPerCall × gas price (the one-off gas charged against one year, as diffPlan does). A move whose
 * amount is below its own gas cost is dust and dropped.
 *
 * Deposit caps (StrategyBaseTVLLimits): a move re-deposits what it withdraws, so it never carries more than
 * `maxPerDeposit` (less 1 % headroom for the share price rising during the delay, {@link maxTokensPerMove}), and no move is planned while the strategy holds more than `maxTotalDeposits` (the cap was lowered
 * under its balance: every re-deposit would revert and leave the tokens idle).
 *
 * Approximation (docs/eigenlayer.md): the domain LP sees (set, operator) pairs as independent, while a delegated
 * token is exposed to all of its operator's sets at once; the projection keeps each operator's total planned
 * exposure, not the plan's per-set shape.
 */
import type { Address } from 'viem'
import { pct, short, units } from '../../domain/format.js'
import { type EigenLayerPositionDetails, type EigenLayerStakerState, maxTokensPerMove } from './types.js'

const YEAR = 365 * 86_400

/** Our delegation to one operator: now, what the plan asks for, and what a delegated token earns there. */
export interface OperatorDelegationTarget {
  operator: Address
  /** Our withdrawable tokens delegated to it now. */
  current: bigint
  /** The plan's (set, operator) targets projected back to delegated tokens. */
  target: bigint
  /** Net value per delegated token per year: Σ_s exposure_{o,s} · net value_{s,o}. */
  valuePerYear: number
}

/** One planned move (a saga): tokens of `from` (one staker) to `to` (a staker delegated, or to delegate, to its operator). */
export interface PlannedEigenLayerMove {
  from: { staker: Address; operator: Address }
  to: { staker: Address; operator: Address; fresh: boolean }
  /** Tokens to move at the read block (the saga re-reads the amount; a slash during the delay lowers it). */
  tokens: bigint
  /** Withdrawable shares to queue; absent = everything the staker holds. */
  shares?: bigint
  /** Net value per delegated token per year at the source and at the target operator. */
  valueFrom: number
  valueTo: number
  /** tokens · max(v_from, 0) over the withdrawal delay: yield given up while in flight, wei. */
  delayCost: number
  /** Steps × estimatedGasPerCall × gas price, wei. */
  gasCostWei: bigint
  reasons: string[]
}

/** A move the rules rejected, and why. */
export interface SkippedEigenLayerMove {
  from: { staker: Address; operator: Address }
  to: { operator: Address }
  tokens: bigint
  reason: string
}

/** Parameters of {@link planEigenLayerMoves}. */
export interface PlanEigenLayerMovesParameters {
  /** The position's EigenLayer facts at the read block. */
  details: Pick<EigenLayerPositionDetails, 'stakers' | 'operators' | 'minWithdrawalDelayBlocks' | 'depositCaps'>
  /** The plan's targets of this position (service, operator, planned stake, current stake). */
  targets: readonly { service: string; operator: string; stake: bigint; current: bigint }[]
  /** Net value per unit of allocated stake per year of a (service, operator) pair (the LP's coefficient), if scored. */
  pairValue: (service: string, operator: string) => number | undefined
  /** The position's available (allocatable) stake: the denominator of the bps threshold. */
  availableStake: bigint
  /** The plan's gain for the position: objective − current objective, wei per year. */
  planGainPerYear: number
  /** The withdrawal delay in seconds (blocks × block time). */
  delaySeconds: number
  minNetGainBpsPerYear: number
  estimatedGasPerCall: number
  gasPriceWei: bigint
  /** De-risk: ignore the gain threshold. */
  force?: boolean
  /** Stakers (lower-case) that already have an open move: not a source this time. */
  busy?: ReadonlySet<string>
  /** Undelegated stakers (lower-case) an open move will delegate → that operator. */
  reserved?: ReadonlyMap<string, Address>
  /** Configured pins: staker (lower-case) → the only operator it may delegate to. */
  pinned?: ReadonlyMap<string, Address>
  /** May stake go to this operator (allow/deny lists)? Default: yes. */
  allowed?: (operator: Address) => boolean
}

/** Result of {@link planEigenLayerMoves}. */
export interface PlanEigenLayerMovesReturnType {
  operators: OperatorDelegationTarget[]
  /** The wave to start (empty when it does not pass the threshold: then its moves are in `skipped`). */
  moves: PlannedEigenLayerMove[]
  /** The wave's figures: plan gain − delay cost − gas, in bps per year of the available stake. */
  gainPerYear: number
  delayCost: number
  gasCostWei: bigint
  netGainBpsPerYear: number
  /** Set when the wave does not act (`belowThreshold`), with the same words diffPlan uses. */
  skip?: { reason: 'belowThreshold'; detail: string }
  skipped: SkippedEigenLayerMove[]
  /** Deficits no staker of ours can receive (no staker delegated to the operator and no fresh staker left). */
  unplaced: { operator: Address; tokens: bigint; reason: string }[]
}

const lower = (a: string) => a.toLowerCase() as Address
const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const min = (a: bigint, b: bigint) => (a < b ? a : b)

/**
 * Projects the plan onto per-operator delegation targets and plans the moves that reach them.
 * @example planEigenLayerMoves({ details, targets: plan.positions[0].targets, pairValue, availableStake, delaySeconds: 600, minNetGainBpsPerYear: 1, estimatedGasPerCall: 80_000, gasPriceWei: 10n ** 9n })
 */
export function planEigenLayerMoves(p: PlanEigenLayerMovesParameters): PlanEigenLayerMovesReturnType {
  const { details } = p
  const busy = p.busy ?? new Set<string>()
  const reserved = p.reserved ?? new Map<string, Address>()
  const pinned = p.pinned ?? new Map<string, Address>()
  const allowed = p.allowed ?? (() => true)
  const opState = new Map(details.operators.map((o) => [lower(o.address), o]))

  // Per operator: our current delegated tokens, the plan's change in allocation units, and the projection.
  const current = new Map<Address, bigint>()
  for (const s of details.stakers) if (s.operator) current.set(lower(s.operator), (current.get(lower(s.operator)) ?? 0n) + s.withdrawableTokens)
  const planned = new Set(p.targets.map((t) => lower(t.operator)))
  const operators: OperatorDelegationTarget[] = [...new Set([...current.keys(), ...planned.keys()])].sort(cmpStr).map((o) => {
    const st = opState.get(o)
    const cur = current.get(o) ?? 0n
    // Sets the operator exposes delegated stake to now (current magnitude > 0).
    const sets = (st?.sets ?? []).filter((x) => x.slashable && x.currentMagnitude > 0n)
    const mags = sets.reduce((a, x) => a + x.currentMagnitude, 0n)
    const valuePerYear = st && st.maxMagnitude > 0n ? sets.reduce((a, x) => a + (Number(x.currentMagnitude) / Number(st.maxMagnitude)) * (p.pairValue(x.service, o) ?? 0), 0) : 0
    // Only changes on sets that hold exposure translate into delegation (a target on a set without magnitude cannot).
    const delta = planned.has(o) && st && mags > 0n ? p.targets.filter((t) => lower(t.operator) === o && sets.some((x) => x.service === t.service.toLowerCase())).reduce((a, t) => a + t.stake - t.current, 0n) : 0n
    const proj = st && mags > 0n ? cur + (delta * st.maxMagnitude) / mags : cur
    return { operator: o, current: cur, target: proj > 0n ? proj : 0n, valuePerYear }
  })
  const byOp = new Map(operators.map((o) => [o.operator, o]))
  const value = (o: Address) => byOp.get(o)?.valuePerYear ?? 0

  const surplus = new Map<Address, bigint>()
  const deficit = new Map<Address, bigint>()
  for (const o of operators) {
    if (o.current > o.target) surplus.set(o.operator, o.current - o.target)
    else if (o.target > o.current && allowed(o.operator) && opState.get(o.operator)?.isOperator) deficit.set(o.operator, o.target - o.current)
  }

  // Target stakers: ours already on the operator (most stake first), else one reserved for it, else a fresh one.
  const freshTaken = new Map<string, Address>()
  const isFresh = (s: EigenLayerStakerState) => s.operator === null && s.depositShares === 0n && s.queued.length === 0
  // Picks without taking: a fresh staker is taken only when its move is accepted.
  const targetStaker = (op: Address): { staker: Address; fresh: boolean } | undefined => {
    const on = details.stakers
      .filter((s) => s.operator !== null && lower(s.operator) === op)
      .sort((a, b) => (a.withdrawableTokens === b.withdrawableTokens ? cmpStr(lower(a.address), lower(b.address)) : a.withdrawableTokens > b.withdrawableTokens ? -1 : 1))[0]
    if (on) return { staker: lower(on.address), fresh: false }
    const pending = details.stakers.find((s) => isFresh(s) && (reserved.get(lower(s.address)) === op || freshTaken.get(lower(s.address)) === op))
    if (pending) return { staker: lower(pending.address), fresh: true }
    const fresh = details.stakers
      .filter((s) => isFresh(s) && !reserved.has(lower(s.address)) && !freshTaken.has(lower(s.address)))
      .filter((s) => pinned.get(lower(s.address)) === undefined || lower(pinned.get(lower(s.address))!) === op)
      .sort((a, b) => cmpStr(lower(a.address), lower(b.address)))[0]
    return fresh ? { staker: lower(fresh.address), fresh: true } : undefined
  }

  const moves: PlannedEigenLayerMove[] = []
  const skipped: SkippedEigenLayerMove[] = []
  const unplaced = new Map<Address, string>()
  const sources = details.stakers
    .filter((s) => s.operator !== null && surplus.has(lower(s.operator)) && s.withdrawableTokens > 0n && !busy.has(lower(s.address)))
    .sort((a, b) => value(lower(a.operator!)) - value(lower(b.operator!)) || (a.withdrawableTokens === b.withdrawableTokens ? cmpStr(lower(a.address), lower(b.address)) : a.withdrawableTokens > b.withdrawableTokens ? -1 : 1))
  const caps = details.depositCaps
  const overTotal = caps !== undefined && caps.strategyBalance > caps.maxTotalDeposits
  const perMove = maxTokensPerMove(caps)
  for (const src of sources) {
    const fromOp = lower(src.operator!)
    const movable = min(surplus.get(fromOp) ?? 0n, src.withdrawableTokens)
    if (movable <= 0n) continue
    if (overTotal) {
      const reason = `deposit cap: the strategy holds ${units(caps.strategyBalance)}, over its maxTotalDeposits ${units(caps.maxTotalDeposits)}; a re-deposit would revert (BalanceExceedsMaxTotalDeposits) and leave the tokens idle`
      skipped.push({ from: { staker: lower(src.address), operator: fromOp }, to: { operator: fromOp }, tokens: movable, reason })
      continue
    }
    const cap = perMove !== undefined ? min(movable, perMove) : movable
    // The operator this staker can fill the most (ties: higher value, then address).
    const candidates = [...deficit.entries()].filter(([, d]) => d > 0n).sort((a, b) => (min(cap, b[1]) === min(cap, a[1]) ? value(b[0]) - value(a[0]) || cmpStr(a[0], b[0]) : min(cap, b[1]) > min(cap, a[1]) ? 1 : -1))
    for (const [toOp, need] of candidates) {
      const tokens = min(cap, need)
      const to = targetStaker(toOp)
      if (!to) {
        unplaced.set(toOp, `no staker of ours is delegated to ${toOp} and no fresh staker is left (add a staker account)`)
        continue
      }
      const from = { staker: lower(src.address), operator: fromOp }
      const steps = to.fresh ? 6n : 5n // queue, complete, transfer, (delegate,) approve, deposit
      const gasCostWei = steps * BigInt(p.estimatedGasPerCall) * p.gasPriceWei
      if (tokens <= gasCostWei) {
        skipped.push({ from, to: { operator: toOp }, tokens, reason: `dust: ${units(tokens)} is below the gas of its ${steps} txs (${units(gasCostWei)})` })
        continue
      }
      const [vFrom, vTo] = [value(fromOp), value(toOp)]
      const delayCost = (Number(tokens) * Math.max(vFrom, 0) * p.delaySeconds) / YEAR
      const all = tokens >= src.withdrawableTokens
      const shares = all || src.withdrawableTokens === 0n ? undefined : (tokens * src.withdrawableShares) / src.withdrawableTokens
      const [fromT, toT] = [byOp.get(fromOp)!, byOp.get(toOp)!]
      moves.push({
        from,
        to: { staker: to.staker, operator: toOp, fresh: to.fresh },
        tokens,
        ...(shares !== undefined ? { shares } : {}),
        valueFrom: vFrom,
        valueTo: vTo,
        delayCost,
        gasCostWei,
        reasons: [
          `operator ${short(fromOp)}: ${units(fromT.current)} delegated, plan ${units(fromT.target)} (its operator-set targets ÷ its exposure); a delegated token nets ${pct(vFrom)}/yr there`,
          `operator ${short(toOp)}: ${units(toT.current)} delegated, plan ${units(toT.target)}; nets ${pct(vTo)}/yr${to.fresh ? ` (fresh staker ${short(to.staker)} delegates to it)` : ''}`,
          ...(caps !== undefined && tokens === perMove && movable > tokens
            ? [`capped at ${units(tokens)}: the strategy's maxPerDeposit ${units(caps.maxPerDeposit)} (StrategyBaseTVLLimits) less 1 % for the share price during the delay; the rest moves in a later wave`]
            : []),
          `in flight for ${details.minWithdrawalDelayBlocks} blocks (${(p.delaySeconds / 3600).toFixed(2)} h), earning nothing: −${units(BigInt(Math.round(delayCost)))}; gas ${units(gasCostWei)} for ${steps} txs`,
        ],
      })
      if (to.fresh) freshTaken.set(to.staker, toOp)
      surplus.set(fromOp, (surplus.get(fromOp) ?? 0n) - tokens)
      deficit.set(toOp, need - tokens)
      unplaced.delete(toOp)
      break // one move per source staker
    }
  }

  // The wave under the domain's threshold (diffPlan): plan gain − what in-flight stake gives up − gas.
  const delayCost = moves.reduce((a, m) => a + m.delayCost, 0)
  const gasCostWei = moves.reduce((a, m) => a + m.gasCostWei, 0n)
  const A = p.availableStake
  const netGainBpsPerYear = A > 0n ? ((p.planGainPerYear - delayCost - Number(gasCostWei)) / Number(A)) * 1e4 : 0
  let skip: PlanEigenLayerMovesReturnType['skip']
  if (moves.length > 0 && !p.force && netGainBpsPerYear < p.minNetGainBpsPerYear) {
    const detail = `net gain ${netGainBpsPerYear.toFixed(3)} bps/yr (plan gain ${units(BigInt(Math.round(Math.max(p.planGainPerYear, 0))))}/yr − in flight ${units(BigInt(Math.round(delayCost)))} − gas ${units(gasCostWei)} for ${moves.length} move${moves.length === 1 ? '' : 's'}) is below minNetGainBpsPerYear ${p.minNetGainBpsPerYear}`
    skip = { reason: 'belowThreshold', detail }
    skipped.push(...moves.map((m) => ({ from: m.from, to: { operator: m.to.operator }, tokens: m.tokens, reason: detail })))
    moves.length = 0
  } else
    for (const m of moves)
      m.reasons.push(
        `wave: plan gain ${units(BigInt(Math.round(Math.max(p.planGainPerYear, 0))))}/yr − in flight ${units(BigInt(Math.round(delayCost)))} − gas ${units(gasCostWei)} = ${netGainBpsPerYear.toFixed(3)} bps/yr${p.force ? ' (de-risk: threshold not applied)' : ` ≥ minNetGainBpsPerYear ${p.minNetGainBpsPerYear}`}`,
      )
  return {
    operators,
    moves,
    gainPerYear: p.planGainPerYear,
    delayCost,
    gasCostWei,
    netGainBpsPerYear,
    ...(skip ? { skip } : {}),
    skipped,
    unplaced: [...unplaced.entries()].filter(([o]) => (deficit.get(o) ?? 0n) > 0n).map(([operator, reason]) => ({ operator, tokens: deficit.get(operator) ?? 0n, reason })),
  }
}
