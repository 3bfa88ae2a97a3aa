/** The local-key signer: a raw private key, for Anvil only (refused on any other chain unless explicitly allowed). */
import type { LocalAccount } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { InvalidPrivateKeyError, LocalKeyRefusedError } from './errors.js'

/** Chain ids on which a raw private key may sign (Anvil's); any other needs `allow` (ALLOW_LOCAL_KEY=true). */
export const LOCAL_KEY_CHAIN_IDS: readonly number[] = [31337]

/**
 * A viem account from a raw key, refused off Anvil unless `allow` is true.
 * @example localSigner(process.env.SIGNER_PRIVATE_KEY!, 31337)
 */
export function localSigner(privateKey: string, chainId: number, allow = false): LocalAccount {
  if (!LOCAL_KEY_CHAIN_IDS.includes(chainId) && !allow) throw new LocalKeyRefusedError({ chainId, allowed: LOCAL_KEY_CHAIN_IDS })
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new InvalidPrivateKeyError()
  return privateKeyToAccount(privateKey as `0x${string}`)
}
