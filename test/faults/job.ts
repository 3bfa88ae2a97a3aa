/**
 * A minimal rebalance for the fault suite, with the same shape as runRebalance: start the run record → open the
 * signer session (lock + resume what earlier runs left open) → read the chain → diff against targets → execute
 * through the real executor → finish the run → release the lock. Targets are operator network shares on the real
 * NetworkRestakeDelegator, so every call is a real Symbiotic curator call and "already done" is read from chain.
 */
import { randomUUID } from 'node:crypto'
import type { Address, Hex, LocalAccount, PublicClient } from 'viem'
import { networkRestakeDelegatorAbi } from '../../shared/protocols/symbiotic/abis.js'
import { unconfirmedNote } from '../../shared/execution/crossCheck.js'
import { GasPriceTooHighError } from '../../shared/execution/errors.js'
import { type ExecutedCall, executeCalls } from '../../shared/execution/executeCalls.js'
import type { ExecutorOptions } from '../../shared/execution/options.js'
import { curatorCallEffect } from '../../shared/protocols/symbiotic/buildCuratorCall.js'
import { ROLE_NAMES } from '../../shared/protocols/symbiotic/roles.js'
import { closeInterruptedRuns } from '../../shared/pipeline/interruptedRuns.js'
import type { ExecutorEvent } from '../../shared/execution/settleIntent.js'
import { type SignerSession, openSignerSession } from '../../shared/execution/signerSession.js'
import type { PlannedCall } from '../../shared/execution/types.js'
import type { IntentStorePort, LockStorePort, RunStorePort } from '../../shared/store/ports.js'
import { LockBusyError } from '../../shared/store/locks.js'
import type { RecordedAction } from '../../shared/store/runs.js'

/** One desired on-chain value: `operatorNetworkShares(subnetwork, operator) = shares`. */
export interface JobTarget {
  subnetwork: Hex
  operator: Address
  shares: bigint
}

/** What a job needs. */
export interface JobDeps {
  client: PublicClient
  account: LocalAccount
  intents: IntentStorePort
  runs: RunStorePort
  locks?: LockStorePort
  delegator: Address
  confirmations?: number
  /** Policy gas cap (wei). */
  feeCap?: bigint
  options?: ExecutorOptions
  onEvent?: (e: ExecutorEvent) => void
}

/** Outcome of a job. */
export interface JobResult {
  runId: string
  status: 'succeeded' | 'skipped' | 'failed'
  /** `noChange`, `lockBusy`, `gasTooHigh` for skips. */
  reason?: string
  error?: { name: string; message: string }
  executed: ExecutedCall[]
  planned: number
  resumed: number
}

/** The delegator call that sets one target, with the adapter's effect check (`effect: false`: without, as an adapter that gives none). */
export function targetCall(delegator: Address, t: JobTarget, opts: { effect?: boolean } = {}): PlannedCall {
  return {
    ...(opts.effect === false ? {} : { effect: curatorCallEffect({ kind: 'setOperatorNetworkShares', delegator, service: t.subnetwork, operator: t.operator, to: t.shares }) }),
    address: delegator,
    abi: networkRestakeDelegatorAbi,
    functionName: 'setOperatorNetworkShares',
    args: [t.subnetwork, t.operator, t.shares],
    description: `setOperatorNetworkShares(${t.subnetwork.slice(0, 10)}…, ${t.operator.slice(0, 8)}…, ${t.shares})`,
  }
}

/** Reads the current shares of each target. */
export async function readShares(client: PublicClient, delegator: Address, targets: readonly JobTarget[]): Promise<bigint[]> {
  return Promise.all(targets.map((t) => client.readContract({ address: delegator, abi: networkRestakeDelegatorAbi, functionName: 'operatorNetworkShares', args: [t.subnetwork, t.operator] })))
}

/** Runs one job; `calls` overrides the diff (to send a call that must revert); `effect: false` sends the diff without effect checks. Never throws for expected outcomes. */
export async function runJob(deps: JobDeps, targets: readonly JobTarget[], opts: { runId?: string; calls?: PlannedCall[]; effect?: boolean } = {}): Promise<JobResult> {
  const runId = opts.runId ?? `job-${randomUUID().slice(0, 8)}`
  await deps.runs.start({ runId, kind: 'rebalance', trigger: 'faults', startedAt: Date.now() })
  let session: SignerSession | undefined
  let actions: RecordedAction[] = []
  const executed: ExecutedCall[] = []
  let planned = 0
  let resumed = 0
  try {
    // Resume first, so the read below sees what a crashed run had already sent.
    if (deps.locks) {
      session = await openSignerSession({ client: deps.client, account: deps.account, intents: deps.intents, locks: deps.locks, runId, confirmations: deps.confirmations, feeCap: deps.feeCap, options: deps.options, onEvent: deps.onEvent })
      await closeInterruptedRuns(deps.runs, deps.intents, session.resumed.interruptedRuns, runId)
      resumed = session.resumed.settled.length
    }
    let calls = opts.calls
    if (!calls) {
      const current = await readShares(deps.client, deps.delegator, targets)
      calls = targets.filter((t, i) => current[i] !== t.shares).map((t) => targetCall(deps.delegator, t, { effect: opts.effect }))
    }
    planned = calls.length
    actions = calls.map((c, index) => ({ index, kind: c.functionName, description: c.description, reasons: ['fault-suite target'], status: 'planned' as const }))
    if (calls.length === 0) {
      await deps.runs.finish(runId, { status: 'skipped', finishedAt: Date.now(), actions, decision: { kind: 'skip', reason: 'noChange' } })
      return { runId, status: 'skipped', reason: 'noChange', executed, planned, resumed }
    }
    await executeCalls({
      client: deps.client,
      account: deps.account,
      calls,
      intents: deps.intents,
      runId,
      session,
      confirmations: deps.confirmations,
      maxFeePerGas: deps.feeCap,
      options: deps.options,
      onEvent: deps.onEvent,
      revertArgNames: ROLE_NAMES,
      onMined: (index, txHash, e) => {
        executed.push(e)
        actions[index] = { ...actions[index]!, status: 'mined', txHash, blockNumber: e.blockNumber, gasUsed: e.gasUsed, ...unconfirmedNote(e) }
      },
    })
    await deps.runs.finish(runId, { status: 'succeeded', finishedAt: Date.now(), actions })
    return { runId, status: 'succeeded', executed, planned, resumed }
  } catch (e) {
    const error = { name: (e as Error).name, message: (e as Error).message }
    if (e instanceof LockBusyError || e instanceof GasPriceTooHighError) {
      const reason = e instanceof LockBusyError ? 'lockBusy' : e.reason
      await deps.runs.finish(runId, { status: 'skipped', finishedAt: Date.now(), actions, error, decision: { kind: 'skip', reason, detail: e.shortMessage } })
      return { runId, status: 'skipped', reason, error, executed, planned, resumed }
    }
    await deps.runs.finish(runId, { status: 'failed', finishedAt: Date.now(), actions, error })
    return { runId, status: 'failed', error, executed, planned, resumed }
  } finally {
    await session?.close()
  }
}
