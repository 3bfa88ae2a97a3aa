/**
 * EigenLayer stake moves as resumable sagas (LRT-style: one staker account per operator). Moving stake from
 * operator A's staker to operator B's staker is:
 *   queue (queueWithdrawals on A's staker) → wait (minWithdrawalDelayBlocks) → complete (completeQueuedWithdrawal,
 *   receiveAsTokens) → transfer (tokens A → B) → delegate (delegateTo, only if B's staker is new) → approve →
 *   deposit (depositIntoStrategy on B's staker).
 * Every step is written to the saga record (DynamoDB, conditional) BEFORE its transaction is sent, and sent through
 * the exactly-once executor with runId `${sagaId}:${step}`, inside the signing key's lease-fenced signer session
 * (one per key per run, from the run's session pool), so two runs never sign with one staker key at once. On resume the stored intent's receipt, then the chain,
 * decide whether a step already happened, so no step is ever sent twice. Amounts are re-read from the chain: the
 * completed amount is the token transfer in the completion receipt (a slash during the delay shows as expected vs
 * received in the record), never assumed.
 * A step whose entry point is paused (`CurrentlyPaused()`) or whose deposit would exceed the strategy's caps is held:
 * nothing is sent, the saga waits with the reason in its log, and the next resume tries again.
 * Locally each staker is an EOA whose key the bot holds; in production they are LRT staker contracts the bot's
 * signer controls (the calls then go through those contracts).
 */
import type { Logger } from '@aws-lambda-powertools/logger'
import { type Address, type Hex, type LocalAccount, type PublicClient, type TransactionReceipt, erc20Abi, getAbiItem, parseEventLogs, zeroAddress } from 'viem'
import { delegationManagerAbi, strategyAbi, strategyManagerAbi } from './abis.js'
import { SimulationRevertedError, TransactionRevertedError } from '../../chain/errors.js'
import { executeCalls } from '../../execution/executeCalls.js'
import type { SessionFor } from '../../execution/sessionPool.js'
import { units } from '../../domain/format.js'
import { type MoveStep, type StoredCall, buildApproveCall, buildCompleteWithdrawalCall, buildDelegateToCall, buildDepositCall, buildQueueWithdrawalCall, buildTokenTransferCall, toPlannedCall } from './buildMoveCall.js'
import { MissingStakerSignerError, NothingToMoveError, SagaNotFoundError, SagaStepRevertedError, StakerDelegatedElsewhereError, WithdrawalNotFoundError } from './errors.js'
import { type PlannedExit, planEigenLayerExits } from './planExits.js'
import { type EigenLayerPositionDetails, type WithdrawalStruct, withdrawalRoot } from './types.js'
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
  /** The bot's signer for a staker account (undefined = not ours). */
  signerFor: (staker: Address) => LocalAccount | undefined
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
  p: {
    details: EigenLayerPositionDetails
    deny: readonly Address[]
    allow?: readonly Address[]
    fallbackOperator?: Address
    /** Trigger hook: the saga's reason for an exit a trigger asked for (a slash response, a webhook de-risk); default the planned reason. */
    reasonFor?: (exit: PlannedExit) => string | undefined
    /** Trigger hook: the part of a staker's shares that leaves this operator, bps (default all; `halve`: 5 000). */
    exitBps?: (operator: Address) => number | undefined
  },
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
        reason: p.reasonFor?.(e) ?? e.reason,
        origin: 'exit',
      }),
    )
  }
  return { started, unplaced }
}

// ------------------------------------------------------------------------------------------------ steps

type StepRunner = (ctx: EigenLayerSagaContext, rec: EigenLayerMoveRecord) => Promise<AdvanceEigenLayerMoveReturnType | undefined>

const STEP_RUNNERS: Record<MoveStep, StepRunner> = {
  queue: (ctx, rec) =>
    txStep(ctx, rec, 'queue', {
      signer: rec.state.from.staker,
      prepare: async () => {
        const s = rec.state
        const [nonceBefore, depositShares] = await Promise.all([
          ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'cumulativeWithdrawalsQueued', args: [s.from.staker] }),
          depositSharesToQueue(ctx, s),
        ])
        return { call: buildQueueWithdrawalCall({ delegationManager: s.delegationManager, strategy: s.strategy, depositShares, staker: s.from.staker }), patch: { queue: { nonceBefore, depositShares } } }
      },
      hold: (s) => pausedReason(ctx, [{ address: s.delegationManager, index: DM_PAUSED_ENTER_WITHDRAWAL_QUEUE, what: 'DelegationManager: entering the withdrawal queue is paused' }]),
      // Queued already iff the staker's withdrawal nonce moved past the one recorded before sending.
      alreadyDone: async (s) => s.queue !== undefined && (await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'cumulativeWithdrawalsQueued', args: [s.from.staker] })) > s.queue.nonceBefore,
      after: (s, receipt) => recordQueued(ctx, rec.sagaId, s, receipt),
      next: 'wait',
    }),

  wait: async (ctx, rec) => {
    const q = rec.state.queue
    if (!q?.completableAtBlock) throw new WithdrawalNotFoundError({ sagaId: rec.sagaId, staker: rec.state.from.staker, nonce: q?.nonceBefore ?? -1n })
    const head = await ctx.client.getBlockNumber({ cacheTime: 0 })
    // The completion must be simulated and mined at a block > startBlock + delay: wait until the head is there.
    if (head < q.completableAtBlock) {
      if (rec.status !== 'waiting') await save(ctx, rec, { status: 'waiting' }, { step: 'wait', event: 'waiting', detail: `until block ${q.completableAtBlock}` })
      return { status: 'waiting', step: 'wait', record: (await ctx.sagas.get<EigenLayerMoveState>(rec.sagaId))!, completableAtBlock: q.completableAtBlock }
    }
    const saved = await save(ctx, rec, { status: 'running', step: 'complete', steps: { wait: { status: 'done', at: now(ctx), note: `head ${head}` } } }, { step: 'wait', event: 'done', detail: `head ${head}` })
    await ctx.hooks?.afterStep?.('wait', saved)
    return undefined
  },

  complete: (ctx, rec) =>
    txStep(ctx, rec, 'complete', {
      signer: rec.state.from.staker,
      prepare: async () => {
        const s = rec.state
        const q = s.queue!
        // Re-read what the withdrawal pays now (a slash during the delay lowers it).
        const [block, [, shares]] = await Promise.all([ctx.client.getBlockNumber({ cacheTime: 0 }), ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'getQueuedWithdrawal', args: [q.root!] })])
        const expShares = shares[0] ?? 0n
        const tokens = await sharesToTokens(ctx, s.strategy, expShares, block)
        return { call: buildCompleteWithdrawalCall({ delegationManager: s.delegationManager, withdrawal: q.withdrawal!, token: s.token }), patch: { expectedAtCompletion: { shares: expShares, tokens, atBlock: block } } }
      },
      hold: (s) =>
        pausedReason(ctx, [
          { address: s.delegationManager, index: DM_PAUSED_EXIT_WITHDRAWAL_QUEUE, what: 'DelegationManager: completing withdrawals is paused' },
          { address: s.strategy, index: STRATEGY_PAUSED_WITHDRAWALS, what: 'strategy: withdrawals are paused' },
        ]),
      // Completed already iff the root is no longer queued for the staker.
      alreadyDone: async (s) => {
        const roots = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'getQueuedWithdrawalRoots', args: [s.from.staker] })
        return !roots.map((r) => r.toLowerCase()).includes(s.queue!.root!.toLowerCase())
      },
      after: (s, receipt) => recordReceived(ctx, rec.sagaId, s, receipt),
      next: 'transfer',
    }),

  transfer: (ctx, rec) =>
    txStep(ctx, rec, 'transfer', {
      signer: rec.state.from.staker,
      skip: (s) => (s.received!.tokens === 0n ? 'nothing received (fully slashed)' : undefined),
      prepare: async () => ({ call: buildTokenTransferCall({ token: rec.state.token, to: rec.state.to.staker, amount: rec.state.received!.tokens }), patch: {} }),
      next: 'delegate',
    }),

  delegate: (ctx, rec) =>
    txStep(ctx, rec, 'delegate', {
      signer: rec.state.to.staker,
      skip: async (s) => {
        if (s.received!.tokens === 0n) return 'nothing to deposit'
        const op = lower(await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [s.to.staker] }))
        if (op === s.to.operator) return `staker already delegated to ${op}`
        if (op !== zeroAddress) throw new StakerDelegatedElsewhereError({ staker: s.to.staker, operator: op, expected: s.to.operator })
        return undefined
      },
      hold: (s) => pausedReason(ctx, [{ address: s.delegationManager, index: DM_PAUSED_NEW_DELEGATION, what: 'DelegationManager: new delegations are paused' }]),
      prepare: async () => ({ call: buildDelegateToCall({ delegationManager: rec.state.delegationManager, operator: rec.state.to.operator }), patch: {} }),
      next: 'approve',
    }),

  approve: (ctx, rec) =>
    txStep(ctx, rec, 'approve', {
      signer: rec.state.to.staker,
      skip: async (s) => {
        if (s.received!.tokens === 0n) return 'nothing to deposit'
        const allowance = await ctx.client.readContract({ address: s.token, abi: erc20Abi, functionName: 'allowance', args: [s.to.staker, s.strategyManager] })
        return allowance >= s.received!.tokens ? `allowance ${allowance} already covers it` : undefined
      },
      prepare: async () => ({ call: buildApproveCall({ token: rec.state.token, spender: rec.state.strategyManager, amount: rec.state.received!.tokens }), patch: {} }),
      next: 'deposit',
    }),

  deposit: (ctx, rec) =>
    txStep(ctx, rec, 'deposit', {
      signer: rec.state.to.staker,
      skip: (s) => (s.received!.tokens === 0n ? 'nothing to deposit' : undefined),
      hold: async (s) =>
        (await pausedReason(ctx, [
          { address: s.strategyManager, index: SM_PAUSED_DEPOSITS, what: 'StrategyManager: deposits are paused' },
          { address: s.strategy, index: STRATEGY_PAUSED_DEPOSITS, what: 'strategy: deposits are paused' },
        ])) ?? (await depositCapReason(ctx, s)),
      prepare: async () => ({ call: buildDepositCall({ strategyManager: rec.state.strategyManager, strategy: rec.state.strategy, token: rec.state.token, amount: rec.state.received!.tokens }), patch: {} }),
      after: (s, receipt) => recordDeposited(ctx, s, receipt),
      next: 'done',
    }),
}

interface TxStepSpec {
  signer: Address
  /** A reason to skip the step without sending (checked from chain), or undefined to send it. */
  skip?: (s: EigenLayerMoveState) => string | undefined | Promise<string | undefined>
  /** A reason to hold the step for now (paused entry point, deposit cap): nothing is sent, the saga waits and retries. */
  hold?: (s: EigenLayerMoveState) => Promise<string | undefined>
  /** Builds the call from fresh chain reads, plus state to record with it (before sending). */
  prepare: () => Promise<{ call: StoredCall; patch: Partial<EigenLayerMoveState> }>
  /** True when the chain shows the step happened although we hold no receipt for it. */
  alreadyDone?: (s: EigenLayerMoveState) => Promise<boolean>
  /** Reads the step's outcome from chain (receipt when we have one) into the state. */
  after?: (s: EigenLayerMoveState, receipt: TransactionReceipt | undefined) => Promise<Partial<EigenLayerMoveState>>
  next: MoveStep | 'done'
}

/** Runs one transaction step exactly once: receipt of a stored intent → chain check → record → send → record. */
async function txStep(ctx: EigenLayerSagaContext, rec: EigenLayerMoveRecord, step: Exclude<MoveStep, 'wait'>, spec: TxStepSpec): Promise<AdvanceEigenLayerMoveReturnType | undefined> {
  const runId = `${rec.sagaId}:${step}`
  const intent = await ctx.intents.get(`${runId}#0`)
  let current = rec

  // 1. A transaction was signed for this step before: its receipt is the truth.
  if (intent) {
    const receipt = await findReceipt(ctx.client, intent.txHashes?.length ? intent.txHashes : [intent.txHash])
    if (receipt?.status === 'reverted') throw new SagaStepRevertedError({ sagaId: rec.sagaId, step, txHash: receipt.transactionHash })
    if (receipt) {
      await ctx.intents.transition(intent.intentId, ['signed', 'broadcast'], 'mined', { blockNumber: receipt.blockNumber.toString(), gasUsed: receipt.gasUsed.toString() }).catch((e: unknown) => {
        if (!(e instanceof StaleWriteError)) throw e
      })
      return finish(ctx, current, step, spec, receipt, 'sent')
    }
  }

  // 2. Nothing mined for it: skip it, or see whether the chain already shows it done.
  if (!intent && current.state.steps[step]?.status !== 'sending') {
    const why = await spec.skip?.(current.state)
    if (why !== undefined) return finish(ctx, current, step, spec, undefined, 'skipped', why)
  }
  if (!intent && (await spec.alreadyDone?.(current.state))) return finish(ctx, current, step, spec, undefined, 'already-done')

  // 3. Held (a paused entry point reverts CurrentlyPaused(); a deposit over the caps reverts too): send nothing now.
  const held = await spec.hold?.(current.state)
  if (held !== undefined) return hold(ctx, current, step, held)

  // 4. Record the call BEFORE it is sent (reuse the recorded call when resuming a `sending` step).
  const account = ctx.signerFor(spec.signer)
  if (!account) throw new MissingStakerSignerError({ staker: spec.signer })
  // Hold the key's signer session BEFORE recording the step: a run refused the key (LockBusyError) records nothing, so
  // its next attempt prepares against the chain as it is then (another saga may have used the key meanwhile).
  const session = await ctx.sessionFor(account)
  let call = current.state.steps[step]?.status === 'sending' ? current.state.steps[step]!.call : undefined
  if (!call) {
    const prepared = await spec.prepare()
    call = prepared.call
    current = await save(ctx, current, { ...prepared.patch, steps: { [step]: { status: 'sending', at: now(ctx), call, signer: lower(account.address) } } }, { step, event: 'sending', detail: call.description })
  }
  await ctx.hooks?.afterRecord?.(step, current)

  // 5. Send through the exactly-once executor (it stores the signed tx before broadcasting).
  let sent: Awaited<ReturnType<typeof executeCalls>>[number] | undefined
  try {
    ;[sent] = await executeCalls({
      client: ctx.client,
      account,
      calls: [toPlannedCall(call)],
      intents: ctx.intents,
      runId,
      confirmations: ctx.confirmations,
      maxFeePerGas: ctx.maxFeePerGas,
      session,
    })
  } catch (e) {
    if (e instanceof TransactionRevertedError) throw new SagaStepRevertedError({ sagaId: rec.sagaId, step, txHash: (await ctx.intents.get(`${runId}#0`))?.txHash ?? 'unknown' })
    // Paused between the check and the simulation: nothing was sent; hold like above (the recorded call is re-sent later).
    if (e instanceof SimulationRevertedError && e.reason.startsWith('CurrentlyPaused')) return hold(ctx, current, step, `${step}: entry point paused (CurrentlyPaused())`)
    throw e
  }
  await ctx.hooks?.afterSend?.(step, sent!.txHash)
  const receipt = await ctx.client.getTransactionReceipt({ hash: sent!.txHash })
  return finish(ctx, current, step, spec, receipt, 'sent')
}

/** Parks the saga in `waiting` at `step` with the reason (logged once per reason); the next resume checks again. */
async function hold(ctx: EigenLayerSagaContext, rec: EigenLayerMoveRecord, step: MoveStep, why: string): Promise<AdvanceEigenLayerMoveReturnType> {
  const last = rec.log[rec.log.length - 1]
  const saved = rec.status === 'waiting' && last?.event === 'held' && last.detail === why ? rec : await save(ctx, rec, { status: 'waiting' }, { step, event: 'held', detail: why })
  ctx.logger?.info('eigenlayer saga held', { sagaId: rec.sagaId, step, reason: why })
  return { status: 'waiting', step, record: saved, held: why }
}

/** Records a step as done (or skipped) with what the chain says, and moves the saga to the next step. */
async function finish(ctx: EigenLayerSagaContext, rec: EigenLayerMoveRecord, step: MoveStep, spec: TxStepSpec, receipt: TransactionReceipt | undefined, event: 'sent' | 'skipped' | 'already-done', note?: string): Promise<undefined> {
  const patch = event === 'skipped' || !spec.after ? {} : await spec.after(rec.state, receipt)
  const prev = rec.state.steps[step]
  const stepRecord: MoveStepRecord = {
    ...prev,
    status: event === 'skipped' ? 'skipped' : 'done',
    at: now(ctx),
    ...(receipt ? { txHash: receipt.transactionHash, blockNumber: receipt.blockNumber } : {}),
    ...((note ?? (event === 'already-done' ? 'found done on chain' : undefined)) ? { note: note ?? 'found done on chain' } : {}),
  }
  const done = spec.next === 'done'
  const saved = await save(
    ctx,
    rec,
    { ...patch, steps: { [step]: stepRecord }, step: done ? 'done' : spec.next, status: done ? 'completed' : 'running' },
    { step, event, ...(receipt ? { txHash: receipt.transactionHash } : {}), ...(note ? { detail: note } : {}) },
  )
  await ctx.hooks?.afterStep?.(step, saved)
  return undefined
}

// ------------------------------------------------------------------------------------------------ chain reads

/** Pause flags (bit indexes of `paused(uint8)`) of the entry points the saga calls, as in the v1.x core. */
const DM_PAUSED_NEW_DELEGATION = 0
const DM_PAUSED_ENTER_WITHDRAWAL_QUEUE = 1
const DM_PAUSED_EXIT_WITHDRAWAL_QUEUE = 2
const SM_PAUSED_DEPOSITS = 0
const STRATEGY_PAUSED_DEPOSITS = 0
const STRATEGY_PAUSED_WITHDRAWALS = 1

/** The first paused flag among `flags`, said for a person (`… (CurrentlyPaused())`), or undefined when none is. */
async function pausedReason(ctx: EigenLayerSagaContext, flags: readonly { address: Address; index: number; what: string }[]): Promise<string | undefined> {
  const paused = await ctx.client.multicall({
    contracts: flags.map((f) => ({ address: f.address, abi: strategyAbi, functionName: 'paused', args: [f.index] }) as const),
    allowFailure: false,
  })
  const i = paused.indexOf(true)
  return i < 0 ? undefined : `${flags[i]!.what} (CurrentlyPaused()); retried on the next run`
}

/** Why the deposit would exceed the strategy's StrategyBaseTVLLimits caps, or undefined (no caps, or it fits). */
async function depositCapReason(ctx: EigenLayerSagaContext, s: EigenLayerMoveState): Promise<string | undefined> {
  const [limits, balance] = await ctx.client.multicall({
    contracts: [
      { address: s.strategy, abi: strategyAbi, functionName: 'getTVLLimits' },
      { address: s.token, abi: erc20Abi, functionName: 'balanceOf', args: [s.strategy] },
    ],
    allowFailure: true,
  })
  if (limits.status !== 'success' || balance.status !== 'success') return undefined
  const [maxPerDeposit, maxTotalDeposits] = limits.result
  const amount = s.received!.tokens
  // Token amounts for a person: the strategy's underlying in whole units (18 decimals, as the LSTs).
  if (amount > maxPerDeposit) return `a deposit of ${units(amount)} is over the strategy's maxPerDeposit ${units(maxPerDeposit)} (MaxPerDepositExceedsMax()); retried on the next run`
  if (balance.result + amount > maxTotalDeposits)
    return `the strategy holds ${units(balance.result)} of its maxTotalDeposits ${units(maxTotalDeposits)}: a deposit of ${units(amount)} does not fit (BalanceExceedsMaxTotalDeposits()); retried on the next run`
  return undefined
}

/** Deposit shares to queue: all of them, or the requested withdrawable shares converted (`convertToDepositShares`). */
async function depositSharesToQueue(ctx: EigenLayerSagaContext, s: EigenLayerMoveState): Promise<bigint> {
  const [[withdrawable], [deposit]] = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'getWithdrawableShares', args: [s.from.staker, [s.strategy]] })
  if (s.requestedShares === null || s.requestedShares >= (withdrawable ?? 0n)) return deposit ?? 0n
  const [converted] = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'convertToDepositShares', args: [s.from.staker, [s.strategy], [s.requestedShares]] })
  return converted ?? 0n
}

/** Finds the queued withdrawal (from the receipt's SlashingWithdrawalQueued, else from the chain's queue) and what it was worth. */
async function recordQueued(ctx: EigenLayerSagaContext, sagaId: string, s: EigenLayerMoveState, receipt: TransactionReceipt | undefined): Promise<Partial<EigenLayerMoveState>> {
  const q = s.queue!
  let withdrawal: WithdrawalStruct | undefined
  let shares: bigint | undefined
  let atBlock: bigint
  if (receipt) {
    const logs = parseEventLogs({ abi: delegationManagerAbi, eventName: 'SlashingWithdrawalQueued', logs: receipt.logs })
    const hit = logs.find((l) => lower(l.args.withdrawal.staker) === s.from.staker && l.args.withdrawal.nonce === q.nonceBefore)
    if (hit) {
      withdrawal = hit.args.withdrawal
      shares = hit.args.sharesToWithdraw[hit.args.withdrawal.strategies.findIndex((x) => lower(x) === s.strategy)] ?? 0n
    }
    atBlock = receipt.blockNumber
  } else {
    atBlock = await ctx.client.getBlockNumber({ cacheTime: 0 })
  }
  if (!withdrawal) {
    const [ws, sh] = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'getQueuedWithdrawals', args: [s.from.staker] })
    const i = ws.findIndex((w) => w.nonce === q.nonceBefore)
    if (i < 0) throw new WithdrawalNotFoundError({ sagaId, staker: s.from.staker, nonce: q.nonceBefore })
    withdrawal = ws[i]!
    shares = sh[i]![withdrawal.strategies.findIndex((x) => lower(x) === s.strategy)] ?? 0n
    atBlock = BigInt(withdrawal.startBlock)
  }
  const minDelay = await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'minWithdrawalDelayBlocks' })
  const w: WithdrawalStruct = { ...withdrawal, strategies: [...withdrawal.strategies], scaledShares: [...withdrawal.scaledShares] }
  return {
    queue: { ...q, root: withdrawalRoot(w), withdrawal: w, completableAtBlock: BigInt(w.startBlock) + BigInt(minDelay) + 1n },
    expected: { shares: shares ?? 0n, tokens: await sharesToTokens(ctx, s.strategy, shares ?? 0n, atBlock), atBlock },
  }
}

/** Reads the tokens the source staker received in the completion transaction (Transfer strategy → staker). */
async function recordReceived(ctx: EigenLayerSagaContext, sagaId: string, s: EigenLayerMoveState, receipt: TransactionReceipt | undefined): Promise<Partial<EigenLayerMoveState>> {
  let r = receipt
  if (!r) {
    // Completed without a receipt of ours: find the completion on chain by its root.
    const logs = await ctx.client.getLogs({
      address: s.delegationManager,
      event: getAbiItem({ abi: delegationManagerAbi, name: 'SlashingWithdrawalCompleted' }),
      fromBlock: BigInt(s.queue!.withdrawal!.startBlock),
    })
    const hit = logs.find((l) => l.args.withdrawalRoot?.toLowerCase() === s.queue!.root!.toLowerCase())
    if (!hit) throw new WithdrawalNotFoundError({ sagaId, staker: s.from.staker, nonce: s.queue!.nonceBefore })
    r = await ctx.client.getTransactionReceipt({ hash: hit.transactionHash })
  }
  const transfers = parseEventLogs({ abi: erc20Abi, eventName: 'Transfer', logs: r.logs }).filter((l) => lower(l.address) === s.token && lower(l.args.from) === s.strategy && lower(l.args.to) === s.from.staker)
  const tokens = transfers.reduce((sum, l) => sum + l.args.value, 0n)
  const expectedTokens = s.expected?.tokens ?? tokens
  return { received: { tokens, txHash: r.transactionHash, blockNumber: r.blockNumber }, slashedDuringDelay: expectedTokens > tokens ? expectedTokens - tokens : 0n }
}

/** Reads the deposit shares minted (Deposit event) and the target staker's withdrawable shares after it. */
async function recordDeposited(ctx: EigenLayerSagaContext, s: EigenLayerMoveState, receipt: TransactionReceipt | undefined): Promise<Partial<EigenLayerMoveState>> {
  const deposits = receipt ? parseEventLogs({ abi: strategyManagerAbi, eventName: 'Deposit', logs: receipt.logs }).filter((l) => lower(l.args.staker) === s.to.staker && lower(l.args.strategy) === s.strategy) : []
  const [[withdrawable]] = await ctx.client.readContract({
    address: s.delegationManager,
    abi: delegationManagerAbi,
    functionName: 'getWithdrawableShares',
    args: [s.to.staker, [s.strategy]],
    ...(receipt ? { blockNumber: receipt.blockNumber } : {}),
  })
  return {
    deposited: {
      tokens: s.received!.tokens,
      depositShares: deposits.reduce((sum, l) => sum + l.args.shares, 0n),
      withdrawableSharesAfter: withdrawable ?? 0n,
      txHash: receipt?.transactionHash ?? ('0x' as Hex),
    },
  }
}

async function sharesToTokens(ctx: EigenLayerSagaContext, strategy: Address, shares: bigint, blockNumber: bigint): Promise<bigint> {
  if (shares === 0n) return 0n
  return ctx.client.readContract({ address: strategy, abi: strategyAbi, functionName: 'sharesToUnderlyingView', args: [shares], blockNumber })
}

async function findReceipt(client: PublicClient, hashes: readonly string[]): Promise<TransactionReceipt | undefined> {
  for (const h of hashes) {
    const r = await client.getTransactionReceipt({ hash: h as Hex }).catch(() => undefined)
    if (r) return r
  }
  return undefined
}

// ------------------------------------------------------------------------------------------------ record

const now = (ctx: EigenLayerSagaContext) => (ctx.clock ?? Date.now)()

/** Saves a patch of the saga (conditional on the version read) with one log line. */
async function save(
  ctx: EigenLayerSagaContext,
  rec: EigenLayerMoveRecord,
  patch: Partial<EigenLayerMoveState> & { status?: EigenLayerMoveRecord['status']; step?: string },
  log: { step: string; event: string; txHash?: string; detail?: string },
): Promise<EigenLayerMoveRecord> {
  const { status, step, steps, ...statePatch } = patch
  const at = now(ctx)
  const next: EigenLayerMoveRecord = {
    ...rec,
    status: status ?? rec.status,
    step: step ?? rec.step,
    updatedAt: at,
    state: { ...rec.state, ...statePatch, steps: { ...rec.state.steps, ...steps } },
    log: [...rec.log, { at, ...log }],
  }
  const saved = await ctx.sagas.save(next)
  ctx.logger?.info('eigenlayer saga', { sagaId: rec.sagaId, step: log.step, event: log.event, txHash: log.txHash })
  return saved
}

async function markFailed(ctx: EigenLayerSagaContext, sagaId: string, step: string, e: Error): Promise<void> {
  const rec = await ctx.sagas.get<EigenLayerMoveState>(sagaId)
  if (!rec || rec.status === 'failed') return
  await save(ctx, { ...rec, error: { name: e.name, message: e.message } }, { status: 'failed' }, { step, event: 'failed', detail: e.message })
}
