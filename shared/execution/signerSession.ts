/**
 * A signer session: the signer's nonce lock held for one run, after every intent a previous run left open was
 * settled. Open it before reading the chain (so the read sees the resumed transactions), pass it to executeCalls,
 * close it in `finally`.
 */
import type { LocalAccount, PublicClient } from 'viem'
import type { IntentStore } from '../store/intents.js'
import { type Lease, type LeaseGuard, type LockStore, signerLockId } from '../store/locks.js'
import type { RunStore } from '../store/runs.js'
import { type ExecutorOptions, type ResolvedExecutorOptions, resolveExecutorOptions } from './options.js'
import { type ResumeOpenIntentsReturnType, resumeOpenIntents } from './resumeOpenIntents.js'
import type { ExecutorEvent } from './settleIntent.js'

/** What fenced writes need from a session: keep the lease alive, and a guard that commits only while it is held. */
export interface SignerFence {
  /** Renews the lease when a third of it has passed; throws LockLostError if it was lost. */
  keepAlive(): Promise<void>
  /** A transaction entry that makes a write conditional on holding the lease (and records nonce / open intent). */
  guard(p: { nextNonce?: number; openIntent?: string }): LeaseGuard
  /** Mirrors a committed guard in memory. */
  applied(p: { nextNonce?: number; openIntent?: string }): void
}

/** Parameters of {@link openSignerSession}. */
export interface OpenSignerSessionParameters {
  client: PublicClient
  account: LocalAccount
  intents: IntentStore
  locks: LockStore
  /** Closes runs found interrupted (left `running` by a crashed holder). */
  runs?: RunStore
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

/** A held signer lock plus what resuming found. */
export interface SignerSession extends SignerFence {
  readonly lease: Lease
  readonly lockId: string
  readonly runId: string
  readonly options: ResolvedExecutorOptions
  /** The intents settled and runs closed while opening. */
  readonly resumed: ResumeOpenIntentsReturnType
  /** Removes settled intents from the lock's open set. */
  settle(intentIds: readonly string[]): Promise<void>
  /** Releases the lock (idempotent). */
  close(): Promise<void>
}

/**
 * Takes the signer's nonce lock (throws LockBusyError when another run holds it; nothing is sent) and settles every
 * intent left open by earlier runs, closing their runs. On any failure the lock is released again.
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
    resumed: { settled: [], closedRuns: [] },
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
    const resumed = await resumeOpenIntents({ client: p.client, account: p.account, intents: p.intents, runs: p.runs, session, chainId, confirmations: p.confirmations ?? 1, feeCap: p.feeCap, onEvent: p.onEvent })
    return { ...session, resumed }
  } catch (e) {
    await session.close().catch(() => undefined)
    throw e
  }
}
