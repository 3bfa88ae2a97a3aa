/**
 * Drives one persisted intent to a settled state: broadcast its stored raw transaction, wait for a receipt at the
 * configured depth, replace it at the same nonce with bumped fees when it is not mined by its deadline, notice a
 * reorg that drops it (re-broadcast the stored bytes), and close it as `superseded` when its nonce was used by a
 * transaction that is not ours. Never signs a new nonce: the only signature made here is the documented
 * fee-bump replacement at the SAME nonce (see {@link replaceIntent}).
 */
import { type Hex, type LocalAccount, type PublicClient, type TransactionReceipt, keccak256, parseTransaction } from 'viem'
import type { IntentRecord, IntentStorePort as IntentStore } from '../store/ports.js'
import { StaleWriteError } from '../store/errors.js'
import { broadcastRaw } from './broadcast.js'
import { crashPoint } from './crashPoint.js'
import { type ReceiptVerdict, crossCheckReceipt } from './crossCheck.js'
import { TransactionStuckError } from './errors.js'
import { type Fees, bumpFees, quoteFees } from './fees.js'
import type { ResolvedExecutorOptions } from './options.js'
import { sleep, withRetry } from './retry.js'
import type { EffectCheck, ExecutorEvent, SignerFence } from './types.js'

export type { ExecutorEvent }

/** What the executor reports while it works (live output, logs, tests). */
/** Parameters of {@link settleIntent}. */
export interface SettleIntentParameters {
  client: PublicClient
  /** Signs fee-bump replacements; without it the intent is only re-broadcast, never replaced. */
  account?: LocalAccount
  intents: IntentStore
  intent: IntentRecord
  /** Blocks a receipt must be buried under (1 = included). */
  confirmations: number
  /** Policy cap on maxFeePerGas (wei); replacements never exceed it. */
  feeCap?: bigint
  /** Lease fencing of the signer's lock (absent in lock-less use). */
  fence?: SignerFence
  options: ResolvedExecutorOptions
  /** Id of the run settling the intent, when it is not the intent's own run (resume). */
  settledBy?: string
  onEvent?: (e: ExecutorEvent) => void
}

/** How an intent settled: `status` is the chain's (the receipt cross-checked against the call's effect, see `verdict`). */
export type SettleIntentReturnType = { status: 'mined' | 'reverted'; intent: IntentRecord; receipt: TransactionReceipt; verdict: ReceiptVerdict } | { status: 'superseded'; intent: IntentRecord }

/** Broadcasts (idempotently) and confirms one intent; throws TransactionStuckError (intent left open) when out of patience. */
export async function settleIntent(p: SettleIntentParameters): Promise<SettleIntentReturnType> {
  const { client, intents, options: o } = p
  const retry = { attempts: o.rpcAttempts, backoffMs: o.rpcBackoffMs }
  let intent = p.intent
  const startedAt = Date.now()
  let signedAt = Date.now()
  let sentAt = 0
  let seen: TransactionReceipt | undefined
  let nonceUsedWithoutOurs = 0
  const announced = new Set<string>()

  const send = async (): Promise<void> => {
    const outcome = await broadcastRaw(client, intent.rawTx as Hex, retry)
    sentAt = Date.now()
    crashPoint('after-broadcast')
    p.onEvent?.({ type: 'broadcast', intentId: intent.intentId, txHash: intent.txHash as Hex, outcome })
    if (intent.status === 'signed') {
      await intents.transition(intent.intentId, ['signed'], 'broadcast').catch(ignoreStale)
      intent = { ...intent, status: 'broadcast' }
    }
  }

  await send()
  for (;;) {
    await p.fence?.keepAlive()
    const receipt = await findReceipt(client, intent.txHashes as Hex[], retry)
    if (receipt) {
      const canonical = await isCanonical(client, receipt, retry)
      if (!canonical) {
        // Reorg: the block that held our transaction is no longer on the canonical chain.
        await reorged(receipt)
      } else {
        seen = receipt
        if (!announced.has(`${receipt.transactionHash}@${receipt.blockHash}`)) {
          announced.add(`${receipt.transactionHash}@${receipt.blockHash}`)
          p.onEvent?.({ type: 'included', intentId: intent.intentId, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber })
        }
        const head = await withRetry('eth_blockNumber', () => client.getBlockNumber({ cacheTime: 0 }), retry)
        if (head >= receipt.blockNumber + BigInt(p.confirmations) - 1n && (await isCanonical(client, receipt, retry))) return record(receipt)
      }
    } else {
      if (seen) await reorged(seen) // a receipt we saw is gone: the block was dropped
      const used = await withRetry('eth_getTransactionCount(latest)', () => client.getTransactionCount({ address: intent.from as Hex, blockTag: 'latest' }), retry)
      if (used > intent.nonce) {
        // The nonce is used. If by one of our hashes, the receipt is merely late (or a node is lying): wait for it.
        if (await anyIncluded(client, intent.txHashes as Hex[], retry)) nonceUsedWithoutOurs = 0
        else if (++nonceUsedWithoutOurs >= o.supersedeChecks) return supersede()
      } else {
        nonceUsedWithoutOurs = 0
        if (Date.now() - signedAt >= o.replaceAfterMs && p.account) {
          const replaced = await replaceIntent(p, intent, retry)
          if (replaced) {
            intent = replaced
            signedAt = Date.now()
            await send()
            continue
          }
          signedAt = Date.now() // no room under the cap: keep re-sending the same bytes, try again after the next deadline
        }
        if (Date.now() - sentAt >= o.rebroadcastEveryMs) await send()
      }
    }
    if (Date.now() - startedAt >= o.giveUpAfterMs) {
      throw new TransactionStuckError({ intentId: intent.intentId, nonce: intent.nonce, txHashes: intent.txHashes, why: `not settled after ${o.giveUpAfterMs} ms` })
    }
    await sleep(o.pollMs)
  }

  async function reorged(r: TransactionReceipt): Promise<void> {
    seen = undefined
    await intents.noteReorg(intent.intentId)
    p.onEvent?.({ type: 'reorged', intentId: intent.intentId, txHash: r.transactionHash, blockNumber: r.blockNumber })
    await send() // the same signed bytes: the transaction (or its replacement) goes back to the pool
  }

  async function record(receipt: TransactionReceipt): Promise<SettleIntentReturnType> {
    // A node can lie about a receipt's status: the record follows what the chain's state shows (crossCheck.ts). The
    // lease is renewed first (when due) so that the two extra reads never stretch the time between renewals.
    await p.fence?.keepAlive()
    const verdict = await crossCheckReceipt(client, intent.effect as EffectCheck | undefined, receipt, retry)
    const { status } = verdict
    const fields = {
      blockNumber: receipt.blockNumber.toString(),
      blockHash: receipt.blockHash,
      gasUsed: receipt.gasUsed.toString(),
      effectiveGasPrice: receipt.effectiveGasPrice.toString(),
      minedTxHash: receipt.transactionHash,
      settledBy: p.settledBy,
      receiptStatus: verdict.receiptStatus,
      verification: verdict.verification,
      verificationNote: verdict.note,
      reason: verdict.verification === 'contradicted' ? verdict.note : status === 'reverted' ? `transaction ${receipt.transactionHash} reverted on-chain in block ${receipt.blockNumber}` : undefined,
    }
    try {
      await intents.transition(intent.intentId, ['signed', 'broadcast'], status, fields)
    } catch (e) {
      ignoreStale(e) // settled by someone else already: the chain is the same for both of us
    }
    p.onEvent?.({ type: 'settled', intentId: intent.intentId, status, txHash: receipt.transactionHash })
    return { status, intent: { ...intent, status, ...fields }, receipt, verdict }
  }

  async function supersede(): Promise<SettleIntentReturnType> {
    const reason = `nonce ${intent.nonce} was used by a transaction that is none of ${intent.txHashes.join(', ')}`
    try {
      await intents.transition(intent.intentId, ['signed', 'broadcast'], 'superseded', { reason, settledBy: p.settledBy })
    } catch (e) {
      ignoreStale(e)
    }
    p.onEvent?.({ type: 'settled', intentId: intent.intentId, status: 'superseded' })
    return { status: 'superseded', intent: { ...intent, status: 'superseded', reason } }
  }
}

/**
 * The only second signature an intent can get: the same transaction (to, data, nonce, gas, chain parsed from the
 * stored raw bytes) with both fees bumped ≥ 12.5 %, persisted (conditional on the current hash, fenced by the lease)
 * BEFORE it is broadcast. Returns undefined when the cap leaves no room, or when another writer changed the intent.
 */
async function replaceIntent(p: SettleIntentParameters, intent: IntentRecord, retry: { attempts: number; backoffMs: number }): Promise<IntentRecord | undefined> {
  if (!p.account || p.account.address.toLowerCase() !== intent.from.toLowerCase()) return undefined
  const tx = parseTransaction(intent.rawTx as Hex)
  if (tx.type !== 'eip1559' || tx.maxFeePerGas === undefined || tx.maxPriorityFeePerGas === undefined) return undefined
  const network = await quoteFees(p.client, undefined, retry).catch(() => undefined)
  const fees: Fees | undefined = bumpFees({ maxFeePerGas: tx.maxFeePerGas, maxPriorityFeePerGas: tx.maxPriorityFeePerGas }, { cap: p.feeCap, network })
  if (!fees) return undefined
  await p.fence?.keepAlive()
  const rawTx = await p.account.signTransaction({ chainId: tx.chainId!, type: 'eip1559', to: tx.to!, data: tx.data, value: tx.value, nonce: tx.nonce!, gas: tx.gas!, accessList: tx.accessList, ...fees })
  const txHash = keccak256(rawTx)
  crashPoint('after-sign')
  const guardFor = { openIntent: intent.intentId }
  try {
    await p.intents.replace(intent.intentId, { previousTxHash: intent.txHash, rawTx, txHash, ...fees }, p.fence?.guard(guardFor))
    p.fence?.applied(guardFor)
  } catch (e) {
    if (e instanceof StaleWriteError) return undefined // the intent moved on (settled or replaced elsewhere): our bytes never leave this process
    throw e
  }
  crashPoint('after-persist')
  p.onEvent?.({ type: 'replaced', intentId: intent.intentId, previousTxHash: intent.txHash as Hex, txHash, ...fees })
  return { ...intent, rawTx, txHash, txHashes: [...intent.txHashes, txHash], maxFeePerGas: fees.maxFeePerGas.toString(), maxPriorityFeePerGas: fees.maxPriorityFeePerGas.toString(), replacements: (intent.replacements ?? 0) + 1 }
}

/** The receipt of whichever of `hashes` is included (newest first), or undefined. */
export async function findReceipt(client: PublicClient, hashes: readonly Hex[], retry: { attempts: number; backoffMs: number }): Promise<TransactionReceipt | undefined> {
  const receipts = await Promise.all([...hashes].reverse().map((hash) => withRetry('eth_getTransactionReceipt', () => client.getTransactionReceipt({ hash }).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e))), retry)))
  return receipts.find((r) => r !== undefined)
}

/** True when the node reports any of `hashes` inside a block (eth_getTransactionByHash), even if it withholds the receipt. */
async function anyIncluded(client: PublicClient, hashes: readonly Hex[], retry: { attempts: number; backoffMs: number }): Promise<boolean> {
  const txs = await Promise.all(hashes.map((hash) => withRetry('eth_getTransactionByHash', () => client.getTransaction({ hash }).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e))), retry)))
  return txs.some((t) => t?.blockNumber !== null && t?.blockNumber !== undefined)
}

/** True when the receipt's block is still the canonical block at its height. */
async function isCanonical(client: PublicClient, receipt: TransactionReceipt, retry: { attempts: number; backoffMs: number }): Promise<boolean> {
  const block = await withRetry('eth_getBlockByNumber', () => client.getBlock({ blockNumber: receipt.blockNumber }).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e))), retry)
  return block?.hash === receipt.blockHash
}

function isNotFound(e: unknown): boolean {
  const name = (e as { name?: string })?.name ?? ''
  return name === 'TransactionReceiptNotFoundError' || name === 'TransactionNotFoundError' || name === 'BlockNotFoundError'
}

function ignoreStale(e: unknown): void {
  if (!(e instanceof StaleWriteError)) throw e
}
