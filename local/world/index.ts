/**
 * The local world: Anvil + real Symbiotic core + seeded scenario + our EigenLayer v1.x harness with its default
 * scenario + DynamoDB Local with our tables, started and stopped as one.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { Config } from '../../shared/config/config.js'
import { tableNames } from '../../shared/store/tables.js'
import { type AnvilNode, startAnvil } from './anvil.js'
import { connectLocal, type LocalChain } from './chain.js'
import { type DynamoLocal, LOCAL_AWS, startDynamo } from './dynamo.js'
import { DEFAULT_EIGENLAYER_SCENARIO, type SeededEigenLayer, deployEigenLayer, eigenLayerActorKey, seedEigenLayerScenario } from './eigenlayer.js'
import { loadScenario } from './scenario.js'
import { type SeededWorld, seedScenario } from './seed.js'
import { deploySymbioticCore, installMulticall3, type SymbioticCore } from './symbiotic.js'
import { createTables } from './tables.js'
import { lowerHex, toAddr } from '../../shared/address.js'

/** Anvil's first dev account: a publicly known test key, used only to deploy and own the local protocol. */
export const ANVIL_DEPLOYER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const

/** A running local world. */
export interface World {
  anvil: AnvilNode
  dynamo: DynamoLocal
  chain: LocalChain
  core: SymbioticCore
  seeded: SeededWorld
  /** The EigenLayer harness and its seeded default scenario (same LST token as the Symbiotic vault). */
  eigenlayer: SeededEigenLayer
  /** The bot's configuration for this world. */
  config: Config
  /** The curator signer's key: generated for this run, held in memory only. */
  curatorKey: Hex
  /** Keys of our EOA EigenLayer stakers (address → key), what `EIGENLAYER_STAKER_KEYS` carries locally: none when the stakers are Safes (the default). */
  eigenlayerStakerKeys: Record<string, Hex>
  stop: () => Promise<void>
}

/** Options of {@link startWorld}. */
export interface StartWorldParameters {
  scenarioPath: string
  tablePrefix?: string
  onStep?: (message: string) => void
}

/** Starts everything; on any failure stops what was started and rethrows. */
export async function startWorld({ scenarioPath, tablePrefix = 'ra-local', onStep = () => undefined }: StartWorldParameters): Promise<World> {
  const scenario = loadScenario(scenarioPath)
  const started: { stop: () => Promise<void> }[] = []
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined)
  }
  try {
    onStep('starting Anvil and DynamoDB Local')
    const [anvil, dynamo] = await Promise.all([startAnvil(), startDynamo()])
    started.push(anvil, dynamo)
    const chain = connectLocal(anvil.rpcUrl, anvil.chainId)
    const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
    onStep(`Anvil on ${anvil.rpcUrl}, DynamoDB Local on ${dynamo.endpoint}; deploying Symbiotic core`)
    await installMulticall3(chain, deployer)
    const core = await deploySymbioticCore(chain, deployer)
    onStep(`seeding scenario "${scenario.name}" (${scenario.history.days} days of history)`)
    const curatorKey = generatePrivateKey()
    const seeded = await seedScenario(chain, core, deployer, scenario, privateKeyToAccount(curatorKey))
    // EigenLayer after Symbiotic, from the same deployer (it owns the LST token, so it mints for the EigenLayer
    // scenario too): the harness predicts its addresses from the deployer's nonce, so nothing else sends meanwhile.
    onStep('deploying the EigenLayer v1.x harness and seeding its scenario')
    const elDeployment = await deployEigenLayer(chain, deployer, { token: seeded.token })
    // Our stakers are Safes with a Zodiac Roles v2 module each; the bot's one key (the curator key) is the role's member.
    const eigenlayer = await seedEigenLayerScenario(chain, elDeployment, deployer, DEFAULT_EIGENLAYER_SCENARIO, { stakerSafes: { botAddress: privateKeyToAccount(curatorKey).address } })
    const eigenlayerStakerKeys = Object.fromEntries(eigenlayer.stakers.filter((s) => !s.safe).map((s) => [s.address.toLowerCase(), eigenLayerActorKey(`staker/${s.label}`)]))
    const tables = tableNames(tablePrefix)
    const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamo.endpoint })
    await createTables(ddb, tables)
    ddb.destroy()
    const config: Config = {
      chainId: anvil.chainId,
      rpcUrl: anvil.rpcUrl,
      symbiotic: { operatorVaultOptInService: toAddr(core.operatorVaultOptInService), operatorNetworkOptInService: toAddr(core.operatorNetworkOptInService) },
      vaults: seeded.vaults.map((v) => ({ address: toAddr(v.address), stakerRewards: [toAddr(v.stakerRewards)] })),
      labels: { ...eigenlayer.labels, ...seeded.labels },
      fromBlock: 0n,
      rewardLookbackDays: 90,
      confirmations: 1,
      tables,
      dynamoEndpoint: dynamo.endpoint,
      eigenlayer: {
        delegationManager: toAddr(elDeployment.delegationManager),
        strategyManager: toAddr(elDeployment.strategyManager),
        allocationManager: toAddr(elDeployment.allocationManager),
        rewardsCoordinator: toAddr(elDeployment.rewardsCoordinator),
        fromBlock: Number(elDeployment.deployBlock),
        positions: [
          {
            id: `eigenlayer:${toAddr(elDeployment.strategy)}`,
            strategy: toAddr(elDeployment.strategy),
            stakers: eigenlayer.stakers.map((s) => ({ address: toAddr(s.address), ...(s.safe ? { roles: { rolesModifier: toAddr(s.safe.rolesModifier), roleKey: lowerHex(s.safe.roleKey) } } : {}) })),
          },
        ],
      },
    }
    return { anvil, dynamo, chain, core, seeded, eigenlayer, config, curatorKey, eigenlayerStakerKeys, stop: stopAll }
  } catch (e) {
    await stopAll()
    throw e
  }
}
