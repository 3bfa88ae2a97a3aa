/**
 * Settles what earlier runs of this signer left open — every intent in `signed` or `broadcast` — by re-broadcasting
 * its stored raw transaction and confirming it (or closing it as `superseded` when its nonce went to another
 * transaction), then closes the runs a crash left `running`. Runs under the signer's lock, before anything new is signed.
 */
import type { Hex, LocalAccount, PublicClient } from 'viem'
import { type IntentRecord, type IntentStore, OPEN_INTENT_STATUSES } from '../store/intents.js'
import type { RecordedAction, RunStore } from '../store/runs.js'
import { StaleWriteError } from '../store/errors.js'
import { RunInterruptedError } from './errors.js'
import { type ExecutorEvent, settleIntent } from './settleIntent.js'
import type { SignerSession } from './signerSession.js'

/** Parameters of {@link resumeOpenIntents}. */
export interface ResumeOpenIntentsParameters {
  client: PublicClient
  account: LocalAccount
  intents: IntentStore
  runs?: RunStore
  /** The session holding the signer's lock (its lease lists the lock's open intents and any crashed previous holder). */
  session: Pick<SignerSession, 'lease' | 'runId' | 'options' | 'settle' | 'keepAlive' | 'guard' | 'applied'>
  chainId: number
  confirmations: number
  feeCap?: bigint
  onEvent?: (e: ExecutorEvent) => void
}

/** What resuming did. */
export interface ResumeOpenIntentsReturnType {
  /** Intents settled now, in nonce order. */
  settled: { intentId: string; runId: string; status: 'mined' | 'reverted' | 'superseded'; txHash?: Hex }[]
  /** Runs that were left `running` and are now closed as interrupted. */
  closedRuns: string[]
}

/** Settles every open intent of the session's signer and closes interrupted runs. */
export async function resumeOpenIntents(p: ResumeOpenIntentsParameters): Promise<ResumeOpenIntentsReturnType> {
  const { session, intents } = p
  const signer = p.account.address.toLowerCase()
  // Two sources: the lock item's open set (strongly consistent) and the byStatus index (catches lock-less writers).
  const ids = new Set<string>(session.lease.openIntents)
  for (const i of await intents.listOpen({ from: signer })) ids.add(i.intentId)
  const found: IntentRecord[] = []
  const done: string[] = []
  for (const id of ids) {
    const intent = await intents.get(id)
    if (!intent || !OPEN_INTENT_STATUSES.includes(intent.status)) done.push(id)
    else if (intent.from.toLowerCase() === signer && (intent.chainId === undefined || intent.chainId === p.chainId)) found.push(intent)
  }
  await session.settle(done)
  found.sort((a, b) => a.nonce - b.nonce || a.createdAt - b.createdAt)

  const settled: ResumeOpenIntentsReturnType['settled'] = []
  for (const intent of found) {
    p.onEvent?.({ type: 'resuming', intentId: intent.intentId, fromRun: intent.runId, status: intent.status })
    const out = await settleIntent({
      client: p.client,
      account: p.account,
      intents,
      intent,
      confirmations: p.confirmations,
      feeCap: p.feeCap,
      fence: session,
      options: session.options,
      settledBy: session.runId,
      onEvent: p.onEvent,
    })
    await session.settle([intent.intentId])
    settled.push({ intentId: intent.intentId, runId: intent.runId, status: out.status, txHash: out.status === 'superseded' ? undefined : out.receipt.transactionHash })
  }

  // Close the runs that cannot finish themselves: the crashed previous lock holder and the owners of resumed intents.
  const closedRuns: string[] = []
  if (p.runs) {
    const candidates = new Set<string>(settled.map((s) => s.runId))
    if (session.lease.previous?.runId) candidates.add(session.lease.previous.runId)
    candidates.delete(session.runId)
    for (const runId of candidates) if (await closeInterruptedRun(p.runs, intents, runId, session.runId)) closedRuns.push(runId)
  }
  return { settled, closedRuns }
}

/** Finishes a run left `running` as `failed` (RunInterruptedError), with its actions rebuilt from its intents. Returns true if it closed it. */
export async function closeInterruptedRun(runs: RunStore, intents: IntentStore, runId: string, closedBy: string): Promise<boolean> {
  const run = await runs.get(runId)
  if (!run || run.status !== 'running') return false
  const own = await intents.listByRun(runId)
  const actions: RecordedAction[] = own.map((i) => ({
    index: i.actionIndex,
    kind: i.functionName ?? 'call',
    description: i.description ?? `${i.functionName ?? 'call'} on ${i.to}`,
    reasons: [i.reason ?? `settled by run ${closedBy} after run ${runId} was interrupted`],
    txHash: i.minedTxHash ?? i.txHash,
    status: i.status === 'mined' ? 'mined' : i.status === 'reverted' ? 'reverted' : i.status === 'superseded' || i.status === 'failed' ? 'skipped' : 'sent',
    blockNumber: i.blockNumber !== undefined ? BigInt(i.blockNumber) : undefined,
    gasUsed: i.gasUsed !== undefined ? BigInt(i.gasUsed) : undefined,
  }))
  const summary = own.length === 0 ? 'no transaction of it was persisted' : own.map((i) => `#${i.actionIndex} ${i.status}`).join(', ')
  const interrupted = new RunInterruptedError({ runId, closedBy, summary })
  try {
    await runs.finish(runId, {
      status: 'failed',
      finishedAt: Date.now(),
      actions,
      error: { name: interrupted.name, message: interrupted.shortMessage },
    })
    return true
  } catch (e) {
    if (e instanceof StaleWriteError) return false // it finished after all
    throw e
  }
}
