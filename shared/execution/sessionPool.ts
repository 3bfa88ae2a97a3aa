/**
 * One lease-fenced signer session per signing account for one run, opened on first use and closed together at the
 * end: the single road every transaction the bot signs takes (the curator key, or a staker key of a multi-step
 * protocol). Opening a session settles what that signer's earlier runs left open.
 */
import type { LocalAccount, PublicClient } from 'viem'
import type { IntentStorePort, LockStorePort } from '../store/ports.js'
import type { ExecutorOptions } from './options.js'
import { openSignerSession } from './signerSession.js'
import type { SignerSession } from './types.js'

/** Opens (once) the session of an account. */
export type SessionFor = (account: LocalAccount) => Promise<SignerSession>

/** Parameters of {@link createSessionPool}. */
export interface CreateSessionPoolParameters {
  client: PublicClient
  intents: IntentStorePort
  locks: LockStorePort
  /** The run that holds the sessions (recorded as lock holder). */
  runId: string
  confirmations?: number
  /** Fee cap for replacements of resumed intents (wei). */
  feeCap?: bigint
  options?: ExecutorOptions
  /** Called once per session opened (the pipeline closes the runs a crash left open). */
  onOpened?: (session: SignerSession) => Promise<void>
}

/** A run's sessions: `sessionFor` opens one per account; `close` releases them all (idempotent). */
export interface SessionPool {
  sessionFor: SessionFor
  close(): Promise<void>
}

/** Creates the session pool of one run. */
export function createSessionPool(p: CreateSessionPoolParameters): SessionPool {
  const sessions = new Map<string, Promise<SignerSession>>()
  return {
    sessionFor(account) {
      const key = account.address.toLowerCase()
      let s = sessions.get(key)
      if (!s) {
        s = openSignerSession({
          client: p.client,
          account,
          intents: p.intents,
          locks: p.locks,
          runId: p.runId,
          ...(p.confirmations !== undefined ? { confirmations: p.confirmations } : {}),
          ...(p.feeCap !== undefined ? { feeCap: p.feeCap } : {}),
          ...(p.options ? { options: p.options } : {}),
        }).then(async (session) => {
          await p.onOpened?.(session)
          return session
        })
        // A failed open (busy lock) is not cached: the error reaches the caller, a later call may try again.
        s.catch(() => sessions.delete(key))
        sessions.set(key, s)
      }
      return s
    },
    async close() {
      const all = [...sessions.values()]
      sessions.clear()
      for (const s of all) await s.then((x) => x.close()).catch(() => undefined)
    },
  }
}
