/**
 * A signer session: the signer's nonce lock held for one run, after every intent a previous run left open was
 * settled. Open it before reading the chain (so the read sees the resumed transactions), pass it to executeCalls,
 * close it in `finally`.
 */
import type { LocalAccount, PublicClient } from 'viem'
import type { IntentStorePort as IntentStore } from '../store/ports.js'
import { signerLockId } from '../store/locks.js'
import type { LockStorePort as LockStore } from '../store/ports.js'
import { type ExecutorOptions, resolveExecutorOptions } from './options.js'
import { resumeOpenIntents } from './resumeOpenIntents.js'
import type { ExecutorEvent, SignerFence, SignerSession } from './types.js'

export type { SignerFence, SignerSession }

/** Parameters of {@link openSignerSession}. */
export interface OpenSignerSessionParameters {
  client: PublicClient
  account: LocalAccount
  intents: IntentStore
  locks: LockStore
  /** The run opening the session (recorded as lock holder). */
  runId: string
  chainId?: number
  /** Confirmation depth used when settling resumed intents (default 1). */
  confirmations?: number
  /** Fee cap for replacements of resumed intents (wei). */
  feeCap?: bigint
  options?: ExecutorOptions
  onEvent?: (e: ExecutorEvent) => void
}

/**
 * Takes the signer's nonce lock (throws LockBusyError when another run holds it; nothing is sent) and settles every
 * intent left open by earlier runs (the runs a crash left open are listed in `resumed.interruptedRuns` for the caller to
 * close). On any failure the lock is released again.
 */
export async function openSignerSession(p: OpenSignerSessionParameters): Promise<SignerSession> {
  const options = resolveExecutorOptions(p.options, p.client.pollingInterval)
  const chainId = p.chainId ?? p.client.chain?.id ?? (await p.client.getChainId())
  const lockId = signerLockId(chainId, p.account.address)
  const lease = await p.locks.acquire({ lockId, runId: p.runId, leaseMs: options.leaseMs })
  let renewedAt = Date.now()
  let closed = false
  const session: SignerSession = {
    lease,
    lockId,
    runId: p.runId,
    options,
    resumed: { settled: [], interruptedRuns: [] },
    async keepAlive() {
      if (Date.now() - renewedAt < options.leaseMs / 3) return
      await p.locks.renew(lease, options.leaseMs)
      renewedAt = Date.now()
    },
    guard: (g) => p.locks.guard(lease, { leaseMs: options.leaseMs, ...g }),
    applied(g) {
      p.locks.applied(lease, { leaseMs: options.leaseMs, ...g })
      renewedAt = Date.now()
    },
    settle: (ids) => p.locks.settle(lockId, ids),
    async close() {
      if (closed) return
      closed = true
      await p.locks.release(lease)
    },
  }
  try {
    const resumed = await resumeOpenIntents({ client: p.client, account: p.account, intents: p.intents, session, chainId, confirmations: p.confirmations ?? 1, feeCap: p.feeCap, onEvent: p.onEvent })
    return { ...session, resumed }
  } catch (e) {
    await session.close().catch(() => undefined)
    throw e
  }
}
