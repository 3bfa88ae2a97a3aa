/**
 * Deploys the real Symbiotic core v1 on Anvil from the creation bytecode shipped in the npm package
 * `@symbioticfi/core` (test/integration/SymbioticCoreBytecode.sol), in the order and with the constructor
 * arguments of test/integration/base/SymbioticCoreInitBase.sol; plus Multicall3 and the real
 * DefaultStakerRewards (+ factory) from the compiled artifacts of `@symbioticfi/rewards`.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { type Abi, type Account, type Address, type Hex, stringToHex } from 'viem'
import { compileContract } from './compile.js'
import * as abis from './abis/symbiotic.js'
import { MULTICALL3_ADDRESS } from '../../shared/chain/client.js'
import { type LocalChain, deploy, write } from './chain.js'

const require = createRequire(import.meta.url)

/** Reads every `function name() ... returns (bytes memory) { return hex"..."; }` from SymbioticCoreBytecode.sol. */
export function loadCoreBytecode(): Record<string, Hex> {
  const path = require.resolve('@symbioticfi/core/test/integration/SymbioticCoreBytecode.sol')
  const source = readFileSync(path, 'utf8')
  const out: Record<string, Hex> = {}
  for (const m of source.matchAll(/function\s+(\w+)\(\)[^{]*\{\s*return\s+hex"([0-9a-fA-F]*)"/g)) {
    out[m[1] as string] = `0x${m[2]}`
  }
  const expected = [
    'vaultFactory',
    'delegatorFactory',
    'slasherFactory',
    'networkRegistry',
    'operatorRegistry',
    'metadataService',
    'networkMiddlewareService',
    'optInService',
    'vaultConfigurator',
    'vault',
    'vaultTokenized',
    'networkRestakeDelegator',
    'fullRestakeDelegator',
    'operatorSpecificDelegator',
    'operatorNetworkSpecificDelegator',
    'slasher',
    'vetoSlasher',
  ]
  const missing = expected.filter((n) => !out[n])
  if (missing.length) throw new Error(`SymbioticCoreBytecode.sol lacks: ${missing.join(', ')}`)
  return out
}

/** Addresses of the deployed Symbiotic core. */
export interface SymbioticCore {
  vaultFactory: Address
  delegatorFactory: Address
  slasherFactory: Address
  networkRegistry: Address
  operatorRegistry: Address
  operatorMetadataService: Address
  networkMetadataService: Address
  networkMiddlewareService: Address
  operatorVaultOptInService: Address
  operatorNetworkOptInService: Address
  vaultConfigurator: Address
  stakerRewardsFactory: Address
}

function artifact(name: string): { abi: Abi; bytecode: Hex } {
  const a = JSON.parse(readFileSync(require.resolve(`@symbioticfi/rewards/out/${name}.sol/${name}.json`), 'utf8')) as { abi: Abi; bytecode: { object: Hex } }
  return { abi: a.abi, bytecode: a.bytecode.object }
}

/** Puts our Multicall3 (local/contracts/Multicall3.sol) at the canonical address: deploys it once, copies the runtime code. */
export async function installMulticall3(c: LocalChain, deployer: Account): Promise<void> {
  const { abi, bytecode } = compileContract('Multicall3.sol', 'Multicall3')
  const address = await deploy(c, deployer, abi, bytecode)
  const code = await c.public.getCode({ address })
  if (!code) throw new Error('Multicall3 has no code')
  await c.test.setCode({ address: MULTICALL3_ADDRESS, bytecode: code })
}

/** Deploys the full core (steps 1–6 of the recipe) and the DefaultStakerRewards factory; returns the addresses. */
export async function deploySymbioticCore(c: LocalChain, deployer: Account): Promise<SymbioticCore> {
  const code = loadCoreBytecode()
  const owner = deployer.address
  const d = (abi: Abi, bytecode: Hex, args: readonly unknown[] = []) => deploy(c, deployer, abi, bytecode, args)

  // 1. factories (owner = deployer, who whitelists implementations)
  const vaultFactory = await d(abis.vaultFactoryAbi, code.vaultFactory!, [owner])
  const delegatorFactory = await d(abis.delegatorFactoryAbi, code.delegatorFactory!, [owner])
  const slasherFactory = await d(abis.slasherFactoryAbi, code.slasherFactory!, [owner])
  // 2. registries
  const networkRegistry = await d(abis.networkRegistryAbi, code.networkRegistry!)
  const operatorRegistry = await d(abis.operatorRegistryAbi, code.operatorRegistry!)
  // 3. services
  const metadataAbi = [{ type: 'constructor', inputs: [{ name: 'registry', type: 'address' }], stateMutability: 'nonpayable' }] as const
  const operatorMetadataService = await d(metadataAbi, code.metadataService!, [operatorRegistry])
  const networkMetadataService = await d(metadataAbi, code.metadataService!, [networkRegistry])
  const networkMiddlewareService = await d(abis.networkMiddlewareServiceAbi, code.networkMiddlewareService!, [networkRegistry])
  const operatorVaultOptInService = await d(abis.optInServiceAbi, code.optInService!, [operatorRegistry, vaultFactory, 'OperatorVaultOptInService'])
  const operatorNetworkOptInService = await d(abis.optInServiceAbi, code.optInService!, [operatorRegistry, networkRegistry, 'OperatorNetworkOptInService'])
  const vaultConfigurator = await d(abis.vaultConfiguratorAbi, code.vaultConfigurator!, [vaultFactory, delegatorFactory, slasherFactory])

  // 4. vault implementations → versions 1 (Vault) and 2 (VaultTokenized)
  for (const impl of [code.vault!, code.vaultTokenized!]) {
    const a = await d(abis.vaultAbi, impl, [delegatorFactory, slasherFactory, vaultFactory])
    await write(c, deployer, { address: vaultFactory, abi: abis.vaultFactoryAbi, functionName: 'whitelist', args: [a] })
  }
  // 5. delegator implementations → types 0..3
  const restakeArgs = (type: bigint) => [networkRegistry, vaultFactory, operatorVaultOptInService, operatorNetworkOptInService, delegatorFactory, type] as const
  const specificArgs = (type: bigint) => [operatorRegistry, networkRegistry, vaultFactory, operatorVaultOptInService, operatorNetworkOptInService, delegatorFactory, type] as const
  const delegatorImpls: [Abi, Hex, readonly unknown[]][] = [
    [abis.networkRestakeDelegatorAbi, code.networkRestakeDelegator!, restakeArgs(0n)],
    [abis.fullRestakeDelegatorAbi, code.fullRestakeDelegator!, restakeArgs(1n)],
    [abis.operatorSpecificDelegatorAbi, code.operatorSpecificDelegator!, specificArgs(2n)],
    [abis.operatorSpecificDelegatorAbi, code.operatorNetworkSpecificDelegator!, specificArgs(3n)],
  ]
  for (const [abi, bytecode, args] of delegatorImpls) {
    const a = await d(abi, bytecode, args)
    await write(c, deployer, { address: delegatorFactory, abi: abis.delegatorFactoryAbi, functionName: 'whitelist', args: [a] })
  }
  // 6. slasher implementations → types 0 (Slasher), 1 (VetoSlasher)
  const slasher = await d(abis.slasherAbi, code.slasher!, [vaultFactory, networkMiddlewareService, slasherFactory, 0n])
  await write(c, deployer, { address: slasherFactory, abi: abis.slasherFactoryAbi, functionName: 'whitelist', args: [slasher] })
  const vetoSlasher = await d(abis.vetoSlasherAbi, code.vetoSlasher!, [vaultFactory, networkMiddlewareService, networkRegistry, slasherFactory, 1n])
  await write(c, deployer, { address: slasherFactory, abi: abis.slasherFactoryAbi, functionName: 'whitelist', args: [vetoSlasher] })

  // Rewards: DefaultStakerRewards implementation + factory (real compiled artifacts).
  const rewardsImpl = artifact('DefaultStakerRewards')
  const stakerRewardsImpl = await d(rewardsImpl.abi, rewardsImpl.bytecode, [vaultFactory, networkMiddlewareService])
  const factory = artifact('DefaultStakerRewardsFactory')
  const stakerRewardsFactory = await d(factory.abi, factory.bytecode, [stakerRewardsImpl])

  return {
    vaultFactory,
    delegatorFactory,
    slasherFactory,
    networkRegistry,
    operatorRegistry,
    operatorMetadataService,
    networkMetadataService,
    networkMiddlewareService,
    operatorVaultOptInService,
    operatorNetworkOptInService,
    vaultConfigurator,
    stakerRewardsFactory,
  }
}

/** `bytes32("name")` as used by the recipe's CREATE2 salts (kept for reference in logs). */
export const salt = (name: string): Hex => stringToHex(name, { size: 32 })
