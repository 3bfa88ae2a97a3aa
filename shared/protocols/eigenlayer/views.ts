/** What the console and the run record show of EigenLayer positions: staker and saga views, the merged universe, move lines. */
import type { Address } from 'viem'
import { ConfigError } from '../../config/config.js'
import type { Universe } from '../../domain/index.js'
import type { AdapterContext } from '../types.js'
import type { PlannedEigenLayerMove } from './planMoves.js'
import { type ReadEigenLayerUniverseReturnType, readEigenLayerUniverse } from './reader.js'
import type { EigenLayerMoveRecord } from './saga.js'
import { eigenLayerEvents } from './source.js'
import type { EigenLayerPositionDetails } from './types.js'

/** One staker of ours as the live view shows it. */
export interface EigenLayerStakerView {
  staker: Address
  label: string
  operator: Address | null
  withdrawable: bigint
  /** Queued withdrawals, plus completed ones not yet re-deposited by a saga: earning nothing. */
  inFlight: bigint
  /** The plan's delegation target for the staker's operator (all our stakers on it together), when planned. */
  operatorTarget?: bigint
}

/** One open move saga as the live view shows it. */
export interface EigenLayerSagaView {
  sagaId: string
  status: string
  step: string
  from: { staker: Address; operator: Address }
  to: { staker: Address; operator: Address }
  /** Tokens in the move: received if completed, else expected at queue, else requested (null = all). */
  tokens: bigint | null
  completableAtBlock?: bigint
}

/** One EigenLayer position after the run. */
export interface EigenLayerPositionView {
  position: string
  label: string
  strategy: Address
  blockNumber: bigint
  activeStake: bigint
  inFlightStake: bigint
  availableStake: bigint
  stakers: EigenLayerStakerView[]
  sagas: EigenLayerSagaView[]
}

/** One line for a move: amount, from, to (with labels), and its saga. */
export function describeMove(m: Pick<PlannedEigenLayerMove, 'from' | 'to' | 'tokens'>, l: (k: string) => string, sagaId?: string): string {
  return `move ${fmtTokens(m.tokens)} from ${l(m.from.staker)} (${l(m.from.operator)}) to ${l(m.to.staker)} (${l(m.to.operator)})${sagaId ? ` [saga ${sagaId}]` : ''}`
}

function fmtTokens(wei: bigint): string {
  const whole = wei / 10n ** 18n
  const frac = ((wei % 10n ** 18n) * 100n) / 10n ** 18n
  return `${whole}.${frac.toString().padStart(2, '0')}`
}

/** Reads every configured EigenLayer position (our stakers over one strategy each) at the latest block. */
export async function readPositions(ctx: Pick<AdapterContext, 'config' | 'client' | 'chainSync'>): Promise<ReadEigenLayerUniverseReturnType[]> {
  const el = ctx.config.eigenlayer!
  const reads: ReadEigenLayerUniverseReturnType[] = []
  // One EigenLayer source per chain: the first position's read syncs it, the others find it current.
  const events = eigenLayerEvents(ctx.client, ctx.chainSync, { chainId: ctx.config.chainId, fromBlock: BigInt(el.fromBlock ?? 0) })
  for (const p of el.positions)
    reads.push(
      await readEigenLayerUniverse(ctx.client, {
        delegationManager: el.delegationManager,
        strategyManager: el.strategyManager,
        allocationManager: el.allocationManager,
        rewardsCoordinator: el.rewardsCoordinator,
        strategy: p.strategy,
        stakers: p.stakers.map((s) => s.address),
        ...(p.id ? { positionId: p.id } : {}),
        labels: ctx.config.labels,
        fromBlock: BigInt(el.fromBlock ?? 0),
        rewardLookbackSeconds: ctx.config.rewardLookbackDays * 86_400,
        events,
        ...(el.secondsPerBlock ? { secondsPerBlock: el.secondsPerBlock } : {}),
      }),
    )
  return reads
}

/** Tokens a saga holds between `complete` and `deposit` (in a staker's wallet): in flight too, seen by no reader. */
function heldBySagas(strategy: Address, open: readonly EigenLayerMoveRecord[]): Map<string, bigint> {
  const held = new Map<string, bigint>()
  for (const s of open)
    if (s.state.strategy === strategy && s.state.received && !s.state.deposited) {
      const k = s.state.steps.transfer?.status === 'done' ? s.state.to.staker : s.state.from.staker
      held.set(k, (held.get(k) ?? 0n) + s.state.received.tokens)
    }
  return held
}

export function withHeldTokens(r: ReadEigenLayerUniverseReturnType, open: readonly EigenLayerMoveRecord[]): ReadEigenLayerUniverseReturnType {
  const held = [...inWallets(r.eigenlayer, open).values()].reduce((a, x) => a + x, 0n)
  if (held === 0n) return r
  const positions = r.universe.positions.map((p) => ({ ...p, activeStake: p.activeStake + held, inFlightStake: (p.inFlightStake ?? 0n) + held }))
  return { universe: { ...r.universe, positions }, eigenlayer: { ...r.eigenlayer, inFlightTokens: r.eigenlayer.inFlightTokens + held } }
}

/**
 * Tokens per staker account that are part of the position without being deposited: what open sagas hold between
 * `complete` and `deposit`, or the account's token balance when that is more (tokens sent to a staker Safe, or left by
 * a failed saga). Both are the same tokens in the same account, so each staker counts the larger, never the sum.
 */
function inWallets(d: EigenLayerPositionDetails, open: readonly EigenLayerMoveRecord[]): Map<string, bigint> {
  const held = heldBySagas(d.strategy, open)
  const out = new Map<string, bigint>()
  for (const s of d.stakers) {
    const n = (s.tokenBalance ?? 0n) > (held.get(s.address) ?? 0n) ? s.tokenBalance! : (held.get(s.address) ?? 0n)
    if (n > 0n) out.set(s.address, n)
  }
  for (const [k, v] of held) if (!out.has(k)) out.set(k, v)
  return out
}

/**
 * Idle tokens no open saga accounts for, per staker (its balance beyond what open sagas hold), for stakers with no
 * open move: the adapter deposits them back (`startEigenLayerDeposit`), so they are never lost track of.
 */
export function idleWalletTokens(d: EigenLayerPositionDetails, open: readonly EigenLayerMoveRecord[]): Map<Address, bigint> {
  const held = heldBySagas(d.strategy, open)
  const busy = new Set(open.filter((s) => s.state.strategy === d.strategy).flatMap((s) => [s.state.from.staker, s.state.to.staker]))
  const out = new Map<Address, bigint>()
  for (const s of d.stakers) {
    const idle = (s.tokenBalance ?? 0n) - (held.get(s.address) ?? 0n)
    if (idle > 0n && !busy.has(s.address)) out.set(s.address, idle)
  }
  return out
}

/** One universe from the positions' reads: services and operators deduplicated (an operator's stake summed over strategies). */
export function mergeUniverses(reads: readonly ReadEigenLayerUniverseReturnType[]): Universe {
  const [first, ...rest] = reads.map((r) => r.universe)
  if (!first) throw new ConfigError(['config.eigenlayer.positions is empty'])
  const services = new Map(first.services.map((s) => [s.id, s]))
  const operators = new Map(first.operators.map((o) => [o.address, o]))
  const positions = [...first.positions]
  for (const u of rest) {
    for (const s of u.services) if (!services.has(s.id)) services.set(s.id, s)
    for (const o of u.operators) {
      const prev = operators.get(o.address)
      operators.set(o.address, prev ? { ...prev, services: [...new Set([...prev.services, ...o.services])], totalRestakedStake: prev.totalRestakedStake + o.totalRestakedStake } : o)
    }
    positions.push(...u.positions)
  }
  return { ...first, services: [...services.values()], operators: [...operators.values()], positions }
}

/** One position as the live view shows it: stakers, in-flight tokens, open sagas, the plan's operator targets. */
export function positionView(
  r: ReadEigenLayerUniverseReturnType,
  open: readonly EigenLayerMoveRecord[],
  targets: readonly { position: string; operators: readonly { operator: Address; target: bigint }[] }[],
  label: (k: string) => string,
): EigenLayerPositionView {
  const pos = r.universe.positions[0]!
  const d: EigenLayerPositionDetails = r.eigenlayer
  const held = inWallets(d, open)
  const opTargets = new Map((targets.find((t) => t.position === pos.id)?.operators ?? []).map((o) => [o.operator, o.target]))
  const inFlight = pos.inFlightStake ?? 0n
  return {
    position: pos.id,
    label: pos.label,
    strategy: d.strategy,
    blockNumber: d.blockNumber,
    activeStake: pos.activeStake,
    inFlightStake: inFlight,
    availableStake: pos.activeStake - inFlight,
    stakers: d.stakers.map((s) => {
      const t = s.operator ? opTargets.get(s.operator) : undefined
      return {
        staker: s.address,
        label: label(s.address),
        operator: s.operator,
        withdrawable: s.withdrawableTokens,
        inFlight: s.queued.reduce((a, q) => a + q.expectedTokens, 0n) + (held.get(s.address) ?? 0n),
        ...(t !== undefined ? { operatorTarget: t } : {}),
      }
    }),
    sagas: open
      .filter((s) => s.state.strategy === d.strategy)
      .map((s) => ({
        sagaId: s.sagaId,
        status: s.status,
        step: s.step,
        from: s.state.from,
        to: s.state.to,
        tokens: s.state.received?.tokens ?? s.state.expected?.tokens ?? s.state.requestedShares,
        ...(s.state.queue?.completableAtBlock !== undefined ? { completableAtBlock: s.state.queue.completableAtBlock } : {}),
      })),
  }
}
