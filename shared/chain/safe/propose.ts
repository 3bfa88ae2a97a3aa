/**
 * `propose` mode: the planned calls as a batch for the DAO's signers instead of transactions the bot sends.
 * Two equivalent encodings of the same calls, plus a review text with the explanation of every call:
 * - a Safe Transaction Builder file (JSON: version, chainId, createdAt, meta, transactions) to load in the Safe app;
 * - one MultiSendCallOnly 1.4.1 `multiSend(bytes)` call, to be executed by the Safe as a DELEGATECALL (operation 1).
 * {@link decodeProposal} reads both back into calls and checks that they agree (tests use it; so can reviewers).
 */
import {
  type Abi,
  type AbiFunction,
  type AbiParameter,
  type Address,
  type Hex,
  concat,
  decodeFunctionData,
  encodeFunctionData,
  encodePacked,
  getAbiItem,
  getAddress,
  hexToBigInt,
  isAddress,
  isHex,
  keccak256,
  size,
  slice,
  stringToHex,
} from 'viem'
import type { PlannedCall } from '../../execution/types.js'
import { MULTI_SEND_CALL_ONLY_141, Operation, multiSendAbi } from './abis.js'
import { ProposalDecodeError, UnproposableCallError } from './errors.js'

/** Why a call is proposed: the description and the planner's reasons. */
export interface ProposalExplanation {
  description: string
  reasons?: readonly string[]
}

/** Options of {@link proposeBatch}. */
export interface ProposeBatchOptions {
  /** The Safe that will execute the batch (it holds the curator roles). */
  safe?: Address
  chainId: number
  /** One per call, same order (defaults to the call's own description). */
  explanations?: readonly (ProposalExplanation | undefined)[]
  /** Creation time, epoch milliseconds (passed in: no hidden clock). */
  createdAt: number
  /** Batch name shown by the Transaction Builder. */
  name?: string
  /** First line of the batch description. */
  summary?: string
  /** MultiSendCallOnly the Safe delegatecalls (default: the canonical 1.4.1 deployment). */
  multiSendCallOnly?: Address
}

/** One input of a Transaction Builder `contractMethod`. */
export interface TransactionBuilderInput {
  internalType: string
  name: string
  type: string
}

/** One transaction of a Transaction Builder batch. */
export interface TransactionBuilderTransaction {
  to: Address
  /** Wei, decimal string. */
  value: string
  /** The exact calldata (also derivable from contractMethod + contractInputsValues when those are given). */
  data: Hex
  contractMethod: { inputs: TransactionBuilderInput[]; name: string; payable: boolean } | null
  contractInputsValues: Record<string, string> | null
}

/** A Safe Transaction Builder batch file. */
export interface TransactionBuilderBatch {
  version: '1.0'
  chainId: string
  createdAt: number
  meta: {
    name: string
    description: string
    txBuilderVersion: string
    createdFromSafeAddress: string
    createdFromOwnerAddress: string
    checksum?: Hex
  }
  transactions: TransactionBuilderTransaction[]
}

/** The MultiSendCallOnly encoding: one Safe transaction, delegatecalled. */
export interface MultiSendTransaction {
  to: Address
  value: bigint
  operation: typeof Operation.DelegateCall
  data: Hex
}

/** What {@link proposeBatch} returns. */
export interface ProposeBatchReturnType {
  batch: TransactionBuilderBatch
  /** The batch file's content (2-space JSON, trailing newline). */
  transactionBuilderJson: string
  multiSend: MultiSendTransaction
  /** Markdown for reviewers: how to execute, then every call with its reasons. */
  review: string
}

/** Transaction Builder version the files declare (a released version of the Safe app). */
export const TX_BUILDER_VERSION = '1.16.5'

const SCALAR = /^(address|bool|bytes\d+|u?int\d*|string|bytes)$/

/**
 * Prepares the planned calls for the DAO's signers: a Transaction Builder batch and a MultiSendCallOnly call.
 * @example const p = proposeBatch(calls, { safe, chainId: 1, createdAt: Date.now(), explanations })
 * @param calls plain calls (never role-wrapped: the Safe makes them itself)
 * @param opts Safe, chain, explanations, creation time
 * @returns {@link ProposeBatchReturnType}
 * @throws UnproposableCallError when a call's function is not in its ABI
 */
export function proposeBatch(calls: readonly PlannedCall[], opts: ProposeBatchOptions): ProposeBatchReturnType {
  const transactions = calls.map((call, index) => toBuilderTransaction(call, index))
  const explanations = calls.map((c, i) => opts.explanations?.[i] ?? { description: c.description })
  const summary = opts.summary ?? `restake-autopilot: ${calls.length} curator call(s)`
  const description = [summary, ...explanations.map((e, i) => `${i + 1}. ${e.description}${e.reasons?.length ? ` — ${e.reasons.join('; ')}` : ''}`)].join('\n')
  const unsigned: TransactionBuilderBatch = {
    version: '1.0',
    chainId: String(opts.chainId),
    createdAt: opts.createdAt,
    meta: { name: opts.name ?? 'restake-autopilot rebalance', description, txBuilderVersion: TX_BUILDER_VERSION, createdFromSafeAddress: opts.safe ? getAddress(opts.safe) : '', createdFromOwnerAddress: '' },
    transactions,
  }
  const batch: TransactionBuilderBatch = { ...unsigned, meta: { ...unsigned.meta, checksum: batchChecksum(unsigned) } }
  const multiSend: MultiSendTransaction = {
    to: getAddress(opts.multiSendCallOnly ?? MULTI_SEND_CALL_ONLY_141),
    value: 0n,
    operation: Operation.DelegateCall,
    data: encodeMultiSend(transactions.map((t) => ({ to: t.to, value: BigInt(t.value), data: t.data }))),
  }
  return { batch, transactionBuilderJson: `${JSON.stringify(batch, null, 2)}\n`, multiSend, review: renderReview(batch, multiSend, explanations, transactions) }
}

function toBuilderTransaction(call: PlannedCall, index: number): TransactionBuilderTransaction {
  let item: AbiFunction | undefined
  try {
    item = getAbiItem({ abi: call.abi, name: call.functionName, args: call.args } as never) as AbiFunction | undefined
  } catch (cause) {
    throw new UnproposableCallError({ index, reason: `${call.functionName} cannot be resolved in its ABI: ${(cause as Error).message}` })
  }
  if (item?.type !== 'function') throw new UnproposableCallError({ index, reason: `${call.functionName} is not a function of its ABI` })
  const data = encodeFunctionData({ abi: [item], functionName: item.name, args: call.args } as never)
  const simple = item.inputs.every((p) => SCALAR.test(p.type) && p.name)
  return {
    to: getAddress(call.address),
    value: '0',
    data,
    contractMethod: simple ? { inputs: item.inputs.map((p) => ({ internalType: (p as { internalType?: string }).internalType ?? p.type, name: p.name!, type: p.type })), name: item.name, payable: item.stateMutability === 'payable' } : null,
    contractInputsValues: simple ? Object.fromEntries(item.inputs.map((p, i) => [p.name!, valueText(call.args[i])])) : null,
  }
}

const valueText = (v: unknown): string => String(v)

/**
 * The Transaction Builder's checksum of a batch: keccak256 of a key-sorted serialisation of the file with
 * `meta.name` set to null and without `meta.checksum` (the Safe app's tx-builder `lib/checksum.ts` algorithm).
 */
export function batchChecksum(batch: TransactionBuilderBatch): Hex {
  const { checksum: _ignored, ...meta } = batch.meta
  return keccak256(stringToHex(serializeSorted({ ...batch, meta: { ...meta, name: null } })))
}

function serializeSorted(json: unknown): string {
  if (Array.isArray(json)) return `[${json.map(serializeSorted).join(',')}]`
  if (typeof json === 'object' && json !== null) {
    const keys = Object.keys(json).sort()
    return `{${JSON.stringify(keys)}${keys.map((k) => `${serializeSorted((json as Record<string, unknown>)[k])},`).join('')}}`
  }
  return json === undefined ? 'null' : JSON.stringify(json)
}

/** Packs CALLs for MultiSendCallOnly: `uint8 operation ++ address to ++ uint256 value ++ uint256 length ++ bytes data` each. */
export function encodeMultiSend(txs: readonly { to: Address; value: bigint; data: Hex }[]): Hex {
  const packed = txs.map((t) => encodePacked(['uint8', 'address', 'uint256', 'uint256', 'bytes'], [Operation.Call, t.to, t.value, BigInt(size(t.data)), t.data]))
  return encodeFunctionData({ abi: multiSendAbi, functionName: 'multiSend', args: [packed.length ? concat(packed) : '0x'] })
}

/** Unpacks a `multiSend(bytes)` call into its transactions. */
export function decodeMultiSend(data: Hex): { operation: number; to: Address; value: bigint; data: Hex }[] {
  let packed: Hex
  try {
    packed = decodeFunctionData({ abi: multiSendAbi, data }).args[0]
  } catch (cause) {
    throw new ProposalDecodeError({ reason: 'the MultiSend data is not a multiSend(bytes) call', cause })
  }
  const out: { operation: number; to: Address; value: bigint; data: Hex }[] = []
  let at = 0
  const total = size(packed)
  while (at < total) {
    if (at + 85 > total) throw new ProposalDecodeError({ reason: `truncated MultiSend entry at byte ${at}`, index: out.length })
    const operation = Number(hexToBigInt(slice(packed, at, at + 1)))
    const to = getAddress(slice(packed, at + 1, at + 21))
    const value = hexToBigInt(slice(packed, at + 21, at + 53))
    const length = Number(hexToBigInt(slice(packed, at + 53, at + 85)))
    if (at + 85 + length > total) throw new ProposalDecodeError({ reason: `MultiSend entry ${out.length} overruns the data`, index: out.length })
    const body = length === 0 ? '0x' : slice(packed, at + 85, at + 85 + length)
    out.push({ operation, to, value, data: body })
    at += 85 + length
  }
  return out
}

/** A call read back from a proposal. */
export interface DecodedProposalCall {
  address: Address
  value: bigint
  data: Hex
  /** Known when the transaction carries a contractMethod or one of `abis` decodes it. */
  functionName?: string
  args?: readonly unknown[]
}

/** What {@link decodeProposal} returns. */
export interface DecodedProposal {
  chainId: number
  safe: Address | undefined
  createdAt: number
  calls: DecodedProposalCall[]
}

/**
 * Reads a proposal back: parses the Transaction Builder file, checks its checksum, decodes every transaction (its
 * contractMethod, else the given ABIs), checks that contractInputsValues say the same as the calldata and, when the
 * MultiSend encoding is given, that it holds exactly the same CALLs in the same order.
 * @param input the batch file's text or object
 * @param opts.multiSend the MultiSend encoding produced alongside
 * @param opts.abis ABIs to decode transactions that carry no contractMethod
 * @throws ProposalDecodeError on any malformed part or disagreement
 */
export function decodeProposal(input: string | TransactionBuilderBatch, opts: { multiSend?: { to: Address; data: Hex; operation?: number }; abis?: readonly Abi[] } = {}): DecodedProposal {
  let batch: TransactionBuilderBatch
  try {
    batch = typeof input === 'string' ? (JSON.parse(input) as TransactionBuilderBatch) : input
  } catch (cause) {
    throw new ProposalDecodeError({ reason: 'the file is not JSON', cause })
  }
  if (batch?.version !== '1.0' || !Array.isArray(batch.transactions) || typeof batch.meta !== 'object' || batch.meta === null)
    throw new ProposalDecodeError({ reason: 'not a Transaction Builder batch (version 1.0 with meta and transactions)' })
  if (batch.meta.checksum !== undefined && batch.meta.checksum !== batchChecksum(batch)) throw new ProposalDecodeError({ reason: `checksum ${batch.meta.checksum} does not match the content (${batchChecksum(batch)}): the file was edited` })
  const calls = batch.transactions.map((t, index) => decodeTransaction(t, index, opts.abis ?? []))
  if (opts.multiSend) {
    if (opts.multiSend.operation !== undefined && opts.multiSend.operation !== Operation.DelegateCall) throw new ProposalDecodeError({ reason: 'the MultiSend transaction must be a DELEGATECALL (operation 1)' })
    const inner = decodeMultiSend(opts.multiSend.data)
    if (inner.length !== calls.length) throw new ProposalDecodeError({ reason: `MultiSend holds ${inner.length} transactions, the batch ${calls.length}` })
    inner.forEach((m, index) => {
      const c = calls[index]!
      if (m.operation !== Operation.Call || m.to !== c.address || m.value !== c.value || m.data.toLowerCase() !== c.data.toLowerCase())
        throw new ProposalDecodeError({ reason: 'the MultiSend entry differs from the batch transaction', index })
    })
  }
  const safe = batch.meta.createdFromSafeAddress && isAddress(batch.meta.createdFromSafeAddress) ? getAddress(batch.meta.createdFromSafeAddress) : undefined
  return { chainId: Number(batch.chainId), safe, createdAt: batch.createdAt, calls }
}

function decodeTransaction(t: TransactionBuilderTransaction, index: number, abis: readonly Abi[]): DecodedProposalCall {
  if (!isAddress(t.to)) throw new ProposalDecodeError({ reason: `"to" is not an address`, index })
  if (!/^\d+$/.test(t.value)) throw new ProposalDecodeError({ reason: `"value" is not a decimal wei amount`, index })
  const address = getAddress(t.to)
  const value = BigInt(t.value)
  let data = t.data
  if (t.contractMethod) {
    const item: AbiFunction = { type: 'function', name: t.contractMethod.name, inputs: t.contractMethod.inputs as AbiParameter[], outputs: [], stateMutability: t.contractMethod.payable ? 'payable' : 'nonpayable' }
    const values = t.contractInputsValues ?? {}
    const args = item.inputs.map((p) => parseValue(p.type, values[p.name!], index))
    const encoded = encodeFunctionData({ abi: [item], functionName: item.name, args } as never)
    if (data && data !== '0x' && data.toLowerCase() !== encoded.toLowerCase()) throw new ProposalDecodeError({ reason: `data differs from ${item.name}(contractInputsValues)`, index })
    data = encoded
    return { address, value, data, functionName: item.name, args: decodeFunctionData({ abi: [item], data }).args ?? [] }
  }
  if (!data || !isHex(data)) throw new ProposalDecodeError({ reason: 'neither data nor contractMethod', index })
  for (const abi of abis) {
    try {
      const d = decodeFunctionData({ abi, data })
      return { address, value, data, functionName: d.functionName, args: d.args ?? [] }
    } catch {
      // not this ABI
    }
  }
  return { address, value, data }
}

function parseValue(type: string, text: string | undefined, index: number): unknown {
  if (text === undefined) throw new ProposalDecodeError({ reason: `contractInputsValues lacks a ${type} value`, index })
  if (/^u?int\d*$/.test(type)) {
    if (!/^-?\d+$/.test(text)) throw new ProposalDecodeError({ reason: `"${text}" is not an integer`, index })
    return BigInt(text)
  }
  if (type === 'bool') return text === 'true'
  if (type === 'address' && !isAddress(text)) throw new ProposalDecodeError({ reason: `"${text}" is not an address`, index })
  return text
}

function renderReview(batch: TransactionBuilderBatch, multiSend: MultiSendTransaction, explanations: ProposalExplanation[], txs: TransactionBuilderTransaction[]): string {
  const lines: string[] = []
  lines.push(`# ${batch.meta.name}`)
  lines.push('')
  lines.push(`Safe ${batch.meta.createdFromSafeAddress || '(not set)'} on chain ${batch.chainId}, prepared ${new Date(batch.createdAt).toISOString()}, checksum ${batch.meta.checksum}.`)
  lines.push('')
  lines.push('Execute it in ONE of two ways (both hold exactly the calls below, in this order):')
  lines.push('- Safe app → Transaction Builder → load the `.json` file next to this one → review → create batch → collect signatures → execute;')
  lines.push(
    `- or one Safe transaction: to ${multiSend.to} (MultiSendCallOnly 1.4.1), value 0, operation 1 (DELEGATECALL), data = the \`data\` field of the \`.multisend.json\` file (${size(multiSend.data)} bytes, keccak ${keccak256(multiSend.data)}).`,
  )
  lines.push('')
  lines.push('The calls only change curator parameters of the delegators (limits and shares); no funds move.')
  txs.forEach((t, i) => {
    const e = explanations[i]!
    lines.push('')
    lines.push(`## ${i + 1}. ${e.description}`)
    lines.push('')
    lines.push(`- to: \`${t.to}\``)
    if (t.contractMethod) lines.push(`- call: \`${t.contractMethod.name}(${t.contractMethod.inputs.map((p) => `${p.name}=${t.contractInputsValues?.[p.name]}`).join(', ')})\``)
    lines.push(`- data: \`${t.data}\``)
    if (e.reasons?.length) {
      lines.push('- why:')
      for (const r of e.reasons) lines.push(`  - ${r}`)
    }
  })
  return `${lines.join('\n')}\n`
}

/** One file of a written proposal. */
export interface ProposalFile {
  name: string
  content: string
}

/**
 * The files `propose` mode writes for a run: `<id>.safe-tx-builder.json` (load in the Safe Transaction Builder),
 * `<id>.multisend.json` (the single Safe transaction: to, value, operation, data) and `<id>.md` (the review).
 * @param id a file-name stem, e.g. the run id (characters other than `[A-Za-z0-9._-]` become `-`)
 */
export function proposalFiles(id: string, proposal: ProposeBatchReturnType): ProposalFile[] {
  const stem = id.replace(/[^A-Za-z0-9._-]/g, '-')
  const m = proposal.multiSend
  const multiSendJson = `${JSON.stringify({ safe: proposal.batch.meta.createdFromSafeAddress, chainId: proposal.batch.chainId, to: m.to, value: m.value.toString(), operation: m.operation, data: m.data }, null, 2)}\n`
  return [
    { name: `${stem}.safe-tx-builder.json`, content: proposal.transactionBuilderJson },
    { name: `${stem}.multisend.json`, content: multiSendJson },
    { name: `${stem}.md`, content: proposal.review },
  ]
}
