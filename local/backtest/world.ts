/**
 * The backtest's world: its own Anvil with the real Symbiotic core, every vault of the scenario seeded as TWO twins
 * (same collateral, deposits, delegator, slasher, operators and history): `autopilot`, steered by the bot, and
 * `baseline`, left static. Both sides face the same timeline, so every reward and slash lands on both. DynamoDB: a given endpoint
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
  /** The scenario as seeded (two twins per vault of the input). */
  scenario: Scenario
  /** The vaults the autopilot steers, one per vault of the input scenario, in its order. */
  autopilotVaults: SeededVault[]
  /** Their static twins, in the same order. */
  baselineVaults: SeededVault[]
  /** The first vault the autopilot steers (the only one in a one-vault scenario). */
  autopilot: SeededVault
  /** Its static twin. */
  baseline: SeededVault
  /** The autopilot's configuration: only the autopilot vaults are managed. */
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

/** Labels of the twins of vault `label` in a scenario of `count` vaults: `autopilot` / `baseline` for a single vault, else suffixed with its label. */
export function twinLabels(label: string, count: number): { autopilot: string; baseline: string } {
  return count === 1 ? { autopilot: 'autopilot', baseline: 'baseline' } : { autopilot: `autopilot-${label}`, baseline: `baseline-${label}` }
}

/** The scenario with every vault cloned into an `autopilot` and a `baseline` twin: first every autopilot twin, then every baseline twin, each in the input's order. */
export function twinScenario(scenario: Scenario, baseline: Baseline): Scenario {
  if (scenario.vaults.length === 0) throw new BacktestScenarioError({ scenario: scenario.name, reason: 'it has no vault' })
  if (!scenario.timeline) throw new BacktestScenarioError({ scenario: scenario.name, reason: 'it has no "timeline" section' })
  const n = scenario.vaults.length
  return {
    ...scenario,
    vaults: [
      ...scenario.vaults.map((v) => ({ ...v, label: twinLabels(v.label, n).autopilot })),
      ...scenario.vaults.map((v) => ({ ...v, label: twinLabels(v.label, n).baseline, initialAllocation: baseline === 'even' ? ('even' as const) : v.initialAllocation })),
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
    const half = seeded.vaults.length / 2
    const autopilotVaults = seeded.vaults.slice(0, half)
    const baselineVaults = seeded.vaults.slice(half)
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
      vaults: autopilotVaults.map((v) => ({ address: toAddr(v.address), stakerRewards: [toAddr(v.stakerRewards)] })),
      labels: seeded.labels,
      fromBlock: 0n,
      rewardLookbackDays: scenario.timeline!.rewardLookbackDays,
      confirmations: 1,
      tables,
      dynamoEndpoint: endpoint,
    }
    const [autopilot, base] = [autopilotVaults[0]!, baselineVaults[0]!]
    return { anvil, chain, core, seeded, scenario, autopilotVaults, baselineVaults, autopilot, baseline: base, config, curatorKey, deployer, ...(dynamo ? { dynamo } : {}), stop: stopAll }
  } catch (e) {
    await stopAll()
    throw e
  }
}
