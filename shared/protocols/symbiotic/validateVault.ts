/**
 * Checks that each configured address is a Symbiotic core v1 vault the bot can read, before anything is read, planned
 * or signed: it has code, it answers the vault interface (`version`, `collateral`, `delegator`, `slasher`,
 * `epochDuration`), its `version()` is one the bot reads (1 = Vault, 2 = VaultTokenized; Symbiotic's v2 vaults answer
 * 3 and are another codebase, docs/protocols.md), its delegator is set, and — when the config names the VaultFactory —
 * the factory created it. Anything else is refused by name ({@link InvalidVaultError}), never misread.
 * One multicall and one `eth_getCode` per vault, sent together (one HTTP round trip with the batching transport).
 */
import type { Address, PublicClient } from 'viem'
import { RestakeError } from '../../errors.js'
import { vaultAbi } from './abis.js'

/** Vault `version()` values the bot reads: 1 = Vault, 2 = VaultTokenized (Symbiotic core v1). */
export const SUPPORTED_VAULT_VERSIONS: readonly number[] = [1, 2]

const ZERO = '0x0000000000000000000000000000000000000000'
const VAULT_VIEWS = ['version', 'collateral', 'delegator', 'slasher', 'epochDuration'] as const
/** `isEntity(address)` of the VaultFactory (a Symbiotic registry). */
const isEntityAbi = [{ type: 'function', name: 'isEntity', inputs: [{ name: 'entity', type: 'address' }], outputs: [{ type: 'bool' }], stateMutability: 'view' }] as const

/** Why a configured vault is refused. */
export type InvalidVaultReason = 'no-code' | 'not-a-vault' | 'unsupported-version'

/** A configured vault the bot refuses to read; `vault` and `reason` say which and why. Nothing was read, planned or sent. */
export class InvalidVaultError extends RestakeError {
  override name: string = 'InvalidVaultError'
  readonly vault: Address
  readonly reason: InvalidVaultReason
  constructor(p: { vault: Address; reason: InvalidVaultReason; message: string; details: string; cause?: unknown }) {
    super(p.message, { details: p.details, cause: p.cause })
    this.vault = p.vault
    this.reason = p.reason
  }
}

/** No contract at the configured vault address (an EOA, a typo, or another chain's address). */
export class VaultNotFoundError extends InvalidVaultError {
  override name = 'VaultNotFoundError' as const
  constructor(p: { vault: Address; chainId?: number | undefined }) {
    super({
      vault: p.vault,
      reason: 'no-code',
      message: `Vault ${p.vault} does not exist${p.chainId ? ` on chain ${p.chainId}` : ''}: there is no contract at that address.`,
      details: 'check the address and the chain (an EOA or an address from another chain has no code); nothing was read or sent',
    })
  }
}
/** {@link VaultNotFoundError} with its literal name. */
export type VaultNotFoundErrorType = VaultNotFoundError & { name: 'VaultNotFoundError' }

/** A contract that does not answer the Symbiotic vault interface, or a vault whose delegator is not set. */
export class NotAVaultError extends InvalidVaultError {
  override name = 'NotAVaultError' as const
  constructor(p: { vault: Address; why: string }) {
    super({
      vault: p.vault,
      reason: 'not-a-vault',
      message: `${p.vault} is not a Symbiotic vault: ${p.why}.`,
      details: 'configure the vault address itself (not its delegator, slasher, collateral or rewards contract); nothing was read or sent',
    })
  }
}
/** {@link NotAVaultError} with its literal name. */
export type NotAVaultErrorType = NotAVaultError & { name: 'NotAVaultError' }

/** A vault whose `version()` the bot does not read (Symbiotic's v2 vaults answer 3). */
export class UnsupportedVaultVersionError extends InvalidVaultError {
  override name = 'UnsupportedVaultVersionError' as const
  readonly version: number
  constructor(p: { vault: Address; version: number }) {
    super({
      vault: p.vault,
      reason: 'unsupported-version',
      message: `Vault ${p.vault} has version ${p.version}, which restake-autopilot does not support (it reads Symbiotic core v1 vaults, versions ${SUPPORTED_VAULT_VERSIONS.join(' and ')}).`,
      details: `${p.version === 3 ? 'version 3 is a Symbiotic v2 vault (adapters, another contract layout): ' : ''}remove it from the config; nothing was read or sent`,
    })
    this.version = p.version
  }
}
/** {@link UnsupportedVaultVersionError} with its literal name. */
export type UnsupportedVaultVersionErrorType = UnsupportedVaultVersionError & { name: 'UnsupportedVaultVersionError' }

/** Parameters of {@link validateVaults}. */
export interface ValidateVaultsParameters {
  vaults: readonly Address[]
  /** The core's VaultFactory: when given, a vault it did not create is refused. */
  vaultFactory?: Address | undefined
  /** Read at this block (default latest). */
  blockNumber?: bigint | undefined
}

/** A vault that passed {@link validateVaults}: its wiring as read (addresses lower-case). */
export interface ValidatedVault {
  address: Address
  version: number
  collateral: Address
  delegator: Address
  /** Zero address when the vault has no slasher. */
  slasher: Address
  epochDuration: number
}

/** Return type of {@link validateVaults}: one entry per vault, in order. */
export type ValidateVaultsReturnType = ValidatedVault[]

/** Errors {@link validateVaults} throws for bad input (a node failure surfaces as the transport's error). */
export type ValidateVaultsErrorType = VaultNotFoundErrorType | NotAVaultErrorType | UnsupportedVaultVersionErrorType

const lower = (a: string) => a.toLowerCase() as Address

/**
 * Reads each vault's version and wiring and refuses what is not a supported Symbiotic vault (first offender, in config order).
 * @example const [vault] = await validateVaults(client, { vaults: ['0x…'] })
 * @throws {VaultNotFoundError} no code at the address
 * @throws {NotAVaultError} the vault interface does not answer, its delegator is unset, or the VaultFactory did not create it
 * @throws {UnsupportedVaultVersionError} `version()` is not 1 or 2
 */
export async function validateVaults(client: PublicClient, p: ValidateVaultsParameters): Promise<ValidateVaultsReturnType> {
  const { vaults, vaultFactory, blockNumber } = p
  const calls = vaults.flatMap((address) => [
    ...VAULT_VIEWS.map((functionName) => ({ address, abi: vaultAbi, functionName })),
    ...(vaultFactory ? [{ address: vaultFactory, abi: isEntityAbi, functionName: 'isEntity', args: [address] }] : []),
  ])
  const per = VAULT_VIEWS.length + (vaultFactory ? 1 : 0)
  const [codes, out] = await Promise.all([
    Promise.all(vaults.map((address) => client.getCode({ address, blockNumber }))),
    vaults.length ? client.multicall({ contracts: calls as never, allowFailure: true, blockNumber, batchSize: 200_000 }) : Promise.resolve([]),
  ])
  return vaults.map((vault, i) => {
    if (!codes[i] || codes[i] === '0x') throw new VaultNotFoundError({ vault, chainId: client.chain?.id })
    const r = (out as { status: 'success' | 'failure'; result?: unknown }[]).slice(i * per, i * per + per)
    const [version, collateral, delegator, slasher, epochDuration, isEntity] = r
    if (version?.status !== 'success') throw new NotAVaultError({ vault, why: 'it does not answer version()' })
    const v = Number(version.result)
    if (!SUPPORTED_VAULT_VERSIONS.includes(v)) throw new UnsupportedVaultVersionError({ vault, version: v })
    const missing = VAULT_VIEWS.filter((_, k) => r[k]?.status !== 'success')
    if (missing.length) throw new NotAVaultError({ vault, why: `it does not answer ${missing.map((m) => `${m}()`).join(', ')}` })
    if (isEntity && isEntity.result !== true) throw new NotAVaultError({ vault, why: `the VaultFactory ${vaultFactory} did not create it` })
    if (lower(delegator!.result as string) === ZERO) throw new NotAVaultError({ vault, why: 'its delegator is not set (the vault is not initialized)' })
    return {
      address: lower(vault),
      version: v,
      collateral: lower(collateral!.result as string),
      delegator: lower(delegator!.result as string),
      slasher: lower(slasher!.result as string),
      epochDuration: Number(epochDuration!.result),
    }
  })
}
