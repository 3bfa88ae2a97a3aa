import { type Address, zeroAddress } from 'viem'
import { delegationManagerAbi, strategyAbi } from './abis.js'
import type { MoveStep } from './buildMoveCall.js'
import { MissingStakerSignerError, NothingToMoveError, SagaNotFoundError, SagaStepRevertedError, StakerDelegatedElsewhereError, WithdrawalNotFoundError } from './errors.js'
import { type PlannedExit, planEigenLayerExits } from './planExits.js'
import { STEP_RUNNERS, markFailed } from './sagaSteps.js'
import { type AdvanceEigenLayerMoveReturnType, EIGENLAYER_MOVE, type EigenLayerMoveRecord, type EigenLayerMoveState, type EigenLayerSagaContext } from './sagaTypes.js'

export * from './sagaTypes.js'
import type { EigenLayerPositionDetails } from './types.js'
import { StaleWriteError } from '../../store/errors.js'

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

/** Parameters of {@link startEigenLayerDeposit}. */
export interface StartEigenLayerDepositParameters {
  delegationManager: Address
  strategyManager: Address
  strategy: Address
  /** The staker account holding the tokens, and the operator it is (or will be) delegated to. */
  staker: Address
  operator: Address
  /** Tokens to deposit (read from the account's balance). */
  tokens: bigint
  reason: string
  /** Default `eigenlayer-idle:<staker>:<block>`. */
  sagaId?: string
}

/**
 * Records a saga that deposits tokens idle in one of our staker accounts (tokens a failed saga left, or sent to a
 * staker Safe): it starts at `delegate` (skipped when delegated already) → `approve` → `deposit`, through the same
 * exactly-once steps as a move. Nothing is sent yet.
 * @example await advanceEigenLayerMove(ctx, (await startEigenLayerDeposit(ctx, { ...core, staker, operator, tokens, reason })).sagaId)
 */
export async function startEigenLayerDeposit(ctx: EigenLayerSagaContext, p: StartEigenLayerDepositParameters): Promise<EigenLayerMoveRecord> {
  const staker = lower(p.staker)
  if (!ctx.signerFor(staker)) throw new MissingStakerSignerError({ staker })
  if (p.tokens <= 0n) throw new NothingToMoveError({ staker, reason: 'it holds no idle tokens' })
  const [token, head] = await Promise.all([ctx.client.readContract({ address: p.strategy, abi: strategyAbi, functionName: 'underlyingToken' }), ctx.client.getBlockNumber({ cacheTime: 0 })])
  const now = (ctx.clock ?? Date.now)()
  const at = { staker, operator: lower(p.operator) }
  const skipped = { status: 'skipped' as const, at: now, note: 'idle tokens: nothing to withdraw' }
  const state: EigenLayerMoveState = {
    delegationManager: lower(p.delegationManager),
    strategyManager: lower(p.strategyManager),
    strategy: lower(p.strategy),
    token: lower(token),
    from: at,
    to: at,
    requestedShares: null,
    reason: p.reason,
    origin: 'idle',
    steps: { queue: skipped, wait: skipped, complete: skipped, transfer: skipped },
    received: { tokens: p.tokens, txHash: '0x', blockNumber: head },
    slashedDuringDelay: 0n,
  }
  const sagaId = p.sagaId ?? `eigenlayer-idle:${staker}:${head}`
  return ctx.sagas.create<EigenLayerMoveState>({ sagaId, kind: EIGENLAYER_MOVE, status: 'running', step: 'delegate', createdAt: now, updatedAt: now, state, log: [{ at: now, step: 'delegate', event: 'started', detail: p.reason }] })
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
