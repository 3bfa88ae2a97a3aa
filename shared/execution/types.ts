/**
 * The execution module's shared vocabulary: what a planned call is, what a signer session and its fence are, and
 * the events the executor reports. Every other file of shared/execution imports these from here, so no two of them
 * import each other in a cycle. Nothing here names a protocol or the run store.
 */
import type { Abi, Address, Hex } from 'viem'
import type { Lease, LeaseGuard } from '../store/ports.js'
import type { BroadcastOutcome } from './broadcast.js'
import type { ResolvedExecutorOptions } from './options.js'

/** A call to make, described as data so it can be simulated, signed, stored and explained. */
export interface PlannedCall {
  address: Address
  abi: Abi
  functionName: string
  args: readonly unknown[]
  /** One line for people: what the call does. */
  description: string
  /** How the chain shows that the call took effect (the protocol adapter's); the receipt is cross-checked against it. */
  effect?: EffectCheck
}

/**
 * What a call sets, as data (so it is stored with the intent and checked again after a resume): `eth_call` of `data`
 * on `to` answers exactly `expected` once the call applied, e.g. `networkLimit(subnetwork)` = the limit it set.
 */
export interface EffectCheck {
  to: Address
  data: Hex
  /** The ABI-encoded answer once the call applied. */
  expected: Hex
  /** For people: what is read, e.g. `networkLimit(oracle-net/0)`. */
  description: string
}

/**
 * How the record of a settled call relates to the chain's state: `confirmed` (the effect check agrees with the
 * receipt), `contradicted` (it disagrees: the record follows the chain), `unverified` (no check, or the chain cannot
 * tell: the record follows the receipt and says so).
 */
export type ReceiptVerification = 'confirmed' | 'contradicted' | 'unverified'

/** Names the executor substitutes for known constants in decoded revert arguments (e.g. role ids), from the adapter. */
export type RevertArgNames = Readonly<Record<string, string>>

/** Every step of the executor, for live output and tests. */
export type ExecutorEvent =
  | { type: 'signed'; intentId: string; nonce: number; txHash: Hex; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | { type: 'broadcast'; intentId: string; txHash: Hex; outcome: BroadcastOutcome }
  | { type: 'included'; intentId: string; txHash: Hex; blockNumber: bigint }
  | { type: 'reorged'; intentId: string; txHash: Hex; blockNumber: bigint }
  | { type: 'replaced'; intentId: string; previousTxHash: Hex; txHash: Hex; maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
  | { type: 'settled'; intentId: string; status: 'mined' | 'reverted' | 'superseded'; txHash?: Hex }
  | { type: 'resuming'; intentId: string; fromRun: string; status: string }

/** What fenced writes need from a session: keep the lease alive, and a guard that commits only while it is held. */
export interface SignerFence {
  /** Renews the lease when a third of it has passed; throws LockLostError if it was lost. */
  keepAlive(): Promise<void>
  /** A transaction entry that makes a write conditional on holding the lease (and records nonce / open intent). */
  guard(p: { nextNonce?: number; openIntent?: string }): LeaseGuard
  /** Mirrors a committed guard in memory. */
  applied(p: { nextNonce?: number; openIntent?: string }): void
}

/** What resuming a signer's open intents did. */
export interface ResumeOpenIntentsReturnType {
  /** Intents settled now, in nonce order. */
  settled: { intentId: string; runId: string; status: 'mined' | 'reverted' | 'superseded'; txHash?: Hex }[]
  /**
   * Runs that may have been left `running` by a crash: the crashed previous lock holder and the owners of resumed
   * intents (never the session's own run). Closing them is the caller's job (the pipeline), not the executor's.
   */
  interruptedRuns: string[]
}

/** A held signer lock plus what resuming found. */
export interface SignerSession extends SignerFence {
  readonly lease: Lease
  readonly lockId: string
  readonly runId: string
  readonly options: ResolvedExecutorOptions
  /** The intents settled while opening, and the runs their crash may have left open. */
  readonly resumed: ResumeOpenIntentsReturnType
  /** Removes settled intents from the lock's open set. */
  settle(intentIds: readonly string[]): Promise<void>
  /** Releases the lock (idempotent). */
  close(): Promise<void>
}
