/**
 * Use case `rebalance` for EigenLayer positions: resume waiting move sagas → read (our stakers over each configured
 * strategy) → score → plan with the shared domain → move stake off deny-listed operators → turn the plan's
 * per-operator targets into move sagas → record one run (kind `rebalance`, trigger `eigenlayer:<trigger>`).
 *
 * Rules (docs/eigenlayer.md, "Rebalancing"):
 * - waiting sagas are always advanced first, so a move whose delay has passed completes on this tick;
 * - stake in flight (queued withdrawals, and completed withdrawals not yet re-deposited) is part of the position but
 *   earns nothing and is not allocatable: the plan works on the rest (`Position.inFlightStake`);
 * - a position with an open move starts no new plan moves (a wave completes before the next is planned: the plan
 *   made while stake is in flight cannot know where it lands); deny-list exits are never held back;
 * - one open move per source staker; each move must pass the policy's gain threshold on its own, the cooldown is
 *   counted from the last plan move started, and a gas price above the cap starts nothing (planMoves.ts);
 * - `dry-run` / `propose` mode and the pause flag send nothing at all (no resume either): the moves are recorded as planned.
 * Staker accounts sign their own steps: locally EOAs whose keys come from `EIGENLAYER_STAKER_KEYS` (Anvil only); in
 * production LRT staker contracts the bot's signer controls (not built: the saga's calls would go through them).
 */
import { randomUUID } from 'node:crypto'
import { type Address, type LocalAccount, isAddress, keccak256, stringToHex } from 'viem'
import { eigenLayerSlashableWindow } from '../chain/protocols/eigenlayer/slashableWindow.js'
import { planEigenLayerMoves, type OperatorDelegationTarget, type PlannedEigenLayerMove, type SkippedEigenLayerMove } from '../chain/protocols/eigenlayer/planMoves.js'
import { type ReadEigenLayerUniverseReturnType, readEigenLayerUniverse } from '../chain/protocols/eigenlayer/readEigenLayerUniverse.js'
import type { EigenLayerPositionDetails } from '../chain/protocols/eigenlayer/types.js'
import { localSigner } from '../chain/signers/localSigner.js'
import { ConfigError } from '../config/config.js'
import { RestakeError, errorSummary } from '../errors.js'
import { type Decision, type Plan, type Universe, gweiToWei, planAllocation, scoreUniverse } from '../domain/index.js'
import { pairKey } from '../domain/score.js'
import { encodeJson } from '../store/client.js'
import type { RecordedAction } from '../store/runs.js'
import { SagaStore } from '../store/sagas.js'
import type { AutopilotContext } from './context.js'
import { EIGENLAYER_MOVE, type EigenLayerMoveRecord, type EigenLayerMoveState, type EigenLayerSagaContext, type EigenLayerSagaHooks, moveOutOfDeniedOperators, resumeEigenLayerMoves, runEigenLayerMove } from './eigenlayerSaga.js'

/** Reason prefix of moves started by the planner (the cooldown counts from the newest of them). */
export const PLAN_MOVE_REASON = 'rebalance'

/** What the EigenLayer use case needs beyond the shared context: the sagas table and our stakers' signers. */
export interface EigenLayerRebalanceContext extends AutopilotContext {
  sagas: SagaStore
  /** The bot's signer for one of our staker accounts (undefined = not held: its moves are planned, not sent). */
  stakerSigner: (staker: Address) => LocalAccount | undefined
  /** Saga hooks (tests simulate crashes with them). */
  sagaHooks?: EigenLayerSagaHooks
}

/** Options of {@link runEigenLayerRebalance}. */
export interface RunEigenLayerRebalanceOptions {
  /** Recorded as `eigenlayer:<trigger>`. Default `schedule`. */
  trigger?: string
  /** De-risk run: ignore the cooldown and the gain threshold. */
  force?: boolean
}

/** A planned move and what became of it this run. */
export interface EigenLayerMoveOutcome extends PlannedEigenLayerMove {
  /**
   * `started`: its saga was recorded and advanced; `planned`: decided but not sent (mode, pause, no staker signer);
   * `held`: not decided this run (a wave in flight, cooldown, gas above the cap); `failed`: starting it threw.
   */
  status: 'started' | 'planned' | 'held' | 'failed'
  sagaId?: string
  /** Saga status after this run's advance (usually `waiting` at the withdrawal delay). */
  sagaStatus?: string
  note?: string
}

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

/** Result of an EigenLayer rebalance run. */
export interface RunEigenLayerRebalanceResult {
  runId: string
  status: 'succeeded' | 'skipped' | 'failed'
  decision?: Decision
  /** Open sagas advanced first, with their outcome (or the error they stopped on). */
  resumed: { sagaId: string; status?: string; step?: string; completableAtBlock?: bigint; error?: { name: string; message: string } }[]
  /** Moves off deny-listed operators started this run, and stakers that could not be placed. */
  exits: { sagaId: string; status: string; step: string; reason: string }[]
  unplacedExits: { staker: Address; operator: Address; reason: string }[]
  /** Per position: delegation now vs the plan's projection per operator, and the wave's figures (planMoves.ts). */
  targets: { position: string; operators: OperatorDelegationTarget[]; gainPerYear: number; delayCost: number; gasCostWei: bigint; netGainBpsPerYear: number }[]
  moves: EigenLayerMoveOutcome[]
  skippedMoves: SkippedEigenLayerMove[]
  actions: RecordedAction[]
  positions: EigenLayerPositionView[]
  plan?: Plan
  error?: { name: string; message: string }
}

/** `EIGENLAYER_STAKER_KEYS` malformed, or a key that does not belong to the address it is listed under. */
export class StakerKeysError extends RestakeError {
  override name = 'StakerKeysError' as const
  constructor(issue: string) {
    super('Invalid EIGENLAYER_STAKER_KEYS.', { details: issue })
  }
}

/** `StakerKeysError` narrowed by its stable name. */
export type StakerKeysErrorType = StakerKeysError & { name: 'StakerKeysError' }

/**
 * Our stakers' local signers from `EIGENLAYER_STAKER_KEYS` (JSON `{ "<address>": "<private key>" }`). Raw keys sign
 * only on Anvil (chain 31337) unless `ALLOW_LOCAL_KEY=true`, exactly like the curator's local signer; in production
 * the stakers are LRT staker contracts (not built), so the variable is absent there.
 * @example stakerSignersFromEnv({ EIGENLAYER_STAKER_KEYS: '{"0xab…":"0x12…"}' }, 31337)
 */
export function stakerSignersFromEnv(env: Record<string, string | undefined>, chainId: number): Map<string, LocalAccount> {
  const raw = env.EIGENLAYER_STAKER_KEYS
  const out = new Map<string, LocalAccount>()
  if (!raw) return out
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch (e) {
    throw new StakerKeysError(`not JSON: ${(e as Error).message}`)
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new StakerKeysError('expected an object { "<staker address>": "<private key>" }')
  for (const [address, key] of Object.entries(json as Record<string, unknown>)) {
    if (!isAddress(address, { strict: false })) throw new StakerKeysError(`"${address}" is not an address`)
    if (typeof key !== 'string') throw new StakerKeysError(`the key of ${address} is not a string`)
    const account = localSigner(key, chainId, env.ALLOW_LOCAL_KEY === 'true') // LocalKeyRefusedError off Anvil
    if (account.address.toLowerCase() !== address.toLowerCase()) throw new StakerKeysError(`the key listed for ${address} belongs to ${account.address}`)
    out.set(address.toLowerCase(), account)
  }
  return out
}

/**
 * Extends a handler's context (from contextFromEnv: its DynamoDB client serves the sagas table too) with the sagas
 * store and the staker signers (from `env`; only handlers pass process.env).
 * @example const el = ctx.config.eigenlayer ? eigenLayerContextFromEnv(ctx, process.env) : undefined
 */
export function eigenLayerContextFromEnv(ctx: AutopilotContext, env: Record<string, string | undefined>): EigenLayerRebalanceContext {
  const { config, dynamo } = ctx
  if (!dynamo) throw new ConfigError(['the EigenLayer context needs the DynamoDB client of contextFromEnv'])
  const signers = stakerSignersFromEnv(env, config.chainId)
  return { ...ctx, sagas: new SagaStore({ client: dynamo, tableName: config.tables.sagas }), stakerSigner: (a) => signers.get(a.toLowerCase()) }
}

type SkipWhy = { reason: 'cooldown' | 'gasTooHigh' | 'belowThreshold' | 'noChange'; detail: string }

const lower = (a: string) => a.toLowerCase() as Address
const isPlanMove = (r: EigenLayerMoveRecord) => r.state.reason.startsWith(PLAN_MOVE_REASON)

/**
 * Plans and (in autopilot mode) moves EigenLayer stake toward the plan with move sagas; always records the run.
 * @example const r = await runEigenLayerRebalance(elCtx, { trigger: 'schedule' }) // r.moves[0].sagaStatus === 'waiting'
 */
export async function runEigenLayerRebalance(ctx: EigenLayerRebalanceContext, opts: RunEigenLayerRebalanceOptions = {}): Promise<RunEigenLayerRebalanceResult> {
  const startedAt = ctx.clock()
  const runId = `rebalance-eigenlayer-${new Date(startedAt).toISOString()}-${randomUUID().slice(0, 8)}`
  await ctx.runs.start({ runId, kind: 'rebalance', trigger: `eigenlayer:${opts.trigger ?? 'schedule'}`, startedAt })
  const out: RunEigenLayerRebalanceResult = { runId, status: 'skipped', resumed: [], exits: [], unplacedExits: [], targets: [], moves: [], skippedMoves: [], actions: [], positions: [] }
  const feeCap = gweiToWei(ctx.policy.gas.maxFeePerGasGwei)
  const sagaCtx: EigenLayerSagaContext = {
    client: ctx.client,
    intents: ctx.intents,
    sagas: ctx.sagas,
    signerFor: ctx.stakerSigner,
    clock: ctx.clock,
    confirmations: ctx.config.confirmations,
    maxFeePerGas: feeCap,
    logger: ctx.logger,
    hooks: ctx.sagaHooks,
  }
  let sent = false
  try {
    const el = ctx.config.eigenlayer
    if (!el) throw new ConfigError(['config.eigenlayer is not set: nothing to rebalance on EigenLayer'])
    const paused = (await ctx.control?.isPaused()) ?? false
    const sending = ctx.policy.mode === 'autopilot' && !paused
    const notSending = ctx.policy.mode !== 'autopilot' ? `policy mode ${ctx.policy.mode} sends nothing` : 'rebalancing is paused'

    // 1. Finish what waits: a move whose delay has passed completes now, before anything is read.
    if (sending) {
      const before = new Map((await openMoves(ctx)).map((s) => [s.sagaId, s.step]))
      for (const r of await resumeEigenLayerMoves(sagaCtx)) {
        const o = r.outcome
        if (o && (o.step !== before.get(r.sagaId) || o.status === 'completed')) {
          sent = true
          const last = Object.values(o.record.state.steps).filter((x) => x?.txHash).at(-1)
          out.actions.push({ index: out.actions.length, kind: 'eigenlayer-saga', description: `saga ${r.sagaId}: ${before.get(r.sagaId)} → ${o.step} (${o.status})`, reasons: [o.record.state.reason], status: 'mined', ...(last?.txHash ? { txHash: last.txHash } : {}) })
        }
        out.resumed.push({ sagaId: r.sagaId, ...(o ? { status: o.status, step: o.step, ...(o.completableAtBlock !== undefined ? { completableAtBlock: o.completableAtBlock } : {}) } : {}), ...(r.error ? { error: errorSummary(r.error) } : {}) })
      }
    }

    // 2. Read every position, add what open sagas hold between completion and deposit, score and plan.
    let open = await openMoves(ctx)
    const reads = await readPositions(ctx)
    const universe = mergeUniverses(reads.map((r) => withHeldTokens(r, open)))
    const now = universe.timestamp
    const scores = scoreUniverse(universe, ctx.policy, { now })
    const plan = planAllocation(universe, scores, ctx.policy, { now })
    out.plan = plan
    const pairValue = new Map(scores.pairs.map((p) => [pairKey(p.service, p.operator), p.netValuePerYear]))
    const gasPriceWei = (await ctx.client.estimateFeesPerGas()).maxFeePerGas
    const deny = ctx.policy.operators.deny.map(lower)
    const allow = ctx.policy.operators.allow?.map(lower)
    const allowed = (o: Address) => !deny.includes(lower(o)) && (allow === undefined || allow.includes(lower(o)))
    const lastPlanMove = (await ctx.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting', 'completed', 'failed'])).filter((s) => s.kind === EIGENLAYER_MOVE && isPlanMove(s)).reduce((m, s) => Math.max(m, s.createdAt), 0)
    const cooldownEndsAt = lastPlanMove + ctx.policy.cooldownSeconds * 1000
    const skipWhy: SkipWhy[] = []

    for (const r of reads) {
      const pp = plan.positions.find((x) => x.position === r.universe.positions[0]!.id)
      if (!pp) continue // not managed by the policy
      const details = r.eigenlayer
      const openHere = open.filter((s) => s.state.strategy === details.strategy)
      const busy = new Set(openHere.map((s) => s.state.from.staker))
      const reserved = new Map(openHere.map((s) => [s.state.to.staker, s.state.to.operator] as const))
      const pinned = new Map((el.positions.find((x) => lower(x.strategy) === details.strategy)?.stakers ?? []).filter((s) => s.operator).map((s) => [lower(s.address), lower(s.operator!)] as const))
      const planned = planEigenLayerMoves({
        details,
        targets: pp.targets,
        pairValue: (s, o) => pairValue.get(pairKey(s, o)),
        availableStake: pp.availableStake,
        planGainPerYear: pp.objectivePerYear - pp.currentObjectivePerYear,
        delaySeconds: details.minWithdrawalDelayBlocks * (el.secondsPerBlock ?? 12),
        minNetGainBpsPerYear: ctx.policy.minNetGainBpsPerYear,
        estimatedGasPerCall: ctx.policy.gas.estimatedGasPerCall,
        gasPriceWei,
        force: opts.force,
        busy,
        reserved,
        pinned,
        allowed,
      })
      out.targets.push({ position: pp.position, operators: planned.operators, gainPerYear: planned.gainPerYear, delayCost: planned.delayCost, gasCostWei: planned.gasCostWei, netGainBpsPerYear: planned.netGainBpsPerYear })
      out.skippedMoves.push(...planned.skipped)

      // 3. Deny-listed operators: always moved out (de-risk: no cooldown, no threshold), unless gas is above the cap.
      const denied = details.stakers.some((s) => s.operator !== null && deny.includes(lower(s.operator)) && s.withdrawableTokens > 0n && !busy.has(lower(s.address)))
      let exitsStarted = 0
      if (denied && sending && gasPriceWei <= feeCap) {
        const fallback = planned.operators.filter((o) => allowed(o.operator) && o.target > 0n).sort((a, b) => b.valuePerYear - a.valuePerYear)[0]?.operator
        // Undelegated stakers an open move will delegate are not free for the fallback.
        const free = { ...details, stakers: details.stakers.filter((s) => !(s.operator === null && reserved.has(lower(s.address)))) }
        const ex = await moveOutOfDeniedOperators(sagaCtx, { details: free, deny, ...(allow ? { allow } : {}), ...(fallback ? { fallbackOperator: fallback } : {}) })
        out.unplacedExits.push(...ex.unplaced)
        for (const s of ex.started) {
          exitsStarted++
          sent = true
          out.exits.push({ sagaId: s.record.sagaId, status: s.status, step: s.step, reason: s.record.state.reason })
          out.actions.push({ index: out.actions.length, kind: 'eigenlayer-exit', description: `move all of staker ${s.record.state.from.staker} off ${s.record.state.from.operator} to staker ${s.record.state.to.staker} (${s.record.state.to.operator}) [saga ${s.record.sagaId}]`, reasons: [s.record.state.reason], status: 'sent', ...(s.record.state.steps.queue?.txHash ? { txHash: s.record.state.steps.queue.txHash } : {}) })
        }
      }

      // 4. The plan's moves: held back (skip) while a wave is in flight, in the cooldown or above the gas cap;
      // recorded but not sent in dry-run / propose mode, when paused, or without the stakers' signers.
      const hold: SkipWhy | undefined =
        exitsStarted > 0
          ? { reason: 'cooldown', detail: 'deny-list exits started this run: the next run plans with them in flight' }
          : openHere.length > 0
            ? { reason: 'cooldown', detail: `${openHere.length} move${openHere.length === 1 ? ' is' : 's are'} in flight for ${pp.label} (a wave completes before the next is planned)` }
            : gasPriceWei > feeCap
              ? { reason: 'gasTooHigh', detail: `gas price ${Number(gasPriceWei) / 1e9} gwei is above the policy cap ${ctx.policy.gas.maxFeePerGasGwei} gwei` }
              : !opts.force && lastPlanMove > 0 && ctx.clock() < cooldownEndsAt
                ? { reason: 'cooldown', detail: `cooldown of ${ctx.policy.cooldownSeconds} s since the last move ends at ${new Date(cooldownEndsAt).toISOString()}` }
                : undefined
      if (hold) skipWhy.push(hold)
      else if (planned.moves.length === 0) skipWhy.push(planned.skip ?? { reason: 'noChange', detail: `${pp.label}: every operator holds its planned delegation${planned.skipped.length ? ` (${planned.skipped[0]!.reason})` : ''}` })
      for (const m of planned.moves) {
        const missing = [m.from.staker, m.to.staker].filter((s) => !ctx.stakerSigner(s))
        if (hold) {
          out.moves.push({ ...m, status: 'held', note: hold.detail })
          continue
        }
        if (!sending || missing.length) {
          out.moves.push({ ...m, status: 'planned', note: !sending ? notSending : `no signer held for staker ${missing.join(', ')}` })
          continue
        }
        const reason = `${PLAN_MOVE_REASON}: ${m.reasons.join('; ')}`
        try {
          const o = await runEigenLayerMove(sagaCtx, { delegationManager: details.delegationManager, strategyManager: details.strategyManager, strategy: details.strategy, from: { staker: m.from.staker }, to: { staker: m.to.staker, operator: m.to.operator }, ...(m.shares !== undefined ? { shares: m.shares } : {}), reason })
          sent = true
          out.moves.push({ ...m, status: 'started', sagaId: o.record.sagaId, sagaStatus: o.status })
          out.actions.push({ index: out.actions.length, kind: 'eigenlayer-move', description: describeMove(m, ctx, o.record.sagaId), reasons: m.reasons, status: 'sent', ...(o.record.state.steps.queue?.txHash ? { txHash: o.record.state.steps.queue.txHash } : {}) })
        } catch (e) {
          out.moves.push({ ...m, status: 'failed', note: errorSummary(e).message })
          out.error ??= errorSummary(e)
        }
      }
    }

    // 5. Record: the plan (in-flight stake shown as earning nothing), the moves and their saga ids.
    const acting = new Set(out.moves.filter((m) => m.status !== 'held').map((m) => positionOf(reads, m.from.staker)))
    const waves = out.targets.filter((t) => acting.has(t.position))
    const stake = plan.positions.filter((p) => acting.has(p.position)).reduce((a, p) => a + p.availableStake, 0n)
    const gain = waves.reduce((a, t) => a + t.gainPerYear - t.delayCost, 0)
    const gas = waves.reduce((a, t) => a + t.gasCostWei, 0n)
    const decision: Decision =
      acting.size > 0 || out.exits.length > 0
        ? { kind: 'act', actions: [], gainPerYear: gain, gasCostWei: gas, netGainBpsPerYear: stake > 0n ? ((gain - Number(gas)) / Number(stake)) * 1e4 : 0, derisk: out.exits.length > 0 || opts.force === true }
        : { kind: 'skip', ...(skipWhy[0] ?? { reason: 'noChange', detail: 'no EigenLayer position is managed by the policy, or nothing to move' }) }
    out.decision = decision
    open = await openMoves(ctx)
    out.positions = (sent ? await readPositions(ctx) : reads).map((r) => positionView(withHeldTokens(r, open), open, out.targets, ctx.config.labels))
    out.status = out.error ? 'failed' : sent ? 'succeeded' : 'skipped'
    await ctx.runs.finish(runId, {
      status: out.status,
      finishedAt: ctx.clock(),
      chainId: universe.chainId,
      blockNumber: universe.blockNumber,
      universeHash: keccak256(stringToHex(encodeJson(universe))),
      scores,
      plan,
      decision: {
        ...decision,
        eigenlayer: {
          resumed: out.resumed,
          exits: out.exits,
          unplacedExits: out.unplacedExits,
          targets: out.targets,
          moves: out.moves.map((m) => ({ ...m, description: describeMove(m, ctx, m.sagaId) })),
          skippedMoves: out.skippedMoves,
          sagaIds: [...out.exits.map((x) => x.sagaId), ...out.moves.flatMap((m) => (m.sagaId ? [m.sagaId] : [])), ...out.resumed.map((x) => x.sagaId)],
          // For notifications: how long the stake that leaves an operator stays slashable (both core delays).
          ...(reads[0] && (out.exits.length > 0 || out.moves.length > 0) ? { slashableWindow: eigenLayerSlashableWindow(reads[0].eigenlayer).text } : {}),
        },
      },
      actions: out.actions,
      ...(out.error ? { error: out.error } : {}),
    })
    return out
  } catch (e) {
    const error = errorSummary(e)
    ctx.logger.error('eigenlayer rebalance run failed', { runId, error })
    await ctx.runs.finish(runId, { status: 'failed', finishedAt: ctx.clock(), error, actions: out.actions })
    return { ...out, status: 'failed', error }
  }
}

/** One line for a move: amount, from, to (with labels), and its saga. */
export function describeMove(m: Pick<PlannedEigenLayerMove, 'from' | 'to' | 'tokens'>, ctx: Pick<AutopilotContext, 'config'>, sagaId?: string): string {
  const l = (a: string) => ctx.config.labels[a.toLowerCase()] ?? `${a.slice(0, 8)}…${a.slice(-4)}`
  return `move ${fmtTokens(m.tokens)} from ${l(m.from.staker)} (${l(m.from.operator)}) to ${l(m.to.staker)} (${l(m.to.operator)})${sagaId ? ` [saga ${sagaId}]` : ''}`
}

function fmtTokens(wei: bigint): string {
  const whole = wei / 10n ** 18n
  const frac = ((wei % 10n ** 18n) * 100n) / 10n ** 18n
  return `${whole}.${frac.toString().padStart(2, '0')}`
}

/** The position (id) whose stakers include `staker`. */
function positionOf(reads: readonly ReadEigenLayerUniverseReturnType[], staker: Address): string {
  return reads.find((r) => r.eigenlayer.stakers.some((s) => s.address === staker))?.eigenlayer.positionId ?? ''
}

async function openMoves(ctx: EigenLayerRebalanceContext): Promise<EigenLayerMoveRecord[]> {
  return (await ctx.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting'])).filter((s) => s.kind === EIGENLAYER_MOVE)
}

async function readPositions(ctx: EigenLayerRebalanceContext): Promise<ReadEigenLayerUniverseReturnType[]> {
  const el = ctx.config.eigenlayer!
  const reads: ReadEigenLayerUniverseReturnType[] = []
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

function withHeldTokens(r: ReadEigenLayerUniverseReturnType, open: readonly EigenLayerMoveRecord[]): ReadEigenLayerUniverseReturnType {
  const held = [...heldBySagas(r.eigenlayer.strategy, open).values()].reduce((a, x) => a + x, 0n)
  if (held === 0n) return r
  const positions = r.universe.positions.map((p) => ({ ...p, activeStake: p.activeStake + held, inFlightStake: (p.inFlightStake ?? 0n) + held }))
  return { universe: { ...r.universe, positions }, eigenlayer: { ...r.eigenlayer, inFlightTokens: r.eigenlayer.inFlightTokens + held } }
}

/** One universe from the positions' reads: services and operators deduplicated (an operator's stake summed over strategies). */
function mergeUniverses(reads: readonly ReadEigenLayerUniverseReturnType[]): Universe {
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

function positionView(r: ReadEigenLayerUniverseReturnType, open: readonly EigenLayerMoveRecord[], targets: RunEigenLayerRebalanceResult['targets'], labels: Readonly<Record<string, string>>): EigenLayerPositionView {
  const pos = r.universe.positions[0]!
  const d: EigenLayerPositionDetails = r.eigenlayer
  const held = heldBySagas(d.strategy, open)
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
        label: labels[s.address.toLowerCase()] ?? s.address,
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
