/**
 * Diff: plan targets → the minimal, ordered list of curator calls, and the decision to act or skip.
 *
 * Calls per delegator kind (docs/protocols.md, "Curator calls"):
 * - network-restake (NRD): setNetworkLimit(subnetwork) + setOperatorNetworkShares(subnetwork, op);
 *   shares are set to the target stake and the limit to Σ targets, so stake = shares·min(A, NL)/Σshares
 *   equals the target exactly;
 * - full-restake (FRD): setNetworkLimit + setOperatorNetworkLimit(subnetwork, op) = target;
 * - operator-specific: setNetworkLimit only; operator-network-specific and EigenLayer stakers: none
 *   (EigenLayer moves are sagas handled by shared/chain).
 * A call is emitted only when the value changes (the contracts revert `AlreadySet` otherwise), so the
 * number of transactions equals the number of changed on-chain parameters.
 *
 * Order (no intermediate state exceeds max(current, target) for any (service, operator) stake):
 *   1. network limits down      — every stake in the service can only fall
 *   2. FRD operator limits down — only that operator's stake falls
 *   3. NRD shares up            — raising one operator's shares dilutes the others (their stake falls)
 *   4. NRD shares down          — lowering shares raises the others' stake, but by now the total
 *                                 shares are ≥ their final value and the limit ≤ its final value, so
 *                                 every stake stays ≤ its target (shares are stake-scaled)
 *   5. FRD operator limits up
 *   6. network limits up        — last, so no stake is exposed before its shares/limits are in place
 * (Share decreases before share increases — "operators leaving first" — would let the remaining
 * operators' stake jump above target while totalShares is small; see test/unit/diff.test.ts.)
 *
 * Gain threshold: act only if (objective − currentObjective − gas) / Σ activeStake · 1e4 ≥
 * minNetGainBpsPerYear, where gas = #calls × estimatedGasPerCall × gasPrice. Collateral is assumed
 * ETH-denominated (1 wei of collateral = 1 wei of gas) and the one-off gas is charged against one
 * year of gain (conservative). A gas price above the policy cap skips with `gasTooHigh` — the
 * executor would not pay more anyway. De-risk runs (opts.force, or a plan that removes stake the
 * policy forbids: deny lists, lost eligibility, slash response) ignore the cooldown and the gain
 * threshold.
 */
import type { Address, Position, ServiceId, Universe } from '../../domain/types.js'
import type { Policy } from '../../domain/policy.js'
import type { Plan, PositionPlan } from '../../domain/plan.js'
import { cmp, short, units } from '../../domain/format.js'
import { pairKey } from '../../domain/score.js'
import { type Decision as GenericDecision, type DecisionStep, type SkipReason, gweiToWei } from '../../domain/decision.js'

export { gweiToWei }

/** The curator setters the bot calls. */
export type ActionKind = 'setNetworkLimit' | 'setOperatorNetworkShares' | 'setOperatorNetworkLimit'

/** One curator call: set a parameter from `from` to `to`. */
export interface Action extends DecisionStep {
  kind: ActionKind
  /** Delegator contract the call goes to. */
  delegator: Address
  /** Subnetwork (bytes32). */
  service: ServiceId
  from: bigint
  to: bigint
}

/** A Symbiotic decision: its steps are curator calls. */
export type Decision = GenericDecision<Action>
export type { SkipReason }

/** Options of {@link diffPlan}. */
export interface DiffOptions {
  /** Unix seconds. */
  now: bigint
  /** Unix seconds of the last successful rebalance (for the cooldown). */
  lastRebalanceAt?: bigint
  /** Current gas price (max fee per gas) in wei; defaults to the policy cap (conservative). */
  gasPriceWei?: bigint
  /** De-risk run: ignore cooldown and gain threshold. */
  force?: boolean
}

const PHASE: Record<string, number> = {
  'setNetworkLimit:down': 1,
  'setOperatorNetworkLimit:down': 2,
  'setOperatorNetworkShares:up': 3,
  'setOperatorNetworkShares:down': 4,
  'setOperatorNetworkLimit:up': 5,
  'setNetworkLimit:up': 6,
}

/** Execution phase of an action (1–6, see the module comment). */
export function actionPhase(a: Pick<Action, 'kind' | 'from' | 'to'>): number {
  return PHASE[`${a.kind}:${a.to < a.from ? 'down' : 'up'}`] as number
}

/**
 * Turns a plan into the calls to send, or a reason to skip.
 * @param universe the universe the plan was made from (current on-chain values)
 * @param plan planAllocation output
 * @param policy validated policy (threshold, gas, cooldown)
 * @param opts now, last rebalance time, gas price, force
 */
export function diffPlan(universe: Universe, plan: Plan, policy: Policy, opts: DiffOptions): Decision {
  const actions: Action[] = []
  const byId = new Map(universe.positions.map((p) => [p.id, p]))
  let derisk = opts.force === true
  for (const pp of plan.positions) {
    const pos = byId.get(pp.position)
    if (pos === undefined || !pp.steerable) continue
    const posActions = positionActions(pp, pos, plan)
    if (posActions.length > 0 && (pp.forced.some((f) => f.to < f.from) || pp.takeover !== undefined)) derisk = true
    actions.push(...posActions)
  }
  actions.sort((a, b) => actionPhase(a) - actionPhase(b) || cmp(a.position, b.position) || cmp(a.service, b.service) || cmp(a.operator ?? '', b.operator ?? ''))
  if (actions.length === 0) return { kind: 'skip', reason: 'noChange', detail: 'every on-chain parameter already equals the plan' }

  const cap = gweiToWei(policy.gas.maxFeePerGasGwei)
  const gasPrice = opts.gasPriceWei ?? cap
  const gasCostWei = BigInt(actions.length) * BigInt(policy.gas.estimatedGasPerCall) * gasPrice
  const gain = plan.objectivePerYear - plan.currentObjectivePerYear
  const stake = plan.positions.filter((p) => p.steerable).reduce((a, p) => a + p.activeStake, 0n)
  const netBps = stake > 0n ? ((gain - Number(gasCostWei)) / Number(stake)) * 1e4 : 0
  const fmtGwei = (w: bigint) => `${Number(w) / 1e9} gwei`

  if (gasPrice > cap)
    return {
      kind: 'skip',
      reason: 'gasTooHigh',
      detail: `gas price ${fmtGwei(gasPrice)} is above the policy cap ${fmtGwei(cap)}${derisk ? ' (a de-risk is pending: it will be sent as soon as gas is below the cap)' : ''}`,
    }
  if (!derisk && opts.lastRebalanceAt !== undefined) {
    const next = opts.lastRebalanceAt + BigInt(policy.cooldownSeconds)
    if (opts.now < next) return { kind: 'skip', reason: 'cooldown', detail: `last rebalance at ${opts.lastRebalanceAt}; cooldown of ${policy.cooldownSeconds} s ends at ${next} (${next - opts.now} s from now)` }
  }
  if (!derisk && netBps < policy.minNetGainBpsPerYear)
    return {
      kind: 'skip',
      reason: 'belowThreshold',
      detail: `net gain ${netBps.toFixed(3)} bps/yr (gain ${units(BigInt(Math.round(Math.max(gain, 0))))}/yr − gas ${units(gasCostWei)} for ${actions.length} call${actions.length === 1 ? '' : 's'}) is below minNetGainBpsPerYear ${policy.minNetGainBpsPerYear}`,
    }
  return { kind: 'act', actions, gainPerYear: gain, gasCostWei, netGainBpsPerYear: netBps, derisk }
}

interface AllocLike {
  service: string
  operator: string
  shares: bigint
  operatorLimit: bigint
  stake: bigint
}

function positionActions(pp: PositionPlan, pos: Position, plan: Plan): Action[] {
  const out: Action[] = []
  const sym = pos.symbiotic
  if (sym === undefined) return out
  const kind = sym.delegatorKind
  if (kind !== 'network-restake' && kind !== 'full-restake' && kind !== 'operator-specific') return out
  const reasons = reasonIndex(pp, plan)
  // The universe is the source of truth for current values (the plan's copy is for display).
  const onChain = new Map(pos.services.map((s) => [s.service.toLowerCase(), s.networkLimit]))
  for (const nl of pp.networkLimits) {
    const from = onChain.get(nl.service) ?? nl.current
    if (nl.limit === from) continue
    out.push({
      kind: 'setNetworkLimit',
      position: pp.position,
      delegator: sym.delegator,
      service: nl.service,
      from,
      to: nl.limit,
      description: `setNetworkLimit(${short(nl.service)}) on ${short(sym.delegator)}: ${units(from)} → ${units(nl.limit)}`,
      reasons: [
        `service ${short(nl.service)}: network limit ${units(from)} → ${units(nl.limit)} (Σ of its operator targets)`,
        ...(nl.reason ? [nl.reason] : []),
        ...reasons.service(nl.service),
        ...(nl.limit < from ? reasons.residual(nl.service) : []),
        ...reasons.position,
      ],
    })
  }
  if (kind === 'operator-specific') return out
  const cur = new Map<string, AllocLike>()
  for (const a of pos.allocations) cur.set(pairKey(a.service.toLowerCase(), a.operator.toLowerCase()), a)
  const keepShares = kind === 'network-restake' ? servicesWhoseSharesAlreadyFit(pp, pos) : new Set<string>()
  for (const t of pp.targets) {
    if (keepShares.has(t.service)) continue
    const a = cur.get(pairKey(t.service, t.operator))
    const from = kind === 'network-restake' ? (a?.shares ?? 0n) : (a?.operatorLimit ?? 0n)
    if (from === t.stake) continue
    out.push({
      kind: kind === 'network-restake' ? 'setOperatorNetworkShares' : 'setOperatorNetworkLimit',
      position: pp.position,
      delegator: sym.delegator,
      service: t.service,
      operator: t.operator,
      from,
      to: t.stake,
      description: `${kind === 'network-restake' ? 'setOperatorNetworkShares' : 'setOperatorNetworkLimit'}(${short(t.service)}, ${short(t.operator)}) on ${short(sym.delegator)}: ${units(from)} → ${units(t.stake)}`,
      reasons: [`operator ${short(t.operator)} in service ${short(t.service)}: stake ${units(t.current)} → ${units(t.stake)}${kind === 'network-restake' ? ' (shares = target stake)' : ''}`, ...reasons.pair(t.service, t.operator)],
    })
  }
  return out
}

/**
 * NetworkRestakeDelegator services whose CURRENT operator shares already give every target exactly under the
 * planned network limit (`shares·min(activeStake, limit)/totalShares = target`, integer division as on chain),
 * and where no operator planned out still holds shares: their shares are left alone, so a rebalance that only rescales a service costs one call, not one per operator.
 */
function servicesWhoseSharesAlreadyFit(pp: PositionPlan, pos: Position): Set<string> {
  const keep = new Set<string>()
  const limits = new Map(pp.networkLimits.map((l) => [l.service.toLowerCase(), l.limit]))
  const targets = new Map<string, Map<string, bigint>>()
  for (const t of pp.targets) {
    const m = targets.get(t.service) ?? targets.set(t.service, new Map()).get(t.service)!
    m.set(t.operator.toLowerCase(), t.stake)
  }
  for (const [service, byOp] of targets) {
    const limit = limits.get(service)
    if (limit === undefined) continue
    const held = pos.allocations.filter((a) => a.service.toLowerCase() === service && a.shares > 0n)
    const total = held.reduce((a, x) => a + x.shares, 0n)
    if (total === 0n) continue
    const base = pos.activeStake < limit ? pos.activeStake : limit
    const operators = new Set([...byOp.keys(), ...held.map((a) => a.operator.toLowerCase())])
    let fits = true
    for (const op of operators) {
      const shares = held.find((a) => a.operator.toLowerCase() === op)?.shares ?? 0n
      const target = byOp.get(op) ?? 0n
      // An operator planned out must lose its shares too, or a later limit raise would hand it stake again.
      if ((target === 0n && shares > 0n) || (shares * base) / total !== target) {
        fits = false
        break
      }
    }
    if (fits) keep.add(service)
  }
  return keep
}

/** Collects, per position, the plain-words reasons for services, pairs and the position as a whole. */
function reasonIndex(pp: PositionPlan, plan: Plan) {
  const binding = plan.binding.filter((b) => b.position === pp.position)
  const forced = new Map<string, string[]>()
  for (const f of pp.forced) {
    const k = pairKey(f.service, f.operator)
    forced.set(k, [...(forced.get(k) ?? []), `forced to ${units(f.to)}: ${f.reason}`])
  }
  const position = binding.filter((b) => b.subject === '').map((b) => b.message)
  return {
    position,
    service: (s: string) => {
      const out = binding.filter((b) => b.subject === s).map((b) => b.message)
      for (const f of pp.forced) if (f.service === s && f.to < f.from) out.push(`operator ${short(f.operator)} removed: ${f.reason}`)
      return [...new Set(out)]
    },
    pair: (s: string, o: string) => {
      const out: string[] = [...(forced.get(pairKey(s, o)) ?? [])]
      for (const b of binding) {
        if (b.subject === o || b.subject === pairKey(s, o)) out.push(b.message)
      }
      const tg = pp.targets.find((t) => t.service === s && t.operator === o)
      if (tg?.reason) out.push(tg.reason)
      const res = pp.residualExposure.find((r) => r.service === s && r.operator === o)
      if (res) out.push(`${units(res.stake)} removed stays slashable until ${res.until} (one epoch)`)
      return out
    },
    residual: (s: string) => {
      const r = pp.residualExposure.filter((x) => x.service === s)
      if (r.length === 0) return []
      const total = r.reduce((a, x) => a + x.stake, 0n)
      return [`${units(total)} removed from service ${short(s)} stays slashable until ${r[0]?.until} (one epoch)`]
    },
  }
}
