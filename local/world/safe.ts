/**
 * DAO mode in the local world: the real Safe 1.4.1 contracts (bytecode from `@safe-global/safe-contracts` build
 * artifacts) and the real Zodiac Roles v2 modifier (bytecode from `zodiac-roles-sdk`'s typechain factories, with its
 * Integrity and Packer libraries deployed and linked). A Safe owned by local keys (2 of 3) holds the curator roles;
 * the Roles modifier (owner = avatar = target = the Safe) is enabled on it and scoped from the policy by Safe
 * transactions signed by the owners; the bot's key is the role's only member.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { type Abi, type Account, type Address, type Hex, type LocalAccount, encodeFunctionData, keccak256, stringToHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { Integrity__factory, Packer__factory, Roles__factory } from 'zodiac-roles-sdk/typechain'
import { networkRestakeDelegatorAbi } from './abis/symbiotic.js'
import { NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE } from '../../shared/protocols/symbiotic/roles.js'
import { rolesModifierAbi, safeAbi } from './abis/safe.js'
import { roleKeyOf } from '../../shared/chain/safe/execWithRole.js'
import { proposeBatch } from '../../shared/chain/safe/propose.js'
import { type ManagedDelegator, type RolePermissions, permissionsFromPolicy } from '../../shared/chain/safe/rolesPermissions.js'
import { execTransactionCall, safeTransaction, signSafeTransaction } from '../../shared/chain/safe/safeTransaction.js'
import type { Policy } from '../../shared/domain/policy.js'
import { type LocalChain, deploy, write } from './chain.js'

const require = createRequire(import.meta.url)

/** The role the local world gives the bot. */
export const DEFAULT_ROLE_KEY = roleKeyOf('restake-autopilot')

function safeArtifact(path: string): { abi: Abi; bytecode: Hex } {
  const a = JSON.parse(readFileSync(require.resolve(`@safe-global/safe-contracts/build/artifacts/contracts/${path}`), 'utf8')) as { abi: Abi; bytecode: Hex; linkReferences: Record<string, unknown> }
  if (Object.keys(a.linkReferences).length > 0) throw new Error(`${path} needs library linking`)
  return { abi: a.abi, bytecode: a.bytecode }
}

/** ERC-2470 SingletonFactory: Roles v2 stores each scoped function's conditions as code it deploys through it. */
export const ERC2470_FACTORY = '0xce0042B868300000d44A59004Da54A005ffdcf9f' as const
/** EIP-2470's keyless deployment: a pre-signed legacy transaction (no chain id) from a one-time deployer. */
const ERC2470_DEPLOYER = '0xBb6e024b9cFFACB947A71991E386681B1Cd1477D' as const
const ERC2470_RAW_TX =
  '0xf9016c8085174876e8008303c4d88080b90154608060405234801561001057600080fd5b50610134806100206000396000f3fe6080604052348015600f57600080fd5b506004361060285760003560e01c80634af63f0214602d575b600080fd5b60cf60048036036040811015604157600080fd5b810190602081018135640100000000811115605b57600080fd5b820183602082011115606c57600080fd5b80359060200191846001830284011164010000000083111715608d57600080fd5b91908080601f016020809104026020016040519081016040528093929190818152602001838380828437600092019190915250929550509135925060eb915050565b604080516001600160a01b039092168252519081900360200190f35b6000818351602085016000f5939250505056fea26469706673582212206b44f8a82cb6b156bfcc3dc6aadd6df4eefd204bc928a4397fd15dacf6d5320564736f6c634300060200331b83247000822470' as const
const ERC2470_TX_HASH = '0x803351deb6d745e91545a6a3e1c0ea3e9a6a02a1a4193b70edfcd2f40f71a01c' as const

/** Puts the ERC-2470 SingletonFactory at its canonical address the way mainnet got it: the EIP's keyless transaction. */
export async function installSingletonFactory(c: LocalChain): Promise<void> {
  if ((await c.public.getCode({ address: ERC2470_FACTORY }))?.length) return
  if (keccak256(ERC2470_RAW_TX) !== ERC2470_TX_HASH) throw new Error('ERC-2470 raw transaction does not hash to the published hash')
  await c.test.setBalance({ address: ERC2470_DEPLOYER, value: 247_000n * 100_000_000_000n })
  const hash = await c.public.request({ method: 'eth_sendRawTransaction', params: [ERC2470_RAW_TX] })
  const receipt = await c.public.waitForTransactionReceipt({ hash })
  if (receipt.status !== 'success' || receipt.contractAddress?.toLowerCase() !== ERC2470_FACTORY.toLowerCase()) throw new Error('ERC-2470 SingletonFactory deployment failed')
}

/** Roles v2 creation code with its two libraries linked (the placeholders are `__$<34 hex>$__`). */
export function linkRolesBytecode(libraries: { integrity: Address; packer: Address }): Hex {
  const linked = Roles__factory.linkBytecode({ 'contracts/Integrity.sol:Integrity': libraries.integrity, 'contracts/packers/Packer.sol:Packer': libraries.packer })
  if (linked.includes('__$')) throw new Error('Roles bytecode still has unlinked libraries')
  return linked as Hex
}

/** A Safe owner of the local world (throwaway key derived from its label). */
export interface SafeOwner {
  label: string
  address: Address
  account: LocalAccount
}

/** The Safe 1.4.1 contracts and the Roles v2 libraries, deployed once per chain. */
export interface SafeInfra {
  safeSingleton: Address
  proxyFactory: Address
  multiSendCallOnly: Address
  multiSend: Address
  fallbackHandler: Address
  libraries: { integrity: Address; packer: Address }
}

const proxyFactoryArtifact = () => safeArtifact('proxies/SafeProxyFactory.sol/SafeProxyFactory.json')

/** Deploys the Safe 1.4.1 singleton, proxy factory, MultiSend(CallOnly) and fallback handler, the ERC-2470 factory and the Roles v2 libraries. */
export async function deploySafeInfra(c: LocalChain, deployer: Account): Promise<SafeInfra> {
  const d = (a: { abi: Abi; bytecode: Hex }, args: readonly unknown[] = []) => deploy(c, deployer, a.abi, a.bytecode, args)
  const safeSingleton = await d(safeArtifact('Safe.sol/Safe.json'))
  const proxyFactory = await d(proxyFactoryArtifact())
  const multiSendCallOnly = await d(safeArtifact('libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json'))
  const multiSend = await d(safeArtifact('libraries/MultiSend.sol/MultiSend.json'))
  const fallbackHandler = await d(safeArtifact('handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json'))
  await installSingletonFactory(c)
  const integrity = await deploy(c, deployer, Integrity__factory.abi as Abi, Integrity__factory.bytecode as Hex)
  const packer = await deploy(c, deployer, Packer__factory.abi as Abi, Packer__factory.bytecode as Hex)
  return { safeSingleton, proxyFactory, multiSendCallOnly, multiSend, fallbackHandler, libraries: { integrity, packer } }
}

/** `n` throwaway owner keys derived from `<prefix>/owner/<i>` (Anvil only). */
export function safeOwners(prefix: string, n: number): SafeOwner[] {
  return Array.from({ length: n }, (_, i) => {
    const label = `${prefix}/owner/${i}`
    const account = privateKeyToAccount(keccak256(stringToHex(`restake-autopilot/local/${label}`)))
    return { label, address: account.address, account }
  })
}

/**
 * Creates a Safe (`threshold` of `owners`) and a Roles v2 modifier with owner = avatar = target = the Safe. The module
 * is NOT enabled: the owners do that with a Safe transaction (`enableModule`).
 */
export async function createSafeWithRoles(c: LocalChain, deployer: Account, infra: SafeInfra, p: { owners: readonly SafeOwner[]; threshold: number; saltNonce: bigint }): Promise<{ safe: Address; rolesModifier: Address }> {
  const initializer = encodeFunctionData({
    abi: safeAbi,
    functionName: 'setup',
    args: [p.owners.map((o) => o.address), BigInt(p.threshold), '0x0000000000000000000000000000000000000000', '0x', infra.fallbackHandler, '0x0000000000000000000000000000000000000000', 0n, '0x0000000000000000000000000000000000000000'],
  })
  const create = { address: infra.proxyFactory, abi: proxyFactoryArtifact().abi, functionName: 'createProxyWithNonce', args: [infra.safeSingleton, initializer, p.saltNonce] } as const
  const { result: safe } = (await c.public.simulateContract({ ...create, account: deployer } as never)) as { result: Address }
  await write(c, deployer, create as never)
  const rolesModifier = await deploy(c, deployer, Roles__factory.abi as Abi, linkRolesBytecode(infra.libraries), [safe, safe, safe])
  return { safe, rolesModifier }
}

/** Executes one Safe transaction: `threshold` owners sign, `relayer` sends `execTransaction`. */
export async function execSafeTransaction(c: LocalChain, relayer: Account, s: { safe: Address; owners: readonly SafeOwner[]; threshold: number }, tx: { to: Address; data: Hex; operation?: 0 | 1 }, description: string): Promise<void> {
  const nonce = await c.public.readContract({ address: s.safe, abi: safeAbi, functionName: 'nonce' })
  const safeTx = safeTransaction({ ...tx, nonce })
  const signatures = await Promise.all(s.owners.slice(0, s.threshold).map((o) => signSafeTransaction(o.account, s.safe, c.chainId, safeTx)))
  await write(c, relayer, execTransactionCall(s.safe, safeTx, signatures, description) as never)
}

/** Parameters of {@link deployDaoSetup}. */
export interface DeployDaoSetupParameters {
  /** Delegators the role may steer (with the fallback subnetworks, see rolesPermissions.ts). */
  delegators: readonly ManagedDelegator[]
  /** The bot's signer: made the role's only member; it gets no delegator role and no funds of the vault. */
  botAddress: Address
  /** The policy the role's scope is generated from. */
  policy: Policy
  /** Number of Safe owners (default 3) and signatures needed (default 2). */
  owners?: number
  threshold?: number
  /** Role key (default `"restake-autopilot"`). */
  roleKey?: Hex
  /** Allow value 0 outside the scope (de-risk); default true. */
  allowZeroAnywhere?: boolean
  /** Addresses whose curator roles on the delegators are revoked after the Safe got them (default: none). */
  revokeFrom?: readonly Address[]
  /** Gas money for the bot, in wei (default 10 ETH; set via Anvil, no vault funds). */
  botGasWei?: bigint
  labels?: Readonly<Record<string, string>>
}

/** Everything {@link deployDaoSetup} deployed and configured. */
export interface DaoSetup {
  safe: Address
  rolesModifier: Address
  roleKey: Hex
  multiSendCallOnly: Address
  multiSend: Address
  safeSingleton: Address
  proxyFactory: Address
  fallbackHandler: Address
  libraries: { integrity: Address; packer: Address }
  owners: SafeOwner[]
  threshold: number
  botAddress: Address
  /** The permissions applied (targets, conditions, apply calls, listing). */
  permissions: RolePermissions
}

/** Curator roles a delegator kind needs. */
function curatorRolesOf(kind: ManagedDelegator['kind']): Hex[] {
  if (kind === 'network-restake') return [NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE]
  if (kind === 'full-restake') return [NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_LIMIT_SET_ROLE]
  if (kind === 'operator-specific') return [NETWORK_LIMIT_SET_ROLE]
  return []
}

/**
 * Deploys Safe 1.4.1 + Roles v2, creates the DAO's Safe, enables and scopes the module through owner-signed Safe
 * transactions, makes the bot a member, and has the delegators' admin (`deployer`) grant the curator roles to the Safe.
 * @param c clients of the local Anvil
 * @param deployer Anvil key 0: pays for deployments, is DEFAULT_ADMIN of the delegators, relays Safe transactions
 */
export async function deployDaoSetup(c: LocalChain, deployer: Account, p: DeployDaoSetupParameters): Promise<DaoSetup> {
  const infra = await deploySafeInfra(c, deployer)
  const { safeSingleton, proxyFactory, multiSendCallOnly, multiSend, fallbackHandler, libraries } = infra
  const owners = safeOwners('dao', p.owners ?? 3)
  const threshold = p.threshold ?? 2
  const { safe, rolesModifier } = await createSafeWithRoles(c, deployer, infra, { owners, threshold, saltNonce: 0n })
  const { integrity, packer } = libraries

  // Owners sign, the deployer relays: enable the module, then apply the scope + membership as one MultiSend batch.
  const roleKey = p.roleKey ?? DEFAULT_ROLE_KEY
  const permissions = permissionsFromPolicy(p.policy, p.delegators, { roleKey, rolesModifier, members: [p.botAddress], allowZeroAnywhere: p.allowZeroAnywhere, labels: p.labels })
  const execAsSafe = (tx: { to: Address; data: Hex; operation?: 0 | 1 }, description: string) => execSafeTransaction(c, deployer, { safe, owners, threshold }, tx, description)
  await execAsSafe({ to: safe, data: encodeFunctionData({ abi: safeAbi, functionName: 'enableModule', args: [rolesModifier] }) }, 'enable the Roles modifier')
  const batch = proposeBatch(permissions.calls, { safe, chainId: c.chainId, createdAt: 0, multiSendCallOnly })
  await execAsSafe({ to: batch.multiSend.to, data: batch.multiSend.data, operation: batch.multiSend.operation }, 'apply the role scope')

  // The delegators' admin gives the curator roles to the Safe (and takes them from `revokeFrom`, if asked).
  for (const del of p.delegators) {
    for (const role of curatorRolesOf(del.kind)) {
      await write(c, deployer, { address: del.address, abi: networkRestakeDelegatorAbi, functionName: 'grantRole', args: [role, safe] })
      for (const from of p.revokeFrom ?? []) {
        const has = await c.public.readContract({ address: del.address, abi: networkRestakeDelegatorAbi, functionName: 'hasRole', args: [role, from] })
        if (has) await write(c, deployer, { address: del.address, abi: networkRestakeDelegatorAbi, functionName: 'revokeRole', args: [role, from] })
      }
    }
  }
  await c.test.setBalance({ address: p.botAddress, value: p.botGasWei ?? 10n ** 19n })

  // Sanity: the module is on, the Safe owns the modifier.
  const [enabled, owner] = await Promise.all([
    c.public.readContract({ address: safe, abi: safeAbi, functionName: 'isModuleEnabled', args: [rolesModifier] }),
    c.public.readContract({ address: rolesModifier, abi: rolesModifierAbi, functionName: 'owner' }),
  ])
  if (!enabled || owner.toLowerCase() !== safe.toLowerCase()) throw new Error('DAO setup failed: module not enabled or modifier not owned by the Safe')
  return { safe, rolesModifier, roleKey, multiSendCallOnly, multiSend, safeSingleton, proxyFactory, fallbackHandler, libraries: { integrity, packer }, owners, threshold, botAddress: p.botAddress, permissions }
}
