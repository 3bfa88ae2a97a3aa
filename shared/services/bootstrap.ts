/** Builds the AutopilotContext from an environment map: config, viem reader, DynamoDB stores, policy, signer. */
import { readFileSync } from 'node:fs'
import type { LocalAccount } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { createReader } from '../chain/client.js'
import { configFromEnv, ConfigError } from '../config/config.js'
import { loadPolicyOrThrow } from '../domain/index.js'
import { createLogger } from '../logger.js'
import { createDocumentClient } from '../store/client.js'
import { IntentStore } from '../store/intents.js'
import { RunStore } from '../store/runs.js'
import type { AutopilotContext } from './context.js'

/** Chain ids on which a raw private key may sign (Anvil's); any other needs ALLOW_LOCAL_KEY=true. */
export const LOCAL_KEY_CHAIN_IDS = [31337]

/** The local-key signer, refused off Anvil unless explicitly allowed. */
export function localSigner(privateKey: string, chainId: number, allow = false): LocalAccount {
  if (!LOCAL_KEY_CHAIN_IDS.includes(chainId) && !allow) throw new ConfigError([`a local private key may only sign on Anvil (chain ${LOCAL_KEY_CHAIN_IDS.join(', ')}), not chain ${chainId}; use the KMS signer or set ALLOW_LOCAL_KEY=true`])
  if (!/^0x[0-9a-fA-F]{64}$/.test(privateKey)) throw new ConfigError(['SIGNER_PRIVATE_KEY is not a 32-byte hex key'])
  return privateKeyToAccount(privateKey as `0x${string}`)
}

/** Creates the context a handler uses, from `env` (only handlers pass process.env here). */
export function contextFromEnv(env: Record<string, string | undefined>, serviceName: string): AutopilotContext {
  const config = configFromEnv(env)
  const policyText = env.POLICY_JSON ?? (env.POLICY_PATH ? readFileSync(env.POLICY_PATH, 'utf8') : undefined)
  if (!policyText) throw new ConfigError(['set POLICY_JSON or POLICY_PATH'])
  const policy = loadPolicyOrThrow(JSON.parse(policyText))
  const doc = createDocumentClient(config.dynamoEndpoint ? { endpoint: config.dynamoEndpoint, region: env.AWS_REGION ?? 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {})
  const account = env.SIGNER_PRIVATE_KEY ? localSigner(env.SIGNER_PRIVATE_KEY, config.chainId, env.ALLOW_LOCAL_KEY === 'true') : undefined
  return {
    config,
    client: createReader({ rpcUrl: config.rpcUrl, chainId: config.chainId }),
    runs: new RunStore({ client: doc, tableName: config.tables.runs }),
    intents: new IntentStore({ client: doc, tableName: config.tables.intents }),
    policy,
    logger: createLogger(serviceName),
    clock: () => Date.now(),
    account,
  }
}
