/**
 * Sends planned calls: simulate every call first (a revert sends nothing), then for each call in order sign
 * it, persist the signed raw transaction as an intent BEFORE broadcasting, broadcast, wait for the receipt
 * and record the outcome. A retried intent re-broadcasts the stored raw transaction instead of signing again.
 */
import { type Hex, type LocalAccount, type PublicClient, encodeFunctionData, keccak256 } from 'viem'
import type { IntentRecord, IntentStore } from '../../store/intents.js'
import { StaleWriteError } from '../../store/errors.js'
import { SimulationRevertedError, TransactionRevertedError } from '../errors.js'
import type { PlannedCall } from '../protocols/symbiotic/buildCuratorCall.js'
import { decodeRevert } from './decodeRevert.js'

/** Parameters of {@link executeCalls}. */
export interface ExecuteCallsParameters {
  client: PublicClient
  /** Signs transactions (a local key on Anvil, a KMS-backed account in AWS). */
  account: LocalAccount
  calls: readonly PlannedCall[]
  intents: IntentStore
  runId: string
  /** Blocks to wait after inclusion (default 1). */
  confirmations?: number
  /** Upper bound for maxFeePerGas (wei); above it the caller should have deferred. */
  maxFeePerGas?: bigint
  /** Called after each mined call (live output). */
  onMined?: (index: number, hash: Hex) => void
}

/** Outcome of one call. */
export interface ExecutedCall {
  index: number
  txHash: Hex
  blockNumber: bigint
  gasUsed: bigint
}

/** Simulates all, then signs → persists → broadcasts → confirms each call in order. */
export async function executeCalls(p: ExecuteCallsParameters): Promise<ExecutedCall[]> {
  const { client, account, calls, intents, runId } = p
  // 1. Simulate everything first, from the signer's address: one revert and nothing is sent.
  for (const [index, call] of calls.entries()) {
    try {
      await client.simulateContract({ address: call.address, abi: call.abi, functionName: call.functionName, args: call.args, account: account.address } as never)
    } catch (cause) {
      throw new SimulationRevertedError({ reason: decodeRevert(cause), actionIndex: index, functionName: call.functionName, address: call.address, cause })
    }
  }
  const chainId = client.chain?.id ?? (await client.getChainId())
  const results: ExecutedCall[] = []
  for (const [index, call] of calls.entries()) {
    const intentId = `${runId}#${index}`
    let intent = await intents.get(intentId)
    if (!intent) {
      // 2. Sign once per intent.
      const data = encodeFunctionData({ abi: call.abi, functionName: call.functionName, args: call.args } as never)
      const [nonce, fees, gas] = await Promise.all([
        client.getTransactionCount({ address: account.address, blockTag: 'pending' }),
        client.estimateFeesPerGas(),
        client.estimateGas({ account: account.address, to: call.address, data }),
      ])
      const maxFeePerGas = p.maxFeePerGas !== undefined && fees.maxFeePerGas > p.maxFeePerGas ? p.maxFeePerGas : fees.maxFeePerGas
      const rawTx = await account.signTransaction({ chainId, type: 'eip1559', to: call.address, data, nonce, gas: (gas * 12n) / 10n, maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas > maxFeePerGas ? maxFeePerGas : fees.maxPriorityFeePerGas })
      const txHash = keccak256(rawTx)
      const record: IntentRecord = { intentId, runId, actionIndex: index, status: 'signed', from: account.address, to: call.address, data, nonce, rawTx, txHash, txHashes: [txHash], createdAt: Date.now() }
      // 3. Persist before broadcast: if we crash after this line, the next attempt re-broadcasts the same bytes.
      try {
        await intents.create(record)
        intent = record
      } catch (e) {
        if (!(e instanceof StaleWriteError)) throw e
        intent = await intents.get(intentId) // someone else signed this intent first: use theirs
        if (!intent) throw e
      }
    }
    // 4. Broadcast (idempotent: the node answers "already known" for the same bytes).
    if (intent.status === 'signed' || intent.status === 'broadcast') {
      await client.sendRawTransaction({ serializedTransaction: intent.rawTx as Hex }).catch((e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e)
        if (!/already known|nonce too low|already imported/i.test(msg)) throw e
      })
      if (intent.status === 'signed') await intents.transition(intentId, ['signed'], 'broadcast')
    }
    // 5. Confirm and record.
    const receipt = await client.waitForTransactionReceipt({ hash: intent.txHash as Hex, confirmations: p.confirmations ?? 1, timeout: 120_000 })
    if (receipt.status !== 'success') {
      await intents.transition(intentId, ['broadcast', 'signed'], 'reverted', { blockNumber: receipt.blockNumber.toString(), gasUsed: receipt.gasUsed.toString() })
      throw new TransactionRevertedError({ hash: receipt.transactionHash, actionIndex: index })
    }
    if (intent.status !== 'mined') await intents.transition(intentId, ['broadcast', 'signed'], 'mined', { blockNumber: receipt.blockNumber.toString(), gasUsed: receipt.gasUsed.toString() })
    results.push({ index, txHash: receipt.transactionHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed })
    p.onMined?.(index, receipt.transactionHash)
  }
  return results
}
