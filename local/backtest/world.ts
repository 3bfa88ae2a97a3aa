/**
 * The backtest's world: its own Anvil with the real Symbiotic core, the scenario seeded with TWO twin vaults
 * (same collateral, deposits, operators and history): `autopilot`, steered by the bot, and `baseline`, left
 * static. Both face the same timeline, so every reward and slash lands on both. DynamoDB: a given endpoint
 * (fresh tables) or a DynamoDB Local started here.
 */
import { randomUUID } from 'node:crypto'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import type { Account, Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import type { Config } from '../../shared/config/config.js'
import { toAddr } from '../../shared/address.js'
import { tableNames } from '../../shared/store/tables.js'
import { type AnvilNode, startAnvil } from '../world/anvil.js'
import { connectLocal, type LocalChain } from '../world/chain.js'
import { type DynamoLocal, LOCAL_AWS, startDynamo } from '../world/dynamo.js'
import { ANVIL_DEPLOYER_KEY } from '../world/index.js'
import type { Scenario } from '../world/scenario.js'
import { type SeededVault, type SeededWorld, seedScenario } from '../world/seed.js'
import { deploySymbioticCore, installMulticall3, type SymbioticCore } from '../world/symbiotic.js'
import { createTables } from '../world/tables.js'
import { BacktestScenarioError } from './errors.js'

/** What the static side holds: an even split over every eligible operator, or the scenario's starting allocation. */
export type Baseline = 'even' | 'hold'

/** A running backtest world. */
export interface BacktestWorld {
  anvil: AnvilNode
  chain: LocalChain
  core: SymbioticCore
  seeded: SeededWorld
  /** The scenario as seeded (two vaults). */
  scenario: Scenario
  /** The vault the autopilot steers. */
  autopilot: SeededVault
  /** The static twin. */
  baseline: SeededVault
  /** The autopilot's configuration: only the autopilot vault is managed. */
  config: Config
  /** The curator key (holds the curator roles on both delegators; only the autopilot vault is ever steered). */
  curatorKey: Hex
  deployer: Account
  /** DynamoDB Local started for this backtest (absent when an endpoint was given). */
  dynamo?: DynamoLocal
  stop: () => Promise<void>
}

/** Options of {@link startBacktestWorld}. */
export interface StartBacktestWorldParameters {
  scenario: Scenario
  baseline: Baseline
  /** Use this DynamoDB (fresh tables with a unique prefix) instead of starting DynamoDB Local. */
  dynamoEndpoint?: string
  onStep?: (message: string) => void
}

/** The scenario with its first vault cloned into the `autopilot` and `baseline` twins. */
export function twinScenario(scenario: Scenario, baseline: Baseline): Scenario {
  const template = scenario.vaults[0]
  if (!template) throw new BacktestScenarioError({ scenario: scenario.name, reason: 'it has no vault' })
  if (!scenario.timeline) throw new BacktestScenarioError({ scenario: scenario.name, reason: 'it has no "timeline" section' })
  return {
    ...scenario,
    vaults: [
      { ...template, label: 'autopilot' },
      { ...template, label: 'baseline', initialAllocation: baseline === 'even' ? 'even' : template.initialAllocation },
    ],
  }
}

/** Starts Anvil (+ DynamoDB Local unless an endpoint is given), deploys the core, seeds the twin vaults; stops what it started on failure. */
export async function startBacktestWorld({ scenario: input, baseline, dynamoEndpoint, onStep = () => undefined }: StartBacktestWorldParameters): Promise<BacktestWorld> {
  const scenario = twinScenario(input, baseline)
  const started: { stop: () => Promise<void> }[] = []
  const stopAll = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined)
  }
  try {
    onStep(dynamoEndpoint ? 'starting Anvil' : 'starting Anvil and DynamoDB Local')
    const [anvil, dynamo] = await Promise.all([startAnvil(), dynamoEndpoint ? Promise.resolve(undefined) : startDynamo()])
    started.push(anvil)
    if (dynamo) started.push(dynamo)
    const endpoint = dynamoEndpoint ?? dynamo!.endpoint
    const chain = connectLocal(anvil.rpcUrl, anvil.chainId)
    const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
    onStep(`Anvil on ${anvil.rpcUrl}; deploying the Symbiotic core`)
    await installMulticall3(chain, deployer)
    const core = await deploySymbioticCore(chain, deployer)
    onStep(`seeding "${scenario.name}": twin vaults, ${scenario.history.days} days of history`)
    const curatorKey = generatePrivateKey()
    const seeded = await seedScenario(chain, core, deployer, scenario, privateKeyToAccount(curatorKey))
    const [autopilot, base] = seeded.vaults as [SeededVault, SeededVault]
    const tables = tableNames(`ra-bt-${randomUUID().slice(0, 8)}`)
    const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint })
    try {
      await createTables(ddb, tables)
    } finally {
      ddb.destroy()
    }
    const config: Config = {
      chainId: anvil.chainId,
      rpcUrl: anvil.rpcUrl,
      symbiotic: { operatorVaultOptInService: toAddr(core.operatorVaultOptInService), operatorNetworkOptInService: toAddr(core.operatorNetworkOptInService) },
      vaults: [{ address: toAddr(autopilot.address), stakerRewards: [toAddr(autopilot.stakerRewards)] }],
      labels: seeded.labels,
      fromBlock: 0n,
      rewardLookbackDays: scenario.timeline!.rewardLookbackDays,
      confirmations: 1,
      tables,
      dynamoEndpoint: endpoint,
    }
    return { anvil, chain, core, seeded, scenario, autopilot, baseline: base, config, curatorKey, deployer, ...(dynamo ? { dynamo } : {}), stop: stopAll }
  } catch (e) {
    await stopAll()
    throw e
  }
}
