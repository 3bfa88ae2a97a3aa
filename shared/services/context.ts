/** What every use case needs, built once per cold start (or once per local process) and passed in. */
import type { Logger } from '@aws-lambda-powertools/logger'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { LocalAccount, PublicClient } from 'viem'
import type { Config } from '../config/config.js'
import type { Policy } from '../domain/index.js'
import type { ProtocolTriggers } from '../protocols/types.js'
import type { StuckIntent } from '../store/control.js'
import type { ChainLogStorePort } from '../store/chainLogs.js'
import type { ControlStorePort, CursorStorePort, EventStorePort, IntentStorePort, LockStorePort, RunStorePort } from '../store/ports.js'
import type { Notify } from './notify.js'

/** Progress events for live output (the local console); ignored in Lambda. */
export type ProgressEvent =
  | { type: 'read'; runId: string; blockNumber: bigint; positions: number; operators: number; services: number }
  | { type: 'decided'; runId: string; summary: string }
  | { type: 'sent'; runId: string; index: number; description: string; txHash: string }

/** Dependencies of the services. */
export interface AutopilotContext {
  config: Config
  client: PublicClient
  runs: RunStorePort
  /** The DynamoDB document client the stores share (set by contextFromEnv), for stores a use case adds. */
  dynamo?: DynamoDBDocumentClient
  intents: IntentStorePort
  policy: Policy
  logger: Logger
  /** Wall clock in epoch ms (injected so tests and backtests control time). */
  clock: () => number
  /** Signer; required only for runs that send. */
  account?: LocalAccount
  /** The signer's nonce lock (table `locks`); when set, a sending run holds it and first resumes open intents. */
  locks?: LockStorePort
  onProgress?: (e: ProgressEvent) => void
  /** The pause flag: when set, runRebalance plans and records but sends nothing (webhook pause/resume). */
  control?: ControlStorePort
  /** Seen webhook ids and watcher events (replay protection); needed by handleWebhook and watchEvents. */
  events?: EventStorePort
  /** The chain sync's logs and cursors (table `chainLogs`, docs/sync.md): every read fetches only blocks after its cursor. */
  chainLogs: ChainLogStorePort
  /** Epoch ms after which this run's chain sync starts no new chunk (a Lambda: now + remaining time − margin); absent = no limit. */
  syncDeadline?: number
  /** Block cursors; needed by watchEvents. */
  cursors?: CursorStorePort
  /** Intents signed or broadcast before `olderThan` (epoch ms) and still open (the watcher's health check). */
  findStuckIntents?: (olderThan: number) => Promise<StuckIntent[]>
  /** Sends a notification (SNS / webhooks / console); absent = notifications off. */
  notify?: Notify
  /**
   * The protocols the watcher and the webhook's de-risk jobs act on, each bound to this context (events, exposure,
   * de-risk run: shared/protocols/types.ts `ProtocolTriggers`); absent = Symbiotic's alone (./triggers.ts; the
   * watcher requires them set: `withTriggers`).
   */
  triggers?: readonly ProtocolTriggers[]
}
