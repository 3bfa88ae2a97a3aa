/**
 * Sends planned calls exactly once (docs/execution.md):
 * 1. simulate every call from the signer's address (a revert sends nothing);
 * 2. check the fee against the policy cap (above it: defer, send nothing);
 * 3. hold the signer's nonce lock (taken here, or by the caller via a SignerSession) after settling what earlier
 *    runs left open;
 * 4. per call, in order: sign ONCE (nonce = max(chain pending, stored next nonce, previous + 1)), persist the raw
 *    transaction fenced by the lease BEFORE broadcast, broadcast, confirm at depth (replace when stuck, re-broadcast
 *    after a reorg), record;
 * 5. release the lock in `finally`.
 * A retried run finds its intents and re-broadcasts the stored bytes: it never signs a second transaction for an intent.
 */
import { type Address, type Hex, type LocalAccount, type PublicClient, encodeFunctionData, hexToBigInt, isHex, keccak256 } from 'viem'
import { StaleWriteError } from '../store/errors.js'
import type { IntentRecord, IntentStorePort, LockStorePort } from '../store/ports.js'
import { ChainReadError, SimulationRevertedError, TransactionRevertedError } from '../chain/errors.js'
import { crashPoint } from './crashPoint.js'
import { decodeRevert } from './decodeRevert.js'
import { IntentSupersededError } from './errors.js'
import { quoteFees } from './fees.js'
import { chooseNonce } from './nonce.js'
import { type ExecutorOptions, type ResolvedExecutorOptions, resolveExecutorOptions } from './options.js'
import { withRetry } from './retry.js'
import { settleIntent } from './settleIntent.js'
import { openSignerSession } from './signerSession.js'
import type { ExecutorEvent, PlannedCall, ReceiptVerification, RevertArgNames, SignerSession } from './types.js'

/** Parameters of {@link executeCalls}. */
export interface ExecuteCallsParameters {
  client: PublicClient
  /** Signs transactions (a local key on Anvil, a KMS-backed account in AWS). */
  account: LocalAccount
  calls: readonly PlannedCall[]
  intents: IntentStorePort
  /** Intent ids are `${runId}#${index}`: the conditional key per (run, action). */
  runId: string
  /** Blocks a receipt must be buried under (default 1). */
  confirmations?: number
  /** The policy's gas price cap (wei): no transaction pays more, and a network price above it defers the run. */
  maxFeePerGas?: bigint
  /** A session the caller opened (lock held, open intents already settled); it stays open. */
  session?: SignerSession
  /** Without a session: take the signer's lock here (and settle open intents first), released before returning. */
  locks?: LockStorePort
  /** Names for known constants in decoded revert arguments (the protocol adapter's, e.g. role ids). */
  revertArgNames?: RevertArgNames
  options?: ExecutorOptions
  /** Called after each mined call (live output, partial records). */
  onMined?: (index: number, hash: Hex, executed: ExecutedCall) => void
  /** Every step of the executor (signed, broadcast, included, reorged, replaced, settled). */
  onEvent?: (e: ExecutorEvent) => void
}

/** Outcome of one call. */
export interface ExecutedCall {
  index: number
  /** Hash of the transaction that was mined (one of `txHashes`). */
  txHash: Hex
  blockNumber: bigint
  gasUsed: bigint
  intentId: string
  nonce: number
  /** Every hash signed for the call (more than one after a fee-bump replacement). */
  txHashes: Hex[]
  /** Whether the chain's state confirmed the receipt (crossCheck.ts), with one line for people; absent on records made before it existed. */
  verification?: ReceiptVerification
  note?: string
}

/** Simulates all, then signs → persists → broadcasts → confirms each call in order, under the signer's lock when given one. */
export async function executeCalls(p: ExecuteCallsParameters): Promise<ExecutedCall[]> {
  const { client, account, calls } = p
  const options = p.session?.options ?? resolveExecutorOptions(p.options, client.pollingInterval)
  const retry = { attempts: options.rpcAttempts, backoffMs: options.rpcBackoffMs }
  // 1. Simulate everything first, from the signer's address: one revert and nothing is sent.
  await simulateCalls(client, account, calls, p.revertArgNames)
  if (calls.length === 0) return []
  const chainId = client.chain?.id ?? (await withRetry('eth_chainId', () => client.getChainId(), retry))
  // 2. Fees above the cap: defer before taking the lock (nothing signed, nothing sent).
  if (p.maxFeePerGas !== undefined) await quoteFees(client, p.maxFeePerGas, retry)
  // 3. The signer's lock: the caller's session, or one held for this call only.
  const owned =
    !p.session && p.locks ? await openSignerSession({ client, account, intents: p.intents, locks: p.locks, runId: p.runId, chainId, confirmations: p.confirmations, feeCap: p.maxFeePerGas, options, onEvent: p.onEvent }) : undefined
  const session = p.session ?? owned
  try {
    // Settling intents of earlier runs changed the chain since step 1: simulate again before signing anything.
    if (owned && owned.resumed.settled.length > 0) await simulateCalls(client, account, calls, p.revertArgNames)
    const results: ExecutedCall[] = []
    let floor: number | undefined
    for (const [index, call] of calls.entries()) {
      const intentId = `${p.runId}#${index}`
      let intent = await p.intents.get(intentId)
      if (!intent) intent = await signAndPersist({ ...p, chainId, session, options, call, index, intentId, floor })
      floor = intent.nonce + 1
      const executed = await confirm({ ...p, session, options, intent, index })
      results.push(executed)
      p.onMined?.(index, executed.txHash, executed)
    }
    return results
  } finally {
    await owned?.close()
  }
}

/** Simulates every call at the latest block from `account`; throws SimulationRevertedError with the decoded custom error. */
export async function simulateCalls(client: PublicClient, account: LocalAccount, calls: readonly PlannedCall[], revertArgNames?: RevertArgNames): Promise<void> {
  for (const [index, call] of calls.entries()) {
    try {
      await client.simulateContract({ address: call.address, abi: call.abi, functionName: call.functionName, args: call.args, account: account.address } as never)
    } catch (cause) {
      throw new SimulationRevertedError({ reason: decodeRevert(cause, revertArgNames), actionIndex: index, functionName: call.functionName, address: call.address, cause })
    }
  }
}

interface SignAndPersistParameters extends ExecuteCallsParameters {
  chainId: number
  session: SignerSession | undefined
  options: ResolvedExecutorOptions
  call: PlannedCall
  index: number
  intentId: string
  floor: number | undefined
}

/**
 * The one place a NEW transaction is signed: only for an intent id that has no record yet, and the signature is
 * persisted (conditional put, fenced by the lease) before anything is broadcast. If the put loses, the stored intent
 * is used and our bytes are dropped unsent.
 */
async function signAndPersist(p: SignAndPersistParameters): Promise<IntentRecord> {
  const { client, account, call, options } = p
  const retry = { attempts: options.rpcAttempts, backoffMs: options.rpcBackoffMs }
  await p.session?.keepAlive()
  const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args } as never)
  const [pending, fees, gas] = await Promise.all([
    withRetry('eth_getTransactionCount(pending)', () => client.getTransactionCount({ address: account.address, blockTag: 'pending' }), retry),
    quoteFees(client, p.maxFeePerGas, retry),
    withRetry('eth_estimateGas', () => estimateCallGas(client, { from: account.address, to: call.address, data }), retry),
  ])
  const nonce = chooseNonce({ pending, stored: p.session?.lease.nextNonce, floor: p.floor })
  // Headroom: the node estimates against the block that holds our previous call, at its timestamp, where a Symbiotic
  // setter updates that call's checkpoints in place; mined in a later block it pushes new ones instead (measured:
  // setOperatorNetworkShares 57.7k in place vs 154.9k pushed, setNetworkLimit 44.3k vs 92.9k). Unused gas is not charged.
  const gasLimit = gas + gas / 4n + 120_000n
  const rawTx = await account.signTransaction({ chainId: p.chainId, type: 'eip1559', to: call.address, data, nonce, gas: gasLimit, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas })
  const txHash = keccak256(rawTx)
  crashPoint('after-sign')
  const record: IntentRecord = {
    intentId: p.intentId,
    runId: p.runId,
    actionIndex: p.index,
    status: 'signed',
    from: account.address,
    to: call.address,
    data,
    nonce,
    rawTx,
    txHash,
    txHashes: [txHash],
    createdAt: Date.now(),
    chainId: p.chainId,
    functionName: call.functionName,
    description: call.description,
    ...(call.effect ? { effect: call.effect } : {}),
    gas: gasLimit.toString(),
    maxFeePerGas: fees.maxFeePerGas.toString(),
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(),
  }
  const bookkeeping = { nextNonce: nonce + 1, openIntent: p.intentId }
  try {
    await p.intents.create(record, p.session?.guard(bookkeeping))
    p.session?.applied(bookkeeping)
  } catch (e) {
    if (!(e instanceof StaleWriteError)) throw e
    const existing = await p.intents.get(p.intentId) // someone else persisted this intent first: use theirs
    if (!existing) throw e
    return existing
  }
  crashPoint('after-persist')
  p.onEvent?.({ type: 'signed', intentId: p.intentId, nonce, txHash, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas })
  return record
}

/** Settles one intent of this run (or reads the outcome of an already settled one) into an ExecutedCall. */
async function confirm(p: ExecuteCallsParameters & { session: SignerSession | undefined; options: ResolvedExecutorOptions; intent: IntentRecord; index: number }): Promise<ExecutedCall> {
  const { intent } = p
  let status = intent.status
  let receiptHash = intent.minedTxHash as Hex | undefined
  let blockNumber = intent.blockNumber !== undefined ? BigInt(intent.blockNumber) : undefined
  let gasUsed = intent.gasUsed !== undefined ? BigInt(intent.gasUsed) : undefined
  let txHashes = intent.txHashes as Hex[]
  let verification = intent.verification
  let note = intent.verificationNote
  if (status === 'signed' || status === 'broadcast') {
    const out = await settleIntent({ client: p.client, account: p.account, intents: p.intents, intent, confirmations: p.confirmations ?? 1, feeCap: p.maxFeePerGas, fence: p.session, options: p.options, onEvent: p.onEvent })
    await p.session?.settle([intent.intentId])
    status = out.status
    txHashes = out.intent.txHashes as Hex[]
    if (out.status !== 'superseded') {
      receiptHash = out.receipt.transactionHash
      blockNumber = out.receipt.blockNumber
      gasUsed = out.receipt.gasUsed
      verification = out.verdict.verification
      note = out.verdict.note
    }
  } else if (status === 'mined' && (blockNumber === undefined || gasUsed === undefined)) {
    const r = await p.client.getTransactionReceipt({ hash: (intent.minedTxHash ?? intent.txHash) as Hex })
    receiptHash = r.transactionHash
    blockNumber = r.blockNumber
    gasUsed = r.gasUsed
  }
  if (status === 'superseded' || status === 'failed') throw new IntentSupersededError({ intentId: intent.intentId, nonce: intent.nonce })
  if (status === 'reverted') throw new TransactionRevertedError({ hash: (receiptHash ?? intent.txHash) as Hex, actionIndex: p.index, ...(verification && verification !== 'confirmed' && note ? { note } : {}) })
  return {
    index: p.index,
    txHash: (receiptHash ?? intent.txHash) as Hex,
    blockNumber: blockNumber ?? 0n,
    gasUsed: gasUsed ?? 0n,
    intentId: intent.intentId,
    nonce: intent.nonce,
    txHashes,
    ...(verification ? { verification } : {}),
    ...(note ? { note } : {}),
  }
}

/**
 * `eth_estimateGas` of a plain from/to/data call that simulateContract has already run (and decoded any revert
 * of). A direct request rather than viem's estimateGas action, which statically pulls transaction preparation,
 * blob and EIP-7702 code (~12 KB in every bundle that sends) that such an estimate never uses. A node answer
 * that is not a quantity is refused (ChainReadError), never turned into a gas limit.
 */
export async function estimateCallGas(client: PublicClient, tx: { from: Address; to: Address; data: Hex }): Promise<bigint> {
  const answer: unknown = await client.request({ method: 'eth_estimateGas', params: [tx] })
  if (typeof answer !== 'string' || !isHex(answer, { strict: true }) || answer.length < 3)
    throw new ChainReadError({ what: `the gas estimate of a call to ${tx.to}`, cause: new Error(`the node answered ${JSON.stringify(answer)}, not a quantity`) })
  return hexToBigInt(answer)
}
