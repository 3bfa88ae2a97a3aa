/**
 * Settles what earlier runs of this signer left open — every intent in `signed` or `broadcast` — by re-broadcasting
 * its stored raw transaction and confirming it (or closing it as `superseded` when its nonce went to another
 * transaction), and lists the runs a crash may have left `running` (closing them is the pipeline's job: this module
 * never touches the run store). Runs under the signer's lock, before anything new is signed.
 */
import type { LocalAccount, PublicClient } from 'viem'
import { OPEN_INTENT_STATUSES } from '../store/ports.js'
import type { IntentRecord, IntentStorePort as IntentStore } from '../store/ports.js'
import { settleIntent } from './settleIntent.js'
import type { ExecutorEvent, ResumeOpenIntentsReturnType, SignerSession } from './types.js'

export type { ResumeOpenIntentsReturnType }

/** Parameters of {@link resumeOpenIntents}. */
export interface ResumeOpenIntentsParameters {
  client: PublicClient
  account: LocalAccount
  intents: IntentStore
  /** The session holding the signer's lock (its lease lists the lock's open intents and any crashed previous holder). */
  session: Pick<SignerSession, 'lease' | 'runId' | 'options' | 'settle' | 'keepAlive' | 'guard' | 'applied'>
  chainId: number
  confirmations: number
  feeCap?: bigint
  onEvent?: (e: ExecutorEvent) => void
}

/** Settles every open intent of the session's signer and lists the runs a crash may have left open. */
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

  // The runs that cannot finish themselves: the crashed previous lock holder and the owners of resumed intents.
  const candidates = new Set<string>(settled.map((s) => s.runId))
  if (session.lease.previous?.runId) candidates.add(session.lease.previous.runId)
  candidates.delete(session.runId)
  return { settled, interruptedRuns: [...candidates] }
}
