/** Errors of the signers. */
import { RestakeError } from '../../errors.js'

/** A raw private key was offered for a chain other than Anvil's without explicit permission. */
export class LocalKeyRefusedError extends RestakeError {
  override name = 'LocalKeyRefusedError' as const
  constructor(p: { chainId: number; allowed: readonly number[] }) {
    super(`A local private key may only sign on Anvil (chain ${p.allowed.join(', ')}), not chain ${p.chainId}.`, { details: 'use the KMS signer (KMS_KEY_ID), or set ALLOW_LOCAL_KEY=true if you really mean it' })
  }
}

/** The local key is not a 32-byte hex string. */
export class InvalidPrivateKeyError extends RestakeError {
  override name = 'InvalidPrivateKeyError' as const
  constructor() {
    super('SIGNER_PRIVATE_KEY is not a 32-byte hex key.', { details: 'expected 0x followed by 64 hex digits' })
  }
}

/** KMS returned something that is not a usable secp256k1 key or signature for this account. */
export class KmsSignatureError extends RestakeError {
  override name = 'KmsSignatureError' as const
  constructor(p: { keyId: string; problem: string; cause?: unknown }) {
    super(`KMS key ${p.keyId}: ${p.problem}`, { details: p.problem, cause: p.cause })
  }
}
