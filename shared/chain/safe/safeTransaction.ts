/**
 * Safe 1.4.1 transactions signed by owners (EIP-712 `SafeTx`) and executed with `execTransaction`: how a DAO applies
 * the role's permissions and executes a proposal; the local world and the tests use the same code.
 */
import { type Address, type Hex, type LocalAccount, hashTypedData, zeroAddress } from 'viem'
import type { PlannedCall } from '../../execution/types.js'
import { safeAbi } from './abis.js'

/** The fields a Safe transaction hash commits to. */
export interface SafeTransactionData {
  to: Address
  value: bigint
  data: Hex
  /** 0 = CALL, 1 = DELEGATECALL (MultiSendCallOnly batches are delegatecalled). */
  operation: 0 | 1
  safeTxGas: bigint
  baseGas: bigint
  gasPrice: bigint
  gasToken: Address
  refundReceiver: Address
  nonce: bigint
}

/** A Safe transaction with no gas refund (what the Safe UI and the Transaction Builder produce). */
export function safeTransaction(p: { to: Address; data: Hex; nonce: bigint; value?: bigint; operation?: 0 | 1 }): SafeTransactionData {
  return { to: p.to, value: p.value ?? 0n, data: p.data, operation: p.operation ?? 0, safeTxGas: 0n, baseGas: 0n, gasPrice: 0n, gasToken: zeroAddress, refundReceiver: zeroAddress, nonce: p.nonce }
}

const SAFE_TX_TYPES = {
  SafeTx: [
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'data', type: 'bytes' },
    { name: 'operation', type: 'uint8' },
    { name: 'safeTxGas', type: 'uint256' },
    { name: 'baseGas', type: 'uint256' },
    { name: 'gasPrice', type: 'uint256' },
    { name: 'gasToken', type: 'address' },
    { name: 'refundReceiver', type: 'address' },
    { name: 'nonce', type: 'uint256' },
  ],
} as const

/** EIP-712 typed data of a Safe 1.4.1 transaction (domain: chainId + the Safe's address). */
export function safeTxTypedData(safe: Address, chainId: number, tx: SafeTransactionData) {
  return { domain: { chainId, verifyingContract: safe }, types: SAFE_TX_TYPES, primaryType: 'SafeTx' as const, message: tx }
}

/** The Safe transaction hash owners sign (equals the Safe's `getTransactionHash`). */
export function hashSafeTransaction(safe: Address, chainId: number, tx: SafeTransactionData): Hex {
  return hashTypedData(safeTxTypedData(safe, chainId, tx))
}

/** One owner's EIP-712 signature of a Safe transaction. */
export interface OwnerSignature {
  signer: Address
  signature: Hex
}

/** An owner signs the Safe transaction (EIP-712; v = 27/28). */
export async function signSafeTransaction(owner: LocalAccount, safe: Address, chainId: number, tx: SafeTransactionData): Promise<OwnerSignature> {
  return { signer: owner.address, signature: await owner.signTypedData(safeTxTypedData(safe, chainId, tx)) }
}

/** Concatenates owner signatures in ascending signer order, as `execTransaction` requires. */
export function packSignatures(signatures: readonly OwnerSignature[]): Hex {
  const sorted = [...signatures].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1))
  return `0x${sorted.map((s) => s.signature.slice(2)).join('')}`
}

/**
 * The `execTransaction` call that executes a signed Safe transaction (anyone may send it).
 * @example const call = execTransactionCall(safe, tx, [await signSafeTransaction(a, safe, 1, tx), await signSafeTransaction(b, safe, 1, tx)])
 */
export function execTransactionCall(safe: Address, tx: SafeTransactionData, signatures: readonly OwnerSignature[], description = 'execute a Safe transaction'): PlannedCall {
  return {
    address: safe,
    abi: safeAbi,
    functionName: 'execTransaction',
    args: [tx.to, tx.value, tx.data, tx.operation, tx.safeTxGas, tx.baseGas, tx.gasPrice, tx.gasToken, tx.refundReceiver, packSignatures(signatures)],
    description,
  }
}
