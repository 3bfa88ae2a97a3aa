/**
 * Builds the AutopilotContext from an environment map: config, viem reader, DynamoDB stores, policy, pause
 * flag, notifier — and the signer the caller passes (see ./signer.ts: only functions that send load one).
 * In AWS the RPC URL and the webhook secret come from Secrets Manager (`RPC_URL_SECRET_ARN`,
 * `WEBHOOK_SECRET_ARN`), resolved once per cold start; locally from `RPC_URL` / `AUTOPILOT_CONFIG.rpcUrl` and
 * `WEBHOOK_SECRET`. The policy (and, in AWS, the protocol config) a run uses comes from the policy store through
 * ./runtime.ts, which passes it here as `settings`; POLICY_JSON / POLICY_PATH stand in for it locally.
 */
import { readFileSync } from 'node:fs'
import type { Logger } from '@aws-lambda-powertools/logger'
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import type { LocalAccount } from 'viem'
import { labeler } from '../label.js'
import { configFromEnv, ConfigError } from '../config/config.js'
import { loadPolicyOrThrow, type Policy } from '../domain/index.js'
import { createLogger } from '../logger.js'
import { createDocumentClient } from '../store/client.js'
import type { RunSettings } from '../store/policies.js'
import { composeContext } from './compose.js'
import type { AutopilotContext } from './context.js'
import { createNotifier, formatNotification, notifyOnRunFinished } from './notify.js'

/** What is resolved from Secrets Manager at cold start (empty outside AWS). */
export interface AwsSecrets {
  rpcUrl?: string
  webhookSecret?: string
}

/** The part of a Secrets Manager client used here (the real client, or a test double answering `send`). */
export interface SecretsReader {
  send(command: GetSecretValueCommand): Promise<{ SecretString?: string }>
}

/** Reads the secrets named by RPC_URL_SECRET_ARN / WEBHOOK_SECRET_ARN; `{}` when neither is set (local). */
export async function readAwsSecrets(env: Record<string, string | undefined>, client?: SecretsReader): Promise<AwsSecrets> {
  const rpcArn = env.RPC_URL_SECRET_ARN
  const hookArn = env.WEBHOOK_SECRET_ARN
  if (!rpcArn && !hookArn) return {}
  const sdk = await import('@aws-sdk/client-secrets-manager')
  const sm: SecretsReader = client ?? new sdk.SecretsManagerClient({})
  const read = async (arn: string, what: string, field: string): Promise<string> => {
    let text: string | undefined
    try {
      text = (await sm.send(new sdk.GetSecretValueCommand({ SecretId: arn }))).SecretString
    } catch (e) {
      throw new ConfigError([`cannot read the ${what} secret ${arn}: ${(e as Error).name}`])
    }
    if (!text) throw new ConfigError([`the ${what} secret ${arn} has no string value`])
    // Plain string, or JSON `{ "<field>": "..." }` (the shape `generateSecretString` produces).
    if (text.trimStart().startsWith('{')) {
      const value = (JSON.parse(text) as Record<string, unknown>)[field]
      if (typeof value !== 'string' || !value) throw new ConfigError([`the ${what} secret ${arn} is JSON without a "${field}" string`])
      return value
    }
    const value = text.trim()
    if (field === 'url' && /^https?:\/\/[^/]*\.invalid(?:[:/]|$)/.test(value)) throw new ConfigError([`the RPC URL secret ${arn} still holds the placeholder: put the real URL (aws secretsmanager put-secret-value)`])
    return value
  }
  const [rpcUrl, webhookSecret] = await Promise.all([rpcArn ? read(rpcArn, 'RPC URL', 'url') : undefined, hookArn ? read(hookArn, 'webhook', 'secret') : undefined])
  return { ...(rpcUrl ? { rpcUrl } : {}), ...(webhookSecret ? { webhookSecret } : {}) }
}

/**
 * Secrets resolved once per cold start. ESM top-level await: a handler importing this module starts only
 * after they are read, so the synchronous {@link contextFromEnv} can use them. Outside AWS (no *_SECRET_ARN)
 * this is `{}` and nothing is loaded.
 */
export const coldStartSecrets: AwsSecrets = await readAwsSecrets(globalThis.process?.env ?? {})

/** The webhook's HMAC secret: WEBHOOK_SECRET locally, the Secrets Manager value in AWS; ConfigError when neither. */
export function webhookSecretFromEnv(env: Record<string, string | undefined>, secrets: AwsSecrets = coldStartSecrets): string {
  const secret = env.WEBHOOK_SECRET ?? secrets.webhookSecret
  if (!secret || secret.length < 16) throw new ConfigError(['set WEBHOOK_SECRET (≥ 16 characters) or WEBHOOK_SECRET_ARN'])
  return secret
}

/** What {@link contextFromEnv} takes besides the environment. */
export interface ContextOptions {
  /** Secrets Manager values (default: the ones read at cold start). */
  secrets?: AwsSecrets
  /** The signer, for functions that send (./signer.ts); without one, runs plan and record but cannot send. */
  account?: LocalAccount
  /** The run's policy and protocol config from a PolicySource (./runtime.ts); default: POLICY_JSON / POLICY_PATH and AUTOPILOT_CONFIG. */
  settings?: RunSettings
  /** Reuse this logger and DynamoDB client (a handler rebuilding its context when the policy changes). */
  logger?: Logger
  dynamo?: DynamoDBDocumentClient
}

/** The DynamoDB document client for `endpoint` (DynamoDB Local with fixed dummy credentials) or AWS (none). */
export function documentClientFor(endpoint: string | undefined, env: Record<string, string | undefined>): DynamoDBDocumentClient {
  return createDocumentClient(endpoint ? { endpoint, region: env.AWS_REGION ?? 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {})
}

/** Creates the context a handler uses, from `env` (only handlers pass process.env here). */
export function contextFromEnv(env: Record<string, string | undefined>, serviceName: string, options: ContextOptions = {}): AutopilotContext {
  const secrets = options.secrets ?? coldStartSecrets
  const { settings } = options
  const config = configFromEnv(secrets.rpcUrl && !env.RPC_URL ? { ...env, RPC_URL: secrets.rpcUrl } : env, settings?.protocol)
  const policy = settings?.policy ?? policyFromEnv(env)
  const doc = options.dynamo ?? documentClientFor(config.dynamoEndpoint, env)
  const logger = options.logger ?? createLogger(serviceName)
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME)
  const notify = createNotifier({
    webhookUrls: policy.notifications.webhookUrls,
    targets: policy.notifications.targets,
    snsTopicArn: env.NOTIFY_TOPIC_ARN ?? policy.notifications.snsTopicArn,
    console: policy.notifications.console ? (inLambda ? (n) => logger.info('notification', { notification: n }) : (n) => console.log(formatNotification(n))) : undefined,
    logger,
  })
  const stamp = settings ? { policyHash: settings.policyHash, policyVersion: settings.policyVersion, configVersion: settings.configVersion } : undefined
  return composeContext({
    config,
    policy,
    dynamo: doc,
    logger,
    ...(options.account ? { account: options.account } : {}),
    notify,
    runListeners: [notifyOnRunFinished({ notify, logger, label: labeler(config.labels) })],
    ...(stamp ? { stamp } : {}),
  })
}

/** The policy document in POLICY_JSON / POLICY_PATH (parsed JSON, not yet validated), or undefined when neither is set. */
export function policyDocumentFromEnv(env: Record<string, string | undefined>): unknown {
  const text = env.POLICY_JSON ?? (env.POLICY_PATH ? readFileSync(env.POLICY_PATH, 'utf8') : undefined)
  return text === undefined ? undefined : (JSON.parse(text) as unknown)
}

function policyFromEnv(env: Record<string, string | undefined>): Policy {
  const doc = policyDocumentFromEnv(env)
  if (doc === undefined) throw new ConfigError(['set POLICY_JSON or POLICY_PATH, or push a policy to the policy store (autopilot policy push)'])
  return loadPolicyOrThrow(doc)
}
