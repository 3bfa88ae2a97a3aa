/**
 * Counts what really happened in a fault case, from the chain and from DynamoDB only: transactions the signer got
 * mined (block by block), its nonces, every intent and run record. Double sends and lost records are derived here,
 * never asserted by the code under test.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { Address, Hex, PublicClient } from 'viem'
import type { IntentRecord } from '../../shared/store/intents.js'
import type { TableNames } from '../../shared/store/tables.js'
import { type JobTarget, readShares } from './job.js'

/** A mined transaction of the signer. */
export interface MinedTx {
  hash: Hex
  nonce: number
  to: Address | null
  input: Hex
  blockNumber: bigint
  status: 'success' | 'reverted'
}

/** What one case produced. */
export interface CaseObservation {
  /** Calls the case meant to get mined. */
  intended: number
  /** Transactions of the signer mined during the case. */
  mined: number
  /** Mined transactions that repeat a call already mined in the case, plus intents with more than one mined hash. */
  doubleSends: number
  /** Mined transactions without a matching `mined`/`reverted` intent, intents still open, runs still `running`. */
  lostRecords: number
  /** Nonces of mined txs are consecutive from the start nonce, and nothing is left pending. */
  noNonceGap: boolean
  /** Every target equals its on-chain value. */
  targetsReached: boolean
  minedTxs: MinedTx[]
  intents: IntentRecord[]
  runs: Record<string, unknown>[]
  detail: string[]
}

async function scanAll(doc: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = []
  let start: Record<string, unknown> | undefined
  do {
    const page = await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }))
    out.push(...(page.Items ?? []))
    start = page.LastEvaluatedKey
  } while (start)
  return out
}

/** The signer's nonce (latest) and the block number: take it before a case starts. */
export async function startMark(client: PublicClient, signer: Address): Promise<{ block: bigint; nonce: number }> {
  const [block, nonce] = await Promise.all([client.getBlockNumber({ cacheTime: 0 }), client.getTransactionCount({ address: signer, blockTag: 'latest' })])
  return { block, nonce }
}

/** Observes a finished case. */
export async function observe(p: {
  client: PublicClient
  doc: DynamoDBDocumentClient
  tables: TableNames
  signer: Address
  start: { block: bigint; nonce: number }
  intended: number
  delegator: Address
  targets: readonly JobTarget[]
  /** Hashes the test itself sent from the signer's key (not the bot's): neither counted as mined nor as lost. */
  external?: readonly Hex[]
}): Promise<CaseObservation> {
  const signer = p.signer.toLowerCase()
  const head = await p.client.getBlockNumber({ cacheTime: 0 })
  const minedTxs: MinedTx[] = []
  const allNonces: number[] = []
  for (let b = p.start.block + 1n; b <= head; b++) {
    const block = await p.client.getBlock({ blockNumber: b, includeTransactions: true })
    for (const tx of block.transactions) {
      if (tx.from.toLowerCase() !== signer) continue
      allNonces.push(tx.nonce)
      if (p.external?.some((h) => h.toLowerCase() === tx.hash.toLowerCase())) continue
      const receipt = await p.client.getTransactionReceipt({ hash: tx.hash })
      minedTxs.push({ hash: tx.hash, nonce: tx.nonce, to: tx.to, input: tx.input, blockNumber: b, status: receipt.status })
    }
  }
  const [latest, pending] = await Promise.all([p.client.getTransactionCount({ address: p.signer, blockTag: 'latest' }), p.client.getTransactionCount({ address: p.signer, blockTag: 'pending' })])
  const intents = (await scanAll(p.doc, p.tables.intents)) as unknown as IntentRecord[]
  const runs = await scanAll(p.doc, p.tables.runs)
  const detail: string[] = []

  // Double sends: the same call mined twice, or two mined hashes for one intent.
  let doubleSends = 0
  const seenCalls = new Set<string>()
  for (const tx of minedTxs) {
    const key = `${tx.to?.toLowerCase()}:${tx.input}`
    if (seenCalls.has(key)) {
      doubleSends++
      detail.push(`double send: ${tx.hash} repeats an already mined call`)
    }
    seenCalls.add(key)
  }
  const minedHashes = new Set(minedTxs.map((t) => t.hash.toLowerCase()))
  for (const i of intents) {
    const n = i.txHashes.filter((h) => minedHashes.has(h.toLowerCase())).length
    if (n > 1) {
      doubleSends += n - 1
      detail.push(`double send: intent ${i.intentId} has ${n} mined hashes`)
    }
  }

  // Lost records: a mined tx nobody recorded as settled, an intent never settled, a run never closed.
  let lostRecords = 0
  for (const tx of minedTxs) {
    const owner = intents.find((i) => i.txHashes.some((h) => h.toLowerCase() === tx.hash.toLowerCase()))
    const ok = owner && (owner.status === 'mined' || owner.status === 'reverted') && owner.minedTxHash?.toLowerCase() === tx.hash.toLowerCase()
    if (!ok) {
      lostRecords++
      detail.push(`lost record: mined tx ${tx.hash} (nonce ${tx.nonce}) → ${owner ? `intent ${owner.intentId} is ${owner.status}` : 'no intent'}`)
    }
  }
  for (const i of intents.filter((i) => i.status === 'signed' || i.status === 'broadcast')) {
    lostRecords++
    detail.push(`lost record: intent ${i.intentId} still ${i.status}`)
  }
  for (const r of runs.filter((r) => r.status === 'running')) {
    lostRecords++
    detail.push(`lost record: run ${String(r.runId)} still running`)
  }

  const nonces = allNonces.sort((a, b) => a - b)
  const noNonceGap = nonces.every((n, k) => n === p.start.nonce + k) && latest === p.start.nonce + nonces.length && pending === latest
  if (!noNonceGap) detail.push(`nonce gap: start ${p.start.nonce}, mined [${nonces.join(',')}], latest ${latest}, pending ${pending}`)
  const current = await readShares(p.client, p.delegator, p.targets)
  const targetsReached = p.targets.every((t, k) => current[k] === t.shares)
  return { intended: p.intended, mined: minedTxs.length, doubleSends, lostRecords, noNonceGap, targetsReached, minedTxs, intents, runs, detail }
}
