/**
 * The steps of the EigenLayer move saga (./saga.ts): one runner per step, and `txStep`, which sends a step exactly
 * once (receipt of a stored intent → chain check → hold → record → send through the signer session → record). A
 * staker Safe's step is sent by the bot's signer as `execTransactionWithRole` to the Safe's Roles modifier
 * (./stakerRoles.ts); the recorded call is the inner call the Safe makes.
 */
import { type Address, type TransactionReceipt, erc20Abi } from 'viem'
import { toAddr, zeroAddr } from '../../address.js'
import { SimulationRevertedError, TransactionRevertedError } from '../../chain/errors.js'
import { simulateAsSafe, wrapWithRole } from '../../chain/safe/execWithRole.js'
import { executeCalls } from '../../execution/executeCalls.js'
import { StaleWriteError } from '../../store/errors.js'
import { delegationManagerAbi } from './abis.js'
import { type MoveStep, type StoredCall, buildApproveCall, buildCompleteWithdrawalCall, buildDelegateToCall, buildDepositCall, buildQueueWithdrawalCall, buildTokenTransferCall, toPlannedCall } from './buildMoveCall.js'
import { MissingStakerSignerError, SagaStepRevertedError, StakerDelegatedElsewhereError, WithdrawalNotFoundError } from './errors.js'
import type { AdvanceEigenLayerMoveReturnType, EigenLayerMoveRecord, EigenLayerMoveState, EigenLayerSagaContext, MoveStepRecord } from './sagaTypes.js'
import {
  DM_PAUSED_ENTER_WITHDRAWAL_QUEUE,
  DM_PAUSED_EXIT_WITHDRAWAL_QUEUE,
  DM_PAUSED_NEW_DELEGATION,
  SM_PAUSED_DEPOSITS,
  STRATEGY_PAUSED_DEPOSITS,
  STRATEGY_PAUSED_WITHDRAWALS,
  depositCapReason,
  depositSharesToQueue,
  findReceipt,
  pausedReason,
  recordDeposited,
  recordQueued,
  recordReceived,
  sharesToTokens,
} from './sagaReads.js'

type StepRunner = (ctx: EigenLayerSagaContext, rec: EigenLayerMoveRecord) => Promise<AdvanceEigenLayerMoveReturnType | undefined>

export const STEP_RUNNERS: Record<MoveStep, StepRunner> = {
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
        const op = toAddr(await ctx.client.readContract({ address: s.delegationManager, abi: delegationManagerAbi, functionName: 'delegatedTo', args: [s.to.staker] }))
        if (op === s.to.operator) return `staker already delegated to ${op}`
        if (op !== zeroAddr) throw new StakerDelegatedElsewhereError({ staker: s.to.staker, operator: op, expected: s.to.operator })
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
  const roles = ctx.rolesFor?.(spec.signer)
  // Hold the key's signer session BEFORE recording the step: a run refused the key (LockBusyError) records nothing, so
  // its next attempt prepares against the chain as it is then (another saga may have used the key meanwhile).
  const session = await ctx.sessionFor(account)
  let call = current.state.steps[step]?.status === 'sending' ? current.state.steps[step]!.call : undefined
  if (!call) {
    const prepared = await spec.prepare()
    call = prepared.call
    current = await save(
      ctx,
      current,
      { ...prepared.patch, steps: { [step]: { status: 'sending', at: now(ctx), call, signer: toAddr(account.address), ...(roles ? { via: toAddr(roles.rolesModifier) } : {}) } } },
      { step, event: 'sending', detail: call.description },
    )
  }
  await ctx.hooks?.afterRecord?.(step, current)

  // 5. Send through the exactly-once executor (it stores the signed tx before broadcasting). A staker Safe's call
  // goes through its Roles modifier from the bot's signer; it is first simulated as the Safe, so that a core revert
  // keeps its own name (CurrentlyPaused(), a cap) instead of the modifier's ModuleTransactionFailed().
  const inner = toPlannedCall(call)
  let sent: Awaited<ReturnType<typeof executeCalls>>[number] | undefined
  try {
    if (roles) await simulateAsSafe(ctx.client, spec.signer, [inner])
    ;[sent] = await executeCalls({
      client: ctx.client,
      account,
      calls: [roles ? wrapWithRole(inner, { rolesModifier: roles.rolesModifier, roleKey: roles.roleKey, shouldRevert: true }) : inner],
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

export const now = (ctx: EigenLayerSagaContext) => (ctx.clock ?? Date.now)()

/** Saves a patch of the saga (conditional on the version read) with one log line. */
export async function save(
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

export async function markFailed(ctx: EigenLayerSagaContext, sagaId: string, step: string, e: Error): Promise<void> {
  const rec = await ctx.sagas.get<EigenLayerMoveState>(sagaId)
  if (!rec || rec.status === 'failed') return
  await save(ctx, { ...rec, error: { name: e.name, message: e.message } }, { status: 'failed' }, { step, event: 'failed', detail: e.message })
}
