/**
 * The EigenLayer adapter (docs/eigenlayer.md, "Rebalancing"): waiting move sagas are advanced first → our stakers are
 * read over each configured strategy (plus what open sagas hold between completion and deposit) → the shared domain
 * scores and plans → per position: deny-listed operators are exited (de-risk: no cooldown, no threshold) and the
 * plan's per-operator targets become move sagas. Rules:
 * - stake in flight earns nothing and is not allocatable: the plan works on the rest (`Position.inFlightStake`);
 * - a position with an open move, or with exits started this run, starts no new plan moves (a wave completes before
 *   the next is planned);
 * - one open move per source staker; each move must pass the gain threshold on its own; the cooldown counts from the
 *   last plan move started (saga `origin: 'plan'`); gas above the cap starts nothing.
 * Every step a saga sends goes through the signing key's lease-fenced session (the pipeline's session pool); a key
 * another run holds makes its moves wait (`held`), never sign twice.
 */
import type { Address, LocalAccount } from 'viem'
import { toAddr } from '../../address.js'
import { ConfigError } from '../../config/config.js'
import { type Decision, type DecisionStep, gweiToWei } from '../../domain/decision.js'
import { pairKey } from '../../domain/score.js'
import { errorSummary } from '../../errors.js'
import type { SessionFor } from '../../execution/sessionPool.js'
import { LockBusyError } from '../../store/locks.js'
import type { RecordedAction, SagaStorePort } from '../../store/ports.js'
import type { AdapterContext, AdapterRead, ProtocolAdapter } from '../types.js'
import type { PlannedExit } from './planExits.js'
import { type OperatorDelegationTarget, type PlannedEigenLayerMove, type SkippedEigenLayerMove, planEigenLayerMoves } from './planMoves.js'
import type { ReadEigenLayerUniverseReturnType } from './reader.js'
import { eigenLayerSlashableWindow } from './slashableWindow.js'
import type { StakerRoles } from './stakerRoles.js'
import {
  EIGENLAYER_MOVE,
  type EigenLayerMoveRecord,
  type EigenLayerMoveState,
  type EigenLayerSagaContext,
  type EigenLayerSagaHooks,
  advanceEigenLayerMove,
  moveOutOfDeniedOperators,
  resumeEigenLayerMoves,
  runEigenLayerMove,
  startEigenLayerDeposit,
} from './saga.js'
import { type EigenLayerPositionView, describeMove, idleWalletTokens, mergeUniverses, positionView, readPositions, withHeldTokens } from './views.js'

/** What the EigenLayer adapter needs besides the shared context: the sagas table and our stakers' signers. */
export interface EigenLayerAdapterDeps {
  sagas: SagaStorePort
  /** The signer for one of our staker accounts: the bot's for a staker Safe, the key of a local EOA staker (undefined = not held: its moves are planned, not sent). */
  stakerSigner: (staker: Address) => LocalAccount | undefined
  /** A staker Safe's Roles modifier and role (undefined = an EOA staker). */
  stakerRoles?: (staker: Address) => StakerRoles | undefined
  /** Saga hooks (tests simulate crashes with them). */
  sagaHooks?: EigenLayerSagaHooks
  /**
   * Trigger hook: operators a trigger (a slash response, a webhook de-risk) takes all stake off this run, with why. The
   * run's policy deny-lists them (./triggers.ts); their exits carry this reason instead of the deny list's.
   */
  exitReasons?: ReadonlyMap<Address, string>
  /** Trigger hook: the part of our stake that leaves such an operator, bps (absent = all; the `halve` slash response: 5 000). */
  exitBps?: ReadonlyMap<Address, number>
}

/** A planned move and what became of it this run. */
export interface EigenLayerMoveOutcome extends PlannedEigenLayerMove {
  /**
   * `started`: its saga was recorded and advanced; `planned`: decided but not sent (mode, pause, no staker signer);
   * `held`: not decided this run (a wave in flight, cooldown, gas above the cap, the staker's key busy); `failed`: starting it threw.
   */
  status: 'started' | 'planned' | 'held' | 'failed'
  sagaId?: string
  /** Saga status after this run's advance (usually `waiting` at the withdrawal delay). */
  sagaStatus?: string
  note?: string
}

/** The EigenLayer-specific part of a run's result and record. */
export interface EigenLayerRunDetails {
  /** Open sagas advanced first, with their outcome (or the error they stopped on). */
  resumed: { sagaId: string; status?: string; step?: string; completableAtBlock?: bigint; error?: { name: string; message: string } }[]
  /** Moves off deny-listed operators started this run, and stakers that could not be placed. */
  exits: { sagaId: string; status: string; step: string; reason: string }[]
  unplacedExits: { staker: Address; operator: Address; reason: string }[]
  /** Per position: delegation now vs the plan's projection per operator, and the wave's figures (planMoves.ts). */
  targets: { position: string; operators: OperatorDelegationTarget[]; gainPerYear: number; delayCost: number; gasCostWei: bigint; netGainBpsPerYear: number }[]
  moves: EigenLayerMoveOutcome[]
  /** Idle tokens found in staker accounts and deposited back this run (saga per staker). */
  idle: { sagaId: string; staker: Address; tokens: bigint; status: string }[]
  skippedMoves: SkippedEigenLayerMove[]
  positions: EigenLayerPositionView[]
}

/** What the adapter read: each position's read, and the open sagas at that time. */
export interface EigenLayerRead {
  reads: ReadEigenLayerUniverseReturnType[]
  open: EigenLayerMoveRecord[]
}

/** One decided EigenLayer step: exit a position's deny-listed operators, or one planned move. */
export type EigenLayerStep =
  | (DecisionStep & { kind: 'eigenlayer-exit'; fallbackOperator?: Address })
  | (DecisionStep & { kind: 'eigenlayer-move'; move: PlannedEigenLayerMove })
  | (DecisionStep & { kind: 'eigenlayer-idle'; staker: Address; tokens: bigint })

type SkipWhy = { reason: 'cooldown' | 'gasTooHigh' | 'belowThreshold' | 'noChange'; detail: string }

/** Started by the planner (sagas recorded before `origin` existed carry the planner's reason prefix instead). */
const isPlanMove = (s: EigenLayerMoveState) => s.origin === 'plan' || (s.origin === undefined && s.reason.startsWith('rebalance:'))

/**
 * Creates the EigenLayer adapter for ONE run (it keeps the run's details between the pipeline's stages).
 * @example const r = await runRebalancePipeline(ctx, createEigenLayerAdapter({ sagas, stakerSigner }))
 */
export function createEigenLayerAdapter(deps: EigenLayerAdapterDeps): ProtocolAdapter<EigenLayerRead, EigenLayerStep> & { details: EigenLayerRunDetails } {
  const details: EigenLayerRunDetails = { resumed: [], exits: [], unplacedExits: [], targets: [], moves: [], idle: [], skippedMoves: [], positions: [] }
  const sagaCtx = (ctx: AdapterContext, sessionFor: SessionFor): EigenLayerSagaContext => ({
    client: ctx.client,
    intents: ctx.intents,
    sagas: deps.sagas,
    signerFor: deps.stakerSigner,
    ...(deps.stakerRoles ? { rolesFor: deps.stakerRoles } : {}),
    sessionFor,
    clock: ctx.clock,
    confirmations: ctx.config.confirmations,
    maxFeePerGas: gweiToWei(ctx.policy.gas.maxFeePerGasGwei),
    logger: ctx.logger,
    hooks: deps.sagaHooks,
  })
  const openMoves = async () => (await deps.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting'])).filter((s) => s.kind === EIGENLAYER_MOVE)
  const read = async (ctx: AdapterContext): Promise<AdapterRead<EigenLayerRead>> => {
    if (!ctx.config.eigenlayer) throw new ConfigError(['config.eigenlayer is not set: nothing to rebalance on EigenLayer'])
    const open = await openMoves()
    const reads = await readPositions(ctx)
    return { universe: mergeUniverses(reads.map((r) => withHeldTokens(r, open))), details: { reads, open } }
  }

  return {
    protocol: 'eigenlayer',
    sendsAsCurator: false,
    details,
    configured: (config) => Boolean(config.eigenlayer?.positions.length),

    // 1. Finish what waits: a move whose delay has passed completes now, before anything is read.
    async resume(ctx, sessionFor) {
      const before = new Map((await openMoves()).map((s) => [s.sagaId, s.step]))
      const actions: RecordedAction[] = []
      for (const r of await resumeEigenLayerMoves(sagaCtx(ctx, sessionFor))) {
        const o = r.outcome
        if (o && (o.step !== before.get(r.sagaId) || o.status === 'completed')) {
          const last = Object.values(o.record.state.steps)
            .filter((x) => x?.txHash)
            .at(-1)
          actions.push({
            index: actions.length,
            kind: 'eigenlayer-saga',
            description: `saga ${r.sagaId}: ${before.get(r.sagaId)} → ${o.step} (${o.status})`,
            reasons: [o.record.state.reason],
            status: 'mined',
            ...(last?.txHash ? { txHash: last.txHash } : {}),
          })
        }
        details.resumed.push({
          sagaId: r.sagaId,
          ...(o ? { status: o.status, step: o.step, ...(o.completableAtBlock !== undefined ? { completableAtBlock: o.completableAtBlock } : {}) } : {}),
          ...(r.error ? { error: errorSummary(r.error) } : {}),
        })
      }
      return { actions, sent: actions.length > 0 }
    },

    read,

    // 2. Per position: exits of deny-listed operators, then the plan's moves unless held.
    async decide(ctx, { read: r, scores, plan, gasPriceWei, force, sending }): Promise<Decision<EigenLayerStep>> {
      const el = ctx.config.eigenlayer!
      const { reads, open } = r.details
      const feeCap = gweiToWei(ctx.policy.gas.maxFeePerGasGwei)
      const pairValue = new Map(scores.pairs.map((p) => [pairKey(p.service, p.operator), p.netValuePerYear]))
      const deny = ctx.policy.operators.deny.map(toAddr)
      const allow = ctx.policy.operators.allow?.map(toAddr)
      const allowed = (o: Address) => !deny.includes(toAddr(o)) && (allow === undefined || allow.includes(toAddr(o)))
      const lastPlanMove = (await deps.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting', 'completed', 'failed'])).filter((s) => s.kind === EIGENLAYER_MOVE && isPlanMove(s.state)).reduce((m, s) => Math.max(m, s.createdAt), 0)
      const cooldownEndsAt = lastPlanMove + ctx.policy.cooldownSeconds * 1000
      const steps: EigenLayerStep[] = []
      const skipWhy: SkipWhy[] = []
      for (const pr of reads) {
        const pp = plan.positions.find((x) => x.position === pr.universe.positions[0]!.id)
        if (!pp) continue // not managed by the policy
        const d = pr.eigenlayer
        const openHere = open.filter((s) => s.state.strategy === d.strategy)
        const busy = new Set(openHere.map((s) => s.state.from.staker))
        const reserved = new Map(openHere.map((s) => [s.state.to.staker, s.state.to.operator] as const))
        const pinned = new Map((el.positions.find((x) => toAddr(x.strategy) === d.strategy)?.stakers ?? []).filter((s) => s.operator).map((s) => [toAddr(s.address), toAddr(s.operator!)] as const))
        const planned = planEigenLayerMoves({
          details: d,
          targets: pp.targets,
          pairValue: (s, o) => pairValue.get(pairKey(s, o)),
          availableStake: pp.availableStake,
          planGainPerYear: pp.objectivePerYear - pp.currentObjectivePerYear,
          delaySeconds: d.minWithdrawalDelayBlocks * (el.secondsPerBlock ?? 12),
          minNetGainBpsPerYear: ctx.policy.minNetGainBpsPerYear,
          estimatedGasPerCall: ctx.policy.gas.estimatedGasPerCall,
          gasPriceWei,
          force,
          busy,
          reserved,
          pinned,
          allowed,
        })
        details.targets.push({ position: pp.position, operators: planned.operators, gainPerYear: planned.gainPerYear, delayCost: planned.delayCost, gasCostWei: planned.gasCostWei, netGainBpsPerYear: planned.netGainBpsPerYear })
        details.skippedMoves.push(...planned.skipped)

        // Deny-listed operators: always moved out (de-risk: no cooldown, no threshold), unless gas is above the cap.
        const denied = d.stakers.some((s) => s.operator !== null && deny.includes(toAddr(s.operator)) && s.withdrawableTokens > 0n && !busy.has(toAddr(s.address)))
        const exiting = denied && sending && gasPriceWei <= feeCap
        if (exiting) {
          const fallback = planned.operators.filter((o) => allowed(o.operator) && o.target > 0n).sort((a, b) => b.valuePerYear - a.valuePerYear)[0]?.operator
          const triggered = [...new Set(d.stakers.flatMap((s) => (s.operator && deps.exitReasons?.has(toAddr(s.operator)) ? [deps.exitReasons.get(toAddr(s.operator))!] : [])))]
          steps.push({
            kind: 'eigenlayer-exit',
            position: pp.position,
            description: `move ${pp.label}'s stake off ${triggered.length ? 'the de-risked' : 'deny-listed'} operators`,
            reasons: triggered.length ? triggered : ['operators.deny: stake must leave these operators'],
            ...(fallback ? { fallbackOperator: fallback } : {}),
          })
        }
        // Idle tokens in a staker account no saga accounts for: deposited back on the staker's operator (de-risk
        // priority: they earn nothing). An undelegated, unpinned staker's tokens stay counted until a move claims it.
        if (sending && gasPriceWei <= feeCap)
          for (const [st, tokens] of idleWalletTokens(d, openHere)) {
            const op = d.stakers.find((x) => x.address === st)?.operator ?? pinned.get(toAddr(st))
            if (op && allowed(op))
              steps.push({
                kind: 'eigenlayer-idle',
                position: pp.position,
                operator: op,
                staker: st,
                tokens,
                description: `deposit ${ctx.label(st)}'s idle tokens on ${ctx.label(op)}`,
                reasons: ['idle tokens in a staker account earn nothing'],
              })
          }
        // The plan's moves: held back while a wave is in flight, in the cooldown or above the gas cap.
        const hold: SkipWhy | undefined = exiting
          ? { reason: 'cooldown', detail: 'deny-list exits start this run: the next run plans with them in flight' }
          : openHere.length > 0
            ? { reason: 'cooldown', detail: `${openHere.length} move${openHere.length === 1 ? ' is' : 's are'} in flight for ${pp.label} (a wave completes before the next is planned)` }
            : gasPriceWei > feeCap
              ? { reason: 'gasTooHigh', detail: `gas price ${Number(gasPriceWei) / 1e9} gwei is above the policy cap ${ctx.policy.gas.maxFeePerGasGwei} gwei` }
              : !force && lastPlanMove > 0 && ctx.clock() < cooldownEndsAt
                ? { reason: 'cooldown', detail: `cooldown of ${ctx.policy.cooldownSeconds} s since the last move ends at ${new Date(cooldownEndsAt).toISOString()}` }
                : undefined
        if (hold) skipWhy.push(hold)
        else if (planned.moves.length === 0) skipWhy.push(planned.skip ?? { reason: 'noChange', detail: `${pp.label}: every operator holds its planned delegation${planned.skipped.length ? ` (${planned.skipped[0]!.reason})` : ''}` })
        for (const m of planned.moves) {
          if (hold) details.moves.push({ ...m, status: 'held', note: hold.detail })
          else steps.push({ kind: 'eigenlayer-move', position: pp.position, operator: m.to.operator, description: describeMove(m, ctx.label), reasons: m.reasons, move: m })
        }
      }
      if (steps.length === 0) return { kind: 'skip', ...(skipWhy[0] ?? { reason: 'noChange', detail: 'no EigenLayer position is managed by the policy, or nothing to move' }) }
      const acting = new Set(steps.map((s) => s.position))
      const waves = details.targets.filter((t) => acting.has(t.position))
      const stake = plan.positions.filter((p) => acting.has(p.position)).reduce((a, p) => a + p.availableStake, 0n)
      const gain = waves.reduce((a, t) => a + t.gainPerYear - t.delayCost, 0)
      const gas = waves.reduce((a, t) => a + t.gasCostWei, 0n)
      return { kind: 'act', actions: steps, gainPerYear: gain, gasCostWei: gas, netGainBpsPerYear: stake > 0n ? ((gain - Number(gas)) / Number(stake)) * 1e4 : 0, derisk: steps.some((s) => s.kind === 'eigenlayer-exit') || force }
    },

    // 3. Start the sagas: exits first, then moves; a move whose stakers' keys we do not hold is only planned.
    async execute(ctx, decision, r, sessionFor) {
      const saga = sagaCtx(ctx, sessionFor)
      const actions: RecordedAction[] = []
      let sent = false
      let error: unknown
      const deny = ctx.policy.operators.deny.map(toAddr)
      const allow = ctx.policy.operators.allow?.map(toAddr)
      for (const step of decision.actions) {
        if (step.kind === 'eigenlayer-exit') {
          const pr = r.details.reads.find((x) => x.eigenlayer.positionId === step.position)!
          const openHere = r.details.open.filter((s) => s.state.strategy === pr.eigenlayer.strategy)
          const reserved = new Set(openHere.map((s) => s.state.to.staker))
          // Undelegated stakers an open move will delegate are not free for the fallback.
          const free = { ...pr.eigenlayer, stakers: pr.eigenlayer.stakers.filter((s) => !(s.operator === null && reserved.has(toAddr(s.address)))) }
          try {
            const reasonFor = (e: PlannedExit) => {
              const why = deps.exitReasons?.get(toAddr(e.from.operator))
              const bps = deps.exitBps?.get(toAddr(e.from.operator))
              return (
                why &&
                `${why}: ${bps !== undefined && bps < 10_000 ? `${bps / 100} % of the stake` : 'all stake'} leaves ${ctx.label(e.from.operator)}${e.capped ? ` (this exit moves the strategy's maxPerDeposit; the rest leaves on the next run)` : ''}`
              )
            }
            const ex = await moveOutOfDeniedOperators(saga, {
              details: free,
              deny,
              ...(allow ? { allow } : {}),
              ...(step.fallbackOperator ? { fallbackOperator: step.fallbackOperator } : {}),
              reasonFor,
              exitBps: (o) => deps.exitBps?.get(toAddr(o)),
            })
            details.unplacedExits.push(...ex.unplaced)
            for (const s of ex.started) {
              sent = true
              details.exits.push({ sagaId: s.record.sagaId, status: s.status, step: s.step, reason: s.record.state.reason })
              actions.push({
                index: actions.length,
                kind: 'eigenlayer-exit',
                description: `move all of staker ${ctx.label(s.record.state.from.staker)} off ${ctx.label(s.record.state.from.operator)} to staker ${ctx.label(s.record.state.to.staker)} (${ctx.label(s.record.state.to.operator)}) [saga ${s.record.sagaId}]`,
                reasons: [s.record.state.reason],
                status: 'sent',
                ...(s.record.state.steps.queue?.txHash ? { txHash: s.record.state.steps.queue.txHash } : {}),
              })
            }
          } catch (e) {
            error ??= e
          }
          continue
        }
        if (step.kind === 'eigenlayer-idle') {
          const pr = r.details.reads.find((x) => x.eigenlayer.positionId === step.position)!.eigenlayer
          try {
            const rec = await startEigenLayerDeposit(saga, { ...pr, staker: step.staker, operator: step.operator!, tokens: step.tokens, reason: step.reasons[0]! })
            const o = await advanceEigenLayerMove(saga, rec.sagaId)
            sent = true
            details.idle.push({ sagaId: rec.sagaId, staker: step.staker, tokens: step.tokens, status: o.status })
            actions.push({
              index: actions.length,
              kind: 'eigenlayer-idle',
              description: `${step.description} [saga ${rec.sagaId}]`,
              reasons: step.reasons,
              // A deposit saga has no delay: it usually completes in this run, and the record says so.
              status: o.status === 'completed' ? 'mined' : 'sent',
              ...(o.record.state.steps.deposit?.txHash ? { txHash: o.record.state.steps.deposit.txHash } : {}),
            })
          } catch (e) {
            actions.push({ index: actions.length, kind: 'eigenlayer-idle', description: step.description, reasons: step.reasons, status: 'skipped' })
            if (!(e instanceof LockBusyError)) error ??= e
          }
          continue
        }
        const m = step.move
        const missing = [m.from.staker, m.to.staker].filter((s) => !deps.stakerSigner(s))
        if (missing.length) {
          details.moves.push({ ...m, status: 'planned', note: `no signer held for staker ${missing.join(', ')}` })
          actions.push({ index: actions.length, kind: 'eigenlayer-move', description: step.description, reasons: m.reasons, status: 'planned' })
          continue
        }
        const pr = r.details.reads.find((x) => x.eigenlayer.positionId === step.position)!.eigenlayer
        try {
          const o = await runEigenLayerMove(saga, {
            delegationManager: pr.delegationManager,
            strategyManager: pr.strategyManager,
            strategy: pr.strategy,
            from: { staker: m.from.staker },
            to: { staker: m.to.staker, operator: m.to.operator },
            ...(m.shares !== undefined ? { shares: m.shares } : {}),
            reason: `rebalance: ${m.reasons.join('; ')}`,
            origin: 'plan',
          })
          sent = true
          details.moves.push({ ...m, status: 'started', sagaId: o.record.sagaId, sagaStatus: o.status })
          actions.push({
            index: actions.length,
            kind: 'eigenlayer-move',
            description: describeMove(m, ctx.label, o.record.sagaId),
            reasons: m.reasons,
            status: 'sent',
            ...(o.record.state.steps.queue?.txHash ? { txHash: o.record.state.steps.queue.txHash } : {}),
          })
        } catch (e) {
          if (e instanceof LockBusyError) {
            // Another run signs with this staker's key right now: the move waits for a later run.
            details.moves.push({ ...m, status: 'held', note: e.shortMessage })
            actions.push({ index: actions.length, kind: 'eigenlayer-move', description: step.description, reasons: m.reasons, status: 'skipped' })
            continue
          }
          details.moves.push({ ...m, status: 'failed', note: errorSummary(e).message })
          actions.push({ index: actions.length, kind: 'eigenlayer-move', description: step.description, reasons: m.reasons, status: 'skipped' })
          error ??= e
        }
      }
      return { actions, sent, ...(error !== undefined ? { error } : {}) }
    },

    // 4. The record: moves not started are shown as planned (mode, pause) and every position's view after the run.
    async report(ctx, { read: r, sent, decision }) {
      if (decision.kind === 'act')
        for (const s of decision.actions)
          if (s.kind === 'eigenlayer-move' && !details.moves.some((x) => x.from.staker === s.move.from.staker && x.to.staker === s.move.to.staker))
            details.moves.push({ ...s.move, status: 'planned', note: ctx.policy.mode !== 'autopilot' ? `policy mode ${ctx.policy.mode} sends nothing` : 'rebalancing is paused' })
      const open = await openMoves()
      details.positions = (sent ? await readPositions(ctx) : r.details.reads).map((pr) => positionView(withHeldTokens(pr, open), open, details.targets, ctx.label))
      const window = r.details.reads[0] && (details.exits.length > 0 || details.moves.length > 0) ? eigenLayerSlashableWindow(r.details.reads[0].eigenlayer).text : undefined
      return {
        ...details,
        decision: {
          eigenlayer: {
            resumed: details.resumed,
            exits: details.exits,
            unplacedExits: details.unplacedExits,
            targets: details.targets,
            moves: details.moves.map((m) => ({ ...m, description: describeMove(m, ctx.label, m.sagaId) })),
            idle: details.idle,
            skippedMoves: details.skippedMoves,
            sagaIds: [...details.exits.map((x) => x.sagaId), ...details.idle.map((x) => x.sagaId), ...details.moves.flatMap((m) => (m.sagaId ? [m.sagaId] : [])), ...details.resumed.map((x) => x.sagaId)],
            // For notifications: how long the stake that leaves an operator stays slashable (both core delays).
            ...(window ? { slashableWindow: window } : {}),
          },
          // Lines every notification of the run carries (shared/services/notify.ts).
          ...(window ? { notes: [window] } : {}),
        },
      }
    },
  }
}
