/** Builds an AutopilotContext on the shared local world for integration tests (fresh tables, the curator's key). */
import { readFileSync } from 'node:fs'
import { privateKeyToAccount } from 'viem/accounts'
import type { Config } from '../../shared/config/config.js'
import { type Policy, loadPolicyOrThrow } from '../../shared/domain/index.js'
import { createLogger } from '../../shared/logger.js'
import { type EigenLayerRebalanceContext, stakerSigning } from '../../shared/protocols/eigenlayer/rebalance.js'
import type { AutopilotContext } from '../../shared/services/context.js'
import { composeContext } from '../../shared/services/compose.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { SagaStore } from '../../shared/store/sagas.js'
import { type BacktestResult, runBacktest } from '../../local/backtest/engine.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { loadScenario } from '../../local/world/scenario.js'
import type { WorldHandle } from '../setup/worldHandle.js'

/** The local world's default policy, optionally changed. */
export function defaultPolicy(patch: Record<string, unknown> = {}): Policy {
  return loadPolicyOrThrow({ ...JSON.parse(readFileSync('local/scenarios/default.policy.json', 'utf8')), ...patch })
}

/** A context wired to the real Anvil and DynamoDB Local of the shared world. */
export function testContext(w: WorldHandle, config: Config, policy: Policy = defaultPolicy()): AutopilotContext {
  const doc = createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint })
  const logger = createLogger('test')
  logger.setLogLevel('SILENT')
  return composeContext({ config, policy, dynamo: doc, logger, account: privateKeyToAccount(w.curatorKey) })
}

/** The EigenLayer rebalance context on the shared world: the sagas table; the world's stakers are Safes the bot's key (the curator key) moves through Roles. */
export function eigenLayerTestContext(w: WorldHandle, config: Config, policy: Policy = defaultPolicy()): EigenLayerRebalanceContext {
  const base = testContext(w, config, policy)
  const bot = privateKeyToAccount(w.curatorKey)
  return { ...base, sagas: new SagaStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.sagas }), ...stakerSigning(config, bot, {}) }
}

/**
 * Backtests local/scenarios/NAME.json under NAME.policy.json against the held starting allocation, on its own Anvil and
 * the shared world's DynamoDB; the world is kept so that the test can re-read the chain (stop it with `result.world.stop()`).
 */
export function backtestScenario(w: WorldHandle, name: string): Promise<BacktestResult> {
  return runBacktest({
    scenario: loadScenario(`local/scenarios/${name}.json`),
    policy: loadPolicyOrThrow(JSON.parse(readFileSync(`local/scenarios/${name}.policy.json`, 'utf8'))),
    policyName: `${name}.policy.json`,
    baseline: 'hold',
    dynamoEndpoint: w.config.dynamoEndpoint,
    keepWorld: true,
  })
}
