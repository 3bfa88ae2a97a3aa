/**
 * EigenLayer staker Safes in the local world: each of our stakers is a Safe 1.4.1 (2 of 3 local owners) with its own
 * Zodiac Roles v2 modifier, scoped by `stakerPermissions` (shared/protocols/eigenlayer/stakerRoles.ts) so the bot's one
 * signer can make exactly the move saga's calls. The owners sign one batch per Safe (module, scope, membership, and
 * the Safe's first delegation and deposit); the bot only gets gas.
 */
import { type Account, type Address, type Hex, erc20Abi, zeroHash } from 'viem'
import { proposeBatch } from '../../shared/chain/safe/propose.js'
import type { PlannedCall } from '../../shared/execution/types.js'
import { delegationManagerAbi, strategyManagerAbi } from '../../shared/protocols/eigenlayer/abis.js'
import { type StakerPermissions, stakerPermissions, stakerSetupCalls } from '../../shared/protocols/eigenlayer/stakerRoles.js'
import { type LocalChain, write } from './chain.js'
import type { EigenLayerDeployment } from './eigenlayer.js'
import { lstTokenAbi } from './seed.js'
import { DEFAULT_ROLE_KEY, type SafeInfra, type SafeOwner, createSafeWithRoles, deploySafeInfra, execSafeTransaction, safeOwners } from './safe.js'

/** Options of {@link deployStakerSafes}. */
export interface StakerSafesOptions {
  /** The bot's signer: the only member of every staker Safe's role (it gets gas, no tokens). */
  botAddress: Address
  roleKey?: Hex
  /** Safe contracts already on the chain (else deployed). */
  infra?: SafeInfra
}

/** One staker Safe as deployed. */
export interface StakerSafe {
  label: string
  safe: Address
  rolesModifier: Address
  roleKey: Hex
  owners: SafeOwner[]
  threshold: number
  permissions: StakerPermissions
}

/** What each staker Safe starts with: its operator (delegated at setup) and deposit in token wei (minted to the Safe). */
export interface StakerSafeSpec {
  label: string
  operator?: Address
  deposit: bigint
}

/**
 * Creates one Safe + Roles modifier per staker, then has each Safe's owners sign one batch: enable the module, scope
 * the role (`operators` may be delegated to; transfers only to the other staker Safes), make the bot a member, and —
 * the Safe's own business, not the bot's — delegate and deposit what was minted to it.
 * @param minter mints the token (LstToken owner) and relays the owners' Safe transactions
 */
export async function deployStakerSafes(c: LocalChain, minter: Account, d: EigenLayerDeployment, specs: readonly StakerSafeSpec[], operators: readonly Address[], opts: StakerSafesOptions): Promise<StakerSafe[]> {
  const infra = opts.infra ?? (await deploySafeInfra(c, minter))
  const roleKey = opts.roleKey ?? DEFAULT_ROLE_KEY
  const threshold = 2
  const created: Omit<StakerSafe, 'permissions'>[] = []
  for (const [i, s] of specs.entries()) {
    const owners = safeOwners(`eigenlayer/staker/${s.label}`, 3)
    const { safe, rolesModifier } = await createSafeWithRoles(c, minter, infra, { owners, threshold, saltNonce: BigInt(i + 1) })
    created.push({ label: s.label, safe, rolesModifier, roleKey, owners, threshold })
  }
  const out: StakerSafe[] = []
  for (const [i, s] of created.entries()) {
    const spec = specs[i]!
    const permissions = stakerPermissions({
      delegationManager: d.delegationManager,
      strategyManager: d.strategyManager,
      strategy: d.strategy,
      token: d.token,
      staker: { safe: s.safe, rolesModifier: s.rolesModifier, roleKey, operators },
      peers: created.map((x) => x.safe),
      members: [opts.botAddress],
    })
    const own: PlannedCall[] = []
    if (spec.operator) own.push({ address: d.delegationManager, abi: delegationManagerAbi, functionName: 'delegateTo', args: [spec.operator, { signature: '0x', expiry: 0n }, zeroHash], description: `delegate to ${spec.operator}` })
    if (spec.deposit > 0n) {
      await write(c, minter, { address: d.token, abi: lstTokenAbi, functionName: 'mint', args: [s.safe, spec.deposit] })
      own.push({ address: d.token, abi: erc20Abi, functionName: 'approve', args: [d.strategyManager, spec.deposit], description: 'approve the StrategyManager' })
      own.push({ address: d.strategyManager, abi: strategyManagerAbi, functionName: 'depositIntoStrategy', args: [d.strategy, d.token, spec.deposit], description: 'deposit' })
    }
    const batch = proposeBatch([...stakerSetupCalls(permissions), ...own], { safe: s.safe, chainId: c.chainId, createdAt: 0, multiSendCallOnly: infra.multiSendCallOnly })
    await execSafeTransaction(c, minter, s, { to: batch.multiSend.to, data: batch.multiSend.data, operation: batch.multiSend.operation }, `set up staker Safe ${s.label}`)
    out.push({ ...s, permissions })
  }
  await c.test.setBalance({ address: opts.botAddress, value: 10n ** 20n })
  return out
}
