/**
 * The autopilot stack, wired from small constructs: tables (shared definitions), four BotFunctions (five with
 * EigenLayer positions) with least-privilege grants, EventBridge Scheduler schedules (score, rebalance, watch; eigenlayer
 * and its watcher tick), the webhook's HTTP API and jobs topic (its de-risk jobs also reach the eigenlayer function),
 * the KMS signing key, Secrets Manager secrets (RPC URL, webhook secret), SQS dead-letter queues, the notifications topic and the alarms. Parameters: see infra/params.ts and docs/deploy.md.
 *
 * The policy and the protocol config are not in the functions' environment: they live in the `policies` table
 * (shared/store/policies.ts), pushed by the curator with `autopilot policy push` / `autopilot config push` and read
 * by every run, so a change needs no deploy and meets no 4 KB environment limit. AUTOPILOT_CONFIG carries only the
 * chain id and the physical table names.
 */
import { PROTOCOLS, protocolFunctions } from '../shared/protocols/registry.js'
import { CfnOutput, Duration, RemovalPolicy, SecretValue, Stack, type StackProps, Validations } from 'aws-cdk-lib'
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb'
import { RetentionDays } from 'aws-cdk-lib/aws-logs'
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager'
import { Topic } from 'aws-cdk-lib/aws-sns'
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions'
import type { Construct } from 'constructs'
import { type TableName, tableOutputKey } from '../shared/store/tables.js'
import type { FunctionName } from './bundling.js'
import type { AutopilotParameters } from './params.js'
import { BotAlarms } from './constructs/alarms.js'
import { BotFunction, type TableAction } from './constructs/botFunction.js'
import { BotSchedule } from './constructs/schedules.js'
import { SignerKey } from './constructs/signer.js'
import { AutopilotTables } from './constructs/tables.js'
import { WebhookApi } from './constructs/webhookApi.js'

/** Initial value of the RPC URL secret the stack creates (`.invalid` never resolves; bootstrap refuses it). */
export const RPC_URL_PLACEHOLDER = 'https://rpc-url-not-set.invalid'

/** Stack properties: the validated parameters. */
export interface AutopilotStackProps extends StackProps {
  params: AutopilotParameters
}

/** What each function may do on each table: item actions and the indexes it queries. */
export const TABLE_GRANTS: Record<FunctionName, Partial<Record<TableName, { actions: TableAction[]; indexes?: string[] }>>> = (() => {
  // A run that sends: run records (latest succeeded via byKind), intents (open intents via byStatus), the
  // nonce lock and the pause flag (locks).
  const sending: Partial<Record<TableName, { actions: TableAction[]; indexes?: string[] }>> = {
    runs: { actions: ['PutItem', 'UpdateItem', 'GetItem'], indexes: ['byKind'] },
    intents: { actions: ['PutItem', 'GetItem', 'UpdateItem'], indexes: ['byStatus'] },
    locks: { actions: ['GetItem', 'UpdateItem'] },
  }
  // Every run reads the current policy / config version (CURRENT, then that version): GetItem only. Writes are the
  // curator's, with their own credentials (docs/deploy.md), never a function's.
  const policies = { policies: { actions: ['GetItem'] as TableAction[] } }
  // Every function that reads the chain syncs its logs first (docs/sync.md): lease and cursor, lease-fenced log
  // writes (transactions with a condition check), and a Query of the source's partition.
  const chainLogs = { chainLogs: { actions: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'Query'] as TableAction[] } }
  return {
    score: { runs: { actions: ['PutItem', 'UpdateItem'] }, ...policies, ...chainLogs },
    // Rebalance also runs the webhook's jobs: it moves their events accepted → running → done/failed.
    rebalance: { ...sending, ...policies, ...chainLogs, events: { actions: ['GetItem', 'UpdateItem'] } },
    // The webhook claims event ids and flips the pause flag; it sends nothing (its jobs run in rebalance).
    webhook: { events: { actions: ['PutItem', 'GetItem', 'UpdateItem'] }, locks: { actions: ['GetItem', 'UpdateItem'] }, ...policies },
    watch: { ...sending, ...policies, ...chainLogs, events: { actions: ['PutItem', 'GetItem', 'UpdateItem'] }, cursors: { actions: ['GetItem', 'PutItem'] } },
    // Each registered protocol's own functions (shared/protocols/registry.ts).
    ...Object.fromEntries(PROTOCOLS.flatMap((p) => p.functions.map((f) => [f.name, f.tables]))),
  } as Record<FunctionName, Partial<Record<TableName, { actions: TableAction[]; indexes?: string[] }>>>
})()

/** The functions every deployment has; protocols add theirs through the registry. */
type SharedFunctionName = 'score' | 'rebalance' | 'webhook' | 'watch'

/** One stack for the whole autopilot. */
export class AutopilotStack extends Stack {
  readonly tables: Record<TableName, ITableV2>
  /** The shared functions (score, rebalance, webhook, watch) and those of each configured protocol (by name). */
  readonly functions: Record<SharedFunctionName, BotFunction> & Partial<Record<string, BotFunction>>
  readonly webhook: WebhookApi
  readonly signer: SignerKey
  readonly notifications: Topic
  readonly rpcUrlSecret: ISecret
  readonly webhookSecret: Secret

  constructor(scope: Construct, id: string, props: AutopilotStackProps) {
    super(scope, id, props)
    const { context, protocol } = props.params
    const logRetention = retention(context.logRetentionDays)

    this.tables = new AutopilotTables(this, 'Tables').byName
    this.signer = new SignerKey(this, 'Signer')
    this.notifications = new Topic(this, 'Notifications', { displayName: 'restake-autopilot notifications and alarms', enforceSSL: true })
    if (context.notifyEmail) this.notifications.addSubscription(new EmailSubscription(context.notifyEmail))

    this.rpcUrlSecret = context.rpcSecretName
      ? Secret.fromSecretNameV2(this, 'RpcUrl', context.rpcSecretName)
      : new Secret(this, 'RpcUrl', {
          description: 'restake-autopilot JSON-RPC URL (often carries a provider API key). Set it after deploy: aws secretsmanager put-secret-value --secret-id <arn> --secret-string https://…',
          // A placeholder, not a secret: the functions refuse it (ConfigError) until the real URL is put.
          secretStringValue: SecretValue.unsafePlainText(RPC_URL_PLACEHOLDER),
          removalPolicy: RemovalPolicy.RETAIN,
        })
    this.webhookSecret = new Secret(this, 'WebhookSecret', {
      description: 'restake-autopilot webhook HMAC-SHA256 secret ({"secret": "…"}); share it with the systems that call the webhook',
      generateSecretString: { secretStringTemplate: '{}', generateStringKey: 'secret', passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    })
    for (const s of [this.rpcUrlSecret, this.webhookSecret])
      if (s instanceof Secret)
        Validations.of(s).acknowledge({
          id: 'AwsSolutions-SMG4',
          reason:
            'No rotation Lambda can rotate these: the RPC URL is issued by an external node provider and the webhook secret is shared with external senders, so both rotate by a coordinated manual put-secret-value (docs/deploy.md); functions pick the new value up on their next cold start.',
        })

    const tableNames = Object.fromEntries(Object.entries(this.tables).map(([k, t]) => [k, t.tableName]))
    // Only what the deployment fixes: the protocol config and the policy are read from the policies table every run.
    const autopilotConfig = this.toJsonString({ chainId: context.chainId, tables: tableNames })
    const common = { AUTOPILOT_CONFIG: autopilotConfig, RPC_URL_SECRET_ARN: this.rpcUrlSecret.secretArn, NOTIFY_TOPIC_ARN: this.notifications.topicArn }
    const signing = { SIGNER_KMS_KEY_ID: this.signer.key.keyArn }
    const reserved = context.reserveConcurrency ? 1 : undefined
    this.functions = {
      score: new BotFunction(this, 'Score', { name: 'score', environment: common, timeout: Duration.minutes(2), memorySize: 512, logRetention }),
      rebalance: new BotFunction(this, 'Rebalance', { name: 'rebalance', environment: { ...common, ...signing }, timeout: Duration.minutes(10), memorySize: 1024, logRetention, reservedConcurrentExecutions: reserved }),
      // Answers within API Gateway's 30 s: verify, claim, pause/resume or queue a job; no signer.
      webhook: new BotFunction(this, 'Webhook', { name: 'webhook', environment: { ...common, WEBHOOK_SECRET_ARN: this.webhookSecret.secretArn }, timeout: Duration.seconds(29), memorySize: 512, logRetention }),
      watch: new BotFunction(this, 'Watch', {
        name: 'watch',
        environment: { ...common, ...signing, STUCK_INTENT_MINUTES: String(context.stuckIntentMinutes), ...(context.watchConfirmations !== undefined ? { WATCH_CONFIRMATIONS: String(context.watchConfirmations) } : {}) },
        timeout: Duration.minutes(10),
        memorySize: 1024,
        logRetention,
        reservedConcurrentExecutions: reserved,
      }),
    }
    // The protocols' own functions, from the registry, for the protocols the config manages.
    const own = protocolFunctions(protocol)
    for (const f of own) {
      const fn = new BotFunction(this, f.constructId, {
        name: f.name as FunctionName,
        environment: { ...common, ...(f.signs ? signing : {}), ...(f.watch && context.watchConfirmations !== undefined ? { WATCH_CONFIRMATIONS: String(context.watchConfirmations) } : {}) },
        timeout: Duration.minutes(f.timeoutMinutes),
        memorySize: 1024,
        logRetention,
        reservedConcurrentExecutions: reserved,
      })
      ;(this.functions as Record<string, BotFunction>)[f.name] = fn
      if (f.signs) this.signer.grantSign(fn)
    }

    // Least privilege: each function gets exactly its table actions, the key, the secrets and topics it uses.
    for (const [name, fn] of Object.entries(this.functions) as [FunctionName, BotFunction][]) {
      if (!fn) continue
      for (const [table, grant] of Object.entries(TABLE_GRANTS[name]) as [TableName, { actions: TableAction[]; indexes?: string[] }][]) fn.bindTable(this.tables[table], grant.actions, grant.indexes)
      this.rpcUrlSecret.grantRead(fn)
      this.notifications.grantPublish(fn)
    }
    for (const fn of [this.functions.rebalance, this.functions.watch]) this.signer.grantSign(fn)
    this.webhookSecret.grantRead(this.functions.webhook)

    this.webhook = new WebhookApi(this, 'WebhookHttp', { fn: this.functions.webhook, worker: this.functions.rebalance, logRetention })
    new BotSchedule(this, 'ScoreSchedule', { fn: this.functions.score, name: 'score', expression: context.scoreSchedule })
    new BotSchedule(this, 'RebalanceSchedule', { fn: this.functions.rebalance, name: 'rebalance', expression: context.rebalanceSchedule, maxEventAge: Duration.hours(1) })
    new BotSchedule(this, 'WatchSchedule', { fn: this.functions.watch, name: 'watch', expression: context.watchSchedule, maxEventAge: Duration.minutes(5) })
    const expression = (parameter: string) => (context as unknown as Record<string, string>)[parameter]!
    for (const f of own) {
      const fn = this.functions[f.name]!
      new BotSchedule(this, `${f.constructId}Schedule`, { fn, name: f.name, expression: expression(f.scheduleParameter), maxEventAge: Duration.hours(1) })
      // The protocol's own watcher tick (its slash triggers), as fresh as the watch function's.
      if (f.watch) new BotSchedule(this, `${f.constructId}WatchSchedule`, { fn, name: `${f.name}-watch`, expression: expression(f.watch.scheduleParameter), maxEventAge: Duration.minutes(5), input: { task: 'watch' } })
      if (f.deriskJobs) this.webhook.addDeriskWorker(fn)
    }
    new BotAlarms(this, 'Alarms', { functions: Object.values(this.functions).filter((f): f is BotFunction => f !== undefined), watch: this.functions.watch, topic: this.notifications })

    new CfnOutput(this, 'WebhookUrl', { value: this.webhook.url, description: 'POST signed requests here' })
    new CfnOutput(this, 'WebhookSecretArn', { value: this.webhookSecret.secretArn, description: 'HMAC secret: aws secretsmanager get-secret-value --secret-id <arn>' })
    new CfnOutput(this, 'RpcUrlSecretArn', { value: this.rpcUrlSecret.secretArn, description: 'Put the JSON-RPC URL here after the first deploy' })
    new CfnOutput(this, 'SignerKeyArn', { value: this.signer.key.keyArn, description: 'Curator signer key; its address is derived from GetPublicKey (docs/deploy.md, step 4)' })
    new CfnOutput(this, 'NotificationsTopicArn', { value: this.notifications.topicArn })
    new CfnOutput(this, 'PolicyTableName', { value: this.tables.policies.tableName, description: 'Push the policy and protocol config here: autopilot policy push FILE --table <name> (docs/deploy.md)' })
    // `autopilot console --stack NAME` finds the tables and the jobs topic here (local/cli/console.ts).
    new CfnOutput(this, 'JobsTopicArn', { value: this.webhook.jobs.topicArn, description: 'De-risk and rebalance orders from the webhook and the console' })
    for (const [name, table] of Object.entries(this.tables) as [TableName, ITableV2][]) new CfnOutput(this, tableOutputKey(name), { value: table.tableName })
  }
}

function retention(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays)
    .filter((v): v is RetentionDays => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b)
  return allowed.find((d) => d >= days) ?? RetentionDays.TEN_YEARS
}
