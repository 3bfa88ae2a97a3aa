/**
 * The signer of the functions that send (rebalance, watch): the KMS key `SIGNER_KMS_KEY_ID` in AWS, or a
 * local key `SIGNER_PRIVATE_KEY` (Anvil only unless ALLOW_LOCAL_KEY=true). Its own module so the functions
 * that never sign (score, webhook) bundle no secp256k1 code: only their handlers do not import it.
 */
import type { LocalAccount } from 'viem'
import { localSigner } from '../chain/signers/localSigner.js'
import { chainIdFromEnv } from '../config/config.js'

/** The signer named by `env` (a KMS key wins over nothing; a local key wins over a KMS key), or undefined when none is configured. */
export async function signerFromEnv(env: Record<string, string | undefined>): Promise<LocalAccount | undefined> {
  if (env.SIGNER_PRIVATE_KEY) return localSigner(env.SIGNER_PRIVATE_KEY, chainIdFromEnv(env), env.ALLOW_LOCAL_KEY === 'true')
  const keyId = env.SIGNER_KMS_KEY_ID ?? env.KMS_KEY_ID
  if (!keyId) return undefined
  // KMS code (and the SDK client) is loaded only when a KMS key is configured; one GetPublicKey call.
  const [{ KMSClient }, { kmsSigner }] = await Promise.all([import('@aws-sdk/client-kms'), import('../chain/signers/kmsSigner.js')])
  return kmsSigner({ client: new KMSClient({}), keyId })
}

/** The signer resolved once per cold start (ESM top-level await), for the handlers that send. */
export const coldStartSigner: LocalAccount | undefined = await signerFromEnv(globalThis.process?.env ?? {})
