/**
 * EigenLayer stake moves as resumable sagas (LRT-style: one staker account per operator). Moving stake from
 * operator A's staker to operator B's staker is:
 *   queue (queueWithdrawals on A's staker) → wait (minWithdrawalDelayBlocks) → complete (completeQueuedWithdrawal,
 *   receiveAsTokens) → transfer (tokens A → B) → delegate (delegateTo, only if B's staker is new) → approve →
 *   deposit (depositIntoStrategy on B's staker).
 * Every step is written to the saga record (DynamoDB, conditional) BEFORE its transaction is sent, and sent through
 * the exactly-once executor with runId `${sagaId}:${step}`, inside the signing key's lease-fenced signer session
 * (one per key per run, from the run's session pool), so two runs never sign with one key at once. On resume the
 * stored intent's receipt, then the chain, decide whether a step already happened, so no step is ever sent twice.
 * Amounts are re-read from the chain: the completed amount is the token transfer in the completion receipt (a slash
 * during the delay shows as expected vs received in the record), never assumed.
 * A step whose entry point is paused (`CurrentlyPaused()`) or whose deposit would exceed the strategy's caps is held:
 * nothing is sent, the saga waits with the reason in its log, and the next resume tries again.
 * Staker accounts: a staker Safe (1.4.1 + Zodiac Roles v2, `rolesFor`) is moved by the bot's one signer through its
 * Roles modifier (`execTransactionWithRole`, scope in ./stakerRoles.ts); locally a staker may also be an EOA whose
 * key the bot holds. Steps and chain reads live in ./sagaSteps.ts and ./sagaReads.ts.
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import { type Address, type Hex, type LocalAccount, type PublicClient, zeroAddress } from 'viem'
import { delegationManagerAbi, strategyAbi } from './abis.js'
import type { SessionFor } from '../../execution/sessionPool.js'
import type { MoveStep, StoredCall } from './buildMoveCall.js'
import { MissingStakerSignerError, NothingToMoveError, SagaNotFoundError, SagaStepRevertedError, StakerDelegatedElsewhereError, WithdrawalNotFoundError } from './errors.js'
import { planEigenLayerExits } from './planExits.js'
import { STEP_RUNNERS, markFailed } from './sagaSteps.js'
import type { StakerRoles } from './stakerRoles.js'
import type { EigenLayerPositionDetails, WithdrawalStruct } from './types.js'
import { StaleWriteError } from '../../store/errors.js'
import type { IntentStorePort as IntentStore, SagaRecord, SagaStorePort as SagaStore } from '../../store/ports.js'

/** Saga kind stored in the record. */
export const EIGENLAYER_MOVE = 'eigenlayer-move' as const

/** What a step's entry in the record says. */
export interface MoveStepRecord {
  status: 'sending' | 'done' | 'skipped'
  /** Epoch ms of the last change. */
  at: number
  /** The call exactly as it is (or was) sent: recorded before sending. */
  call?: StoredCall
  signer?: Address
  /** For a staker Safe: the Roles modifier the bot sent `execTransactionWithRole` to (the call above is the Safe's inner call). */
  via?: Address
  txHash?: Hex
  blockNumber?: bigint
  note?: string
}

/** The saga's own state (JSON with exact bigints in DynamoDB). */
export interface EigenLayerMoveState {
  delegationManager: Address
  strategyManager: Address
  strategy: Address
  token: Address
  from: { staker: Address; operator: Address }
  to: { staker: Address; operator: Address }
  /** Withdrawable shares requested; null = everything the source staker holds when the withdrawal is queued. */
  requestedShares: bigint | null
  reason: string
  /** Who started it: the planner (`plan`, the cooldown counts from these) or a deny-list exit (`exit`). Absent on sagas recorded before the field existed. */
  origin?: 'plan' | 'exit'
  steps: Partial<Record<MoveStep, MoveStepRecord>>
  queue?: { nonceBefore: bigint; depositShares: bigint; root?: Hex; withdrawal?: WithdrawalStruct; completableAtBlock?: bigint }
  /** At queue time: `sharesToWithdraw` of SlashingWithdrawalQueued and its tokens. */
  expected?: { shares: bigint; tokens: bigint; atBlock: bigint }
  /** Re-read just before completing (`getQueuedWithdrawal`): lower than `expected` if a slash landed meanwhile. */
  expectedAtCompletion?: { shares: bigint; tokens: bigint; atBlock: bigint }
  /** Tokens the source staker actually received (Transfer strategy → staker in the completion receipt). */
  received?: { tokens: bigint; txHash: Hex; blockNumber: bigint }
  /** expected.tokens − received.tokens (0 when no slash landed during the delay). */
  slashedDuringDelay?: bigint
  /** What the target staker got: deposit shares (Deposit event) and its withdrawable shares afterwards. */
  deposited?: { tokens: bigint; depositShares: bigint; withdrawableSharesAfter: bigint; txHash: Hex }
}

/** A stored move saga. */
export type EigenLayerMoveRecord = SagaRecord<EigenLayerMoveState>

/** Test and operations hooks between the moments that matter (a throw simulates a crash there). */
export interface EigenLayerSagaHooks {
  /** After the step (with its call) was recorded as `sending`, before anything is signed. */
  afterRecord?: (step: MoveStep, record: EigenLayerMoveRecord) => void | Promise<void>
  /** After the step's transaction was mined, before the saga records it as done. */
  afterSend?: (step: MoveStep, txHash: Hex) => void | Promise<void>
  /** After the step was recorded as done (or skipped / already done). */
  afterStep?: (step: MoveStep, record: EigenLayerMoveRecord) => void | Promise<void>
}

/** Dependencies of the EigenLayer saga use cases. */
export interface EigenLayerSagaContext {
  client: PublicClient
  intents: IntentStore
  sagas: SagaStore
  /** The signer that sends a staker's steps: the bot's signer for a staker Safe, the staker's own key for a local EOA staker (undefined = not ours). */
  signerFor: (staker: Address) => LocalAccount | undefined
  /** A staker Safe's Roles modifier and role: its steps go `execTransactionWithRole` from `signerFor(staker)` (undefined = an EOA staker). */
  rolesFor?: (staker: Address) => StakerRoles | undefined
  /** The lease-fenced signer session of an account (the run's session pool): every step is signed through one. */
  sessionFor: SessionFor
  /** Wall clock in epoch ms (default Date.now). */
  clock?: () => number
  /** Confirmations the executor waits for (default 1). */
  confirmations?: number
  maxFeePerGas?: bigint
  logger?: Logger
  hooks?: EigenLayerSagaHooks
}

/** Parameters of {@link startEigenLayerMove}. */
export interface StartEigenLayerMoveParameters {
  delegationManager: Address
  strategyManager: Address
  strategy: Address
  /** Source staker (its operator is read from chain). */
  from: { staker: Address }
  /** Target staker and the operator it is (or will be) delegated to. */
  to: { staker: Address; operator: Address }
  /** Withdrawable shares to move; omit for everything. */
  shares?: bigint
  reason: string
  /** Who starts it (recorded in the saga): the planner or a deny-list exit. */
  origin?: 'plan' | 'exit'
  /** Default `eigenlayer-move:<from>:<withdrawal nonce>`, so a retried start of the same move collides. */
  sagaId?: string
}

/** Outcome of one {@link advanceEigenLayerMove} call. */
export interface AdvanceEigenLayerMoveReturnType {
  status: EigenLayerMoveRecord['status']
  step: string
  record: EigenLayerMoveRecord
  /** When waiting: the first block at which the withdrawal can be completed. */
  completableAtBlock?: bigint
  /** When waiting: why the current step is held (a paused entry point or a deposit cap); retried on the next resume. */
  held?: string
}

const lower = (a: Address) => a.toLowerCase() as Address

/**
 * Validates a move against the chain and records the saga (nothing is sent yet). Returns the existing saga when a
 * saga with the same id was already started.
 * @example const saga = await startEigenLayerMove(ctx, { delegationManager, strategyManager, strategy, from: { staker: a }, to: { staker: b, operator: opB }, reason: 'rebalance' })
 */
export async function startEigenLayerMove(ctx: EigenLayerSagaContext, p: StartEigenLayerMoveParameters): Promise<EigenLayerMoveRecord> {
  const { client } = ctx
  const from = lower(p.from.staker)
  const to = { staker: lower(p.to.staker), operator: lower(p.to.operator) }
  if (from === to.staker) throw new NothingToMoveError({ staker: from, reason: 'source and target staker are the same account' })
  for (const s of [from, to.staker]) if (!ctx.signerFor(s)) throw new MissingStakerSignerError({ staker: s })
  const [fromOperator, toOperator, nonce, token, withdrawable] = await Promise.all([
    client.readContract({ address: p.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [from] }),
    client.readContract({ address: p.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [to.staker] }),
    client.readContract({ address: p.delegationManager, abi: delegationManagerAbi, functionName: 'cumulativeWithdrawalsQueued', args: [from] }),
    client.readContract({ address: p.strategy, abi: strategyAbi, functionName: 'underlyingToken' }),
    client.readContract({ address: p.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [from, [p.strategy]] }),
  ])
  if (lower(toOperator) !== zeroAddress && lower(toOperator) !== to.operator) throw new StakerDelegatedElsewhereError({ staker: to.staker, operator: toOperator, expected: to.operator })
  if (lower(fromOperator) === zeroAddress) throw new NothingToMoveError({ staker: from, reason: 'it is not delegated' })
  if ((withdrawable[0][0] ?? 0n) === 0n) throw new NothingToMoveError({ staker: from, reason: 'it has no withdrawable shares' })
  const sagaId = p.sagaId ?? `${EIGENLAYER_MOVE}:${from}:${nonce}`
  const now = (ctx.clock ?? Date.now)()
  const state: EigenLayerMoveState = {
    delegationManager: lower(p.delegationManager),
    strategyManager: lower(p.strategyManager),
    strategy: lower(p.strategy),
    token: lower(token),
    from: { staker: from, operator: lower(fromOperator) },
    to,
    requestedShares: p.shares ?? null,
    reason: p.reason,
    ...(p.origin ? { origin: p.origin } : {}),
    steps: {},
  }
  try {
    return await ctx.sagas.create<EigenLayerMoveState>({ sagaId, kind: EIGENLAYER_MOVE, status: 'running', step: 'queue', createdAt: now, updatedAt: now, state, log: [{ at: now, step: 'queue', event: 'started', detail: p.reason }] })
  } catch (e) {
    if (!(e instanceof StaleWriteError)) throw e
    const existing = await ctx.sagas.get<EigenLayerMoveState>(sagaId)
    if (!existing) throw e
    return existing
  }
}

/**
 * Advances a move saga as far as the chain allows: until it completes, or parks in `waiting` until the withdrawal
 * delay has passed (call again later). Safe to call repeatedly and after a crash at any point.
 * @example const out = await advanceEigenLayerMove(ctx, saga.sagaId) // { status: 'waiting', completableAtBlock }
 */
export async function advanceEigenLayerMove(ctx: EigenLayerSagaContext, sagaId: string): Promise<AdvanceEigenLayerMoveReturnType> {
  for (;;) {
    const rec = await ctx.sagas.get<EigenLayerMoveState>(sagaId)
    if (!rec) throw new SagaNotFoundError({ sagaId })
    if (rec.status === 'completed' || rec.status === 'failed') return { status: rec.status, step: rec.step, record: rec }
    const step = rec.step as MoveStep
    try {
      const out = await STEP_RUNNERS[step](ctx, rec)
      if (out) return out
    } catch (e) {
      if (e instanceof SagaStepRevertedError || e instanceof WithdrawalNotFoundError) await markFailed(ctx, sagaId, step, e)
      throw e
    }
  }
}

/** Starts a move and advances it (it usually parks in `waiting` at the withdrawal delay). */
export async function runEigenLayerMove(ctx: EigenLayerSagaContext, p: StartEigenLayerMoveParameters): Promise<AdvanceEigenLayerMoveReturnType> {
  const saga = await startEigenLayerMove(ctx, p)
  return advanceEigenLayerMove(ctx, saga.sagaId)
}

/** Advances every open move saga (the scheduled resumer); returns each outcome, or the error it stopped on. */
export async function resumeEigenLayerMoves(ctx: EigenLayerSagaContext): Promise<{ sagaId: string; outcome?: AdvanceEigenLayerMoveReturnType; error?: unknown }[]> {
  const open = await ctx.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting'])
  const results: { sagaId: string; outcome?: AdvanceEigenLayerMoveReturnType; error?: unknown }[] = []
  for (const s of open.filter((x) => x.kind === EIGENLAYER_MOVE)) {
    try {
      results.push({ sagaId: s.sagaId, outcome: await advanceEigenLayerMove(ctx, s.sagaId) })
    } catch (error) {
      results.push({ sagaId: s.sagaId, error })
    }
  }
  return results
}

/**
 * Moves our stake off deny-listed operators: plans the exits from the read position and starts (and advances) one
 * saga per affected staker, skipping stakers that already have an open move.
 * @example await moveOutOfDeniedOperators(ctx, { details, deny: policy.operators.deny, allow: policy.operators.allow })
 */
export async function moveOutOfDeniedOperators(
  ctx: EigenLayerSagaContext,
  p: { details: EigenLayerPositionDetails; deny: readonly Address[]; allow?: readonly Address[]; fallbackOperator?: Address },
): Promise<{ started: AdvanceEigenLayerMoveReturnType[]; unplaced: ReturnType<typeof planEigenLayerExits>['unplaced'] }> {
  const { exits, unplaced } = planEigenLayerExits(p.details, p)
  const open = await ctx.sagas.listByStatus<EigenLayerMoveState>(['running', 'waiting'])
  const busy = new Set(open.filter((s) => s.kind === EIGENLAYER_MOVE).map((s) => s.state.from.staker))
  const started: AdvanceEigenLayerMoveReturnType[] = []
  for (const e of exits) {
    if (busy.has(lower(e.from.staker))) continue
    started.push(
      await runEigenLayerMove(ctx, {
        delegationManager: p.details.delegationManager,
        strategyManager: p.details.strategyManager,
        strategy: p.details.strategy,
        from: { staker: e.from.staker },
        to: e.to,
        ...(e.shares !== undefined ? { shares: e.shares } : {}),
        reason: e.reason,
        origin: 'exit',
      }),
    )
  }
  return { started, unplaced }
}
