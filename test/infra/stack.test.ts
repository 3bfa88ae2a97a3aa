/** The stack's resources and permissions, asserted on the synthesized template (bundling skipped). */
import { Match } from 'aws-cdk-lib/assertions'
import { beforeAll, describe, expect, it } from 'vitest'
import { TABLES } from '../../shared/store/tables.js'
import { synth } from './synth.js'
import type { Template } from 'aws-cdk-lib/assertions'

let template: Template
let stackRef: ReturnType<typeof synth>['stack']
beforeAll(() => {
  const s = synth()
  template = s.template
  stackRef = s.stack
})

type Resource = { Type: string; Properties: Record<string, any> }
const resources = (type: string) => Object.entries(template.findResources(type)) as [string, Resource][]
const logicalId = (construct: { node: { defaultChild?: unknown } }) => stackRef.getLogicalId((construct.node.defaultChild ?? construct) as never)
const fnId = (name: 'score' | 'rebalance' | 'webhook' | 'watch') => stackRef.getLogicalId(stackRef.functions[name].node.defaultChild as never)
const roleStatements = (name: 'score' | 'rebalance' | 'webhook' | 'watch') => {
  const roleId = stackRef.getLogicalId(stackRef.functions[name].botRole.node.defaultChild as never)
  return resources('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Effect: string }[])
}
const actionsOf = (stmts: { Action: string | string[] }[]) => stmts.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort()
const refersTo = (resource: unknown, id: string) => JSON.stringify(resource).includes(`"${id}"`)

describe('DynamoDB', () => {
  it('one table per shared definition, keys and indexes from shared/store/tables.ts, PITR on, retained', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', TABLES.length)
    for (const t of TABLES) {
      template.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          KeySchema: [{ AttributeName: t.partitionKey.name, KeyType: 'HASH' }, ...(t.sortKey ? [{ AttributeName: t.sortKey.name, KeyType: 'RANGE' }] : [])],
          BillingMode: 'PAY_PER_REQUEST',
          Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
          ...(t.indexes
            ? {
                GlobalSecondaryIndexes: t.indexes.map((i) =>
                  Match.objectLike({ IndexName: i.name, KeySchema: [{ AttributeName: i.partitionKey.name, KeyType: 'HASH' }, ...(i.sortKey ? [{ AttributeName: i.sortKey.name, KeyType: 'RANGE' }] : [])] }),
                ),
              }
            : {}),
          ...(t.ttlAttribute ? { TimeToLiveSpecification: { AttributeName: t.ttlAttribute, Enabled: true } } : {}),
        }),
      })
    }
  })

  it('TTL exactly where items expire (the events table: webhook ids and watcher events)', () => {
    const withTtl = resources('AWS::DynamoDB::GlobalTable').filter(([, r]) => r.Properties.TimeToLiveSpecification)
    expect(withTtl.map(([, r]) => r.Properties.TimeToLiveSpecification)).toEqual([{ AttributeName: 'expiresAt', Enabled: true }])
    expect(TABLES.filter((t) => t.ttlAttribute).map((t) => t.name)).toEqual(['events'])
  })
})

describe('Lambda functions', () => {
  it('four functions: Node 22 on arm64, ESM bundle handler, source maps, explicit log group, DLQ, no retries', () => {
    template.resourceCountIs('AWS::Lambda::Function', 4)
    for (const name of ['score', 'rebalance', 'webhook', 'watch'] as const) {
      const fn = template.findResources('AWS::Lambda::Function')[fnId(name)] as Resource
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' })
      expect(fn.Properties.Environment.Variables).toMatchObject({ NODE_OPTIONS: '--enable-source-maps', LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: name })
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: logicalId(stackRef.functions[name].logs) })
      expect(fn.Properties.DeadLetterConfig.TargetArn).toEqual({ 'Fn::GetAtt': [logicalId(stackRef.functions[name].deadLetters), 'Arn'] })
    }
    template.resourcePropertiesCountIs('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 }, 4)
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 5)
  })

  it('environment variable names per function (tables, secrets by ARN, signer only where it sends, the jobs topic on both ends; no policy)', () => {
    const env = (name: 'score' | 'rebalance' | 'webhook' | 'watch') => Object.keys((template.findResources('AWS::Lambda::Function')[fnId(name)] as Resource).Properties.Environment.Variables).sort()
    const common = ['AUTOPILOT_CONFIG', 'LOG_LEVEL', 'NODE_OPTIONS', 'NOTIFY_TOPIC_ARN', 'POWERTOOLS_SERVICE_NAME', 'RPC_URL_SECRET_ARN']
    expect(env('score')).toEqual(common)
    expect(env('rebalance')).toEqual([...common, 'SIGNER_KMS_KEY_ID', 'JOBS_TOPIC_ARN'].sort())
    expect(env('webhook')).toEqual([...common, 'WEBHOOK_SECRET_ARN', 'JOBS_TOPIC_ARN'].sort())
    expect(env('watch')).toEqual([...common, 'SIGNER_KMS_KEY_ID', 'STUCK_INTENT_MINUTES'].sort())
    for (const name of ['score', 'rebalance', 'webhook', 'watch'] as const) expect(env(name).some((k) => /PRIVATE_KEY|RPC_URL$|WEBHOOK_SECRET$/.test(k))).toBe(false)
  })

  it('AUTOPILOT_CONFIG carries only the chain and the physical table names: no protocol config, no policy, never an RPC URL', () => {
    const raw = (template.findResources('AWS::Lambda::Function')[fnId('rebalance')] as Resource).Properties.Environment.Variables.AUTOPILOT_CONFIG
    const text = JSON.stringify(raw)
    expect(text).toContain('\\"chainId\\":1')
    for (const absent of ['operatorVaultOptInService', 'vaults', 'rpcUrl', 'caps']) expect(text).not.toContain(absent)
    for (const t of TABLES) expect(text).toContain(logicalId(stackRef.tables[t.name] as never))
  })

  it('rebalance and watch never run twice at once (reserved concurrency 1); the webhook stays responsive', () => {
    const fns = template.findResources('AWS::Lambda::Function')
    expect((fns[fnId('rebalance')] as Resource).Properties.ReservedConcurrentExecutions).toBe(1)
    expect((fns[fnId('watch')] as Resource).Properties.ReservedConcurrentExecutions).toBe(1)
    expect((fns[fnId('webhook')] as Resource).Properties.ReservedConcurrentExecutions).toBeUndefined()
    const off = synth({ reserveConcurrency: false }).template.findResources('AWS::Lambda::Function')
    expect(Object.values(off).every((f) => (f as Resource).Properties.ReservedConcurrentExecutions === undefined)).toBe(true)
  })
})

describe('least-privilege IAM', () => {
  it('no wildcard action and no wildcard resource in any policy; no managed policies', () => {
    for (const [, p] of resources('AWS::IAM::Policy'))
      for (const s of p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]) {
        for (const a of Array.isArray(s.Action) ? s.Action : [s.Action]) expect(a).not.toContain('*')
        expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"|:\*"|\/\*"/)
      }
    for (const [, r] of resources('AWS::IAM::Role')) expect(r.Properties.ManagedPolicyArns).toBeUndefined()
  })

  it('each function gets exactly its table actions; Query only on named indexes', () => {
    const table = (name: string) => logicalId(stackRef.tables[name as never] as never)
    const grants = (fn: 'score' | 'rebalance' | 'webhook' | 'watch') => {
      const out: Record<string, string[]> = {}
      for (const s of roleStatements(fn)) {
        const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => a.startsWith('dynamodb:'))
        if (actions.length === 0) continue
        const t = TABLES.find((x) => refersTo(s.Resource, table(x.name)))!.name
        const index = JSON.stringify(s.Resource).match(/\/index\/(\w+)/)?.[1]
        out[index ? `${t}/index/${index}` : t] = actions.sort()
      }
      return out
    }
    // Every function reads the current policy / config version and writes none (the curator pushes).
    const policies = { policies: ['dynamodb:GetItem'] }
    // Every function that reads the chain syncs its logs (docs/sync.md): lease, fenced writes, a Query of its partition.
    const chainLogs = { chainLogs: ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'] }
    expect(grants('score')).toEqual({ runs: ['dynamodb:PutItem', 'dynamodb:UpdateItem'], ...policies, ...chainLogs })
    const sending = {
      runs: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      'runs/index/byKind': ['dynamodb:Query'],
      intents: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      'intents/index/byStatus': ['dynamodb:Query'],
      locks: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
    }
    // Rebalance also runs the webhook's jobs (accepted → running → done on the events table).
    expect(grants('rebalance')).toEqual({ ...sending, ...policies, ...chainLogs, events: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] })
    // The webhook claims ids and flips the pause flag; it sends nothing.
    expect(grants('webhook')).toEqual({ events: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], locks: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], ...policies })
    expect(grants('watch')).toEqual({ ...sending, ...policies, ...chainLogs, events: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], cursors: ['dynamodb:GetItem', 'dynamodb:PutItem'] })
  })

  it('only the sending functions (rebalance, watch) may kms:Sign / kms:GetPublicKey, on the signer key only; the internet-facing webhook may not', () => {
    const keyId = logicalId(stackRef.signer.key)
    for (const fn of ['rebalance', 'watch'] as const) {
      const kms = roleStatements(fn).filter((s) => actionsOf([s]).some((a) => a.startsWith('kms:')))
      expect(actionsOf(kms)).toEqual(['kms:GetPublicKey', 'kms:Sign'])
      expect(kms.every((s) => refersTo(s.Resource, keyId))).toBe(true)
    }
    for (const fn of ['score', 'webhook'] as const) expect(actionsOf(roleStatements(fn)).some((a) => a.startsWith('kms:'))).toBe(false)
  })

  it('secrets: all read the RPC URL secret; only the webhook reads the webhook secret', () => {
    const hook = logicalId(stackRef.webhookSecret)
    const rpc = logicalId(stackRef.rpcUrlSecret as never)
    for (const fn of ['score', 'rebalance', 'webhook', 'watch'] as const) {
      const reads = roleStatements(fn).filter((s) => actionsOf([s]).includes('secretsmanager:GetSecretValue'))
      expect(reads.some((s) => refersTo(s.Resource, rpc))).toBe(true)
      expect(reads.some((s) => refersTo(s.Resource, hook))).toBe(fn === 'webhook')
    }
  })

  it('the rest of each role: its own log group, its own DLQ, publish to the notifications topic (and the jobs topic for the webhook)', () => {
    for (const fn of ['score', 'rebalance', 'webhook', 'watch'] as const) {
      const actions = actionsOf(roleStatements(fn)).filter((a) => !/^(dynamodb|kms|secretsmanager):/.test(a))
      expect(actions).toEqual(fn === 'webhook' ? ['logs:CreateLogStream', 'logs:PutLogEvents', 'sns:Publish', 'sns:Publish', 'sqs:SendMessage'] : ['logs:CreateLogStream', 'logs:PutLogEvents', 'sns:Publish', 'sqs:SendMessage'])
    }
  })

  it('the scheduler may invoke exactly its function (no :* versions) and send to its DLQ', () => {
    const policies = resources('AWS::IAM::Policy').filter(([id]) => id.startsWith('SchedulerRoleForTarget'))
    expect(policies).toHaveLength(3)
    for (const [, p] of policies) expect(actionsOf(p.Properties.PolicyDocument.Statement)).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage'])
  })
})

describe('triggers', () => {
  it('EventBridge Scheduler: score every 10 minutes, rebalance every 6 hours, watch every minute, with payload and DLQ', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 3)
    for (const [expr, fn] of [
      ['rate(10 minutes)', 'score'],
      ['rate(6 hours)', 'rebalance'],
      ['rate(1 minute)', 'watch'],
    ] as const) {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: expr,
        State: 'ENABLED',
        Target: Match.objectLike({
          Arn: { 'Fn::GetAtt': [fnId(fn), 'Arn'] },
          Input: Match.serializedJson({ trigger: `schedule:${fn}`, scheduledTime: '<aws.scheduler.scheduled-time>', executionId: '<aws.scheduler.execution-id>' }),
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stackRef.functions[fn].deadLetters), 'Arn'] } },
          RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 2 }),
        }),
      })
    }
  })

  it('schedules come from the context', () => {
    const t = synth({ scoreSchedule: 'rate(5 minutes)', rebalanceSchedule: 'cron(0 */2 * * ? *)', watchSchedule: 'rate(2 minutes)' }).template
    for (const e of ['rate(5 minutes)', 'cron(0 */2 * * ? *)', 'rate(2 minutes)']) t.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: e })
  })

  it('HTTP API: POST /webhook → the webhook function (payload 2.0), throttled $default stage with access logs', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1)
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' })
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1)
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /webhook', AuthorizationType: 'NONE' })
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', { IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: { 'Fn::GetAtt': [fnId('webhook'), 'Arn'] } })
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    })
  })

  it('jobs topic: the webhook publishes, the rebalance function (the signer holder) receives, with its DLQ as redrive target', () => {
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: { Ref: logicalId(stackRef.webhook.jobs) } }, 1)
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': [fnId('rebalance'), 'Arn'] },
      TopicArn: { Ref: logicalId(stackRef.webhook.jobs) },
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stackRef.functions.rebalance.deadLetters), 'Arn'] } },
    })
  })
})

describe('signer, secrets, queues, topics', () => {
  it('asymmetric KMS key ECC_SECG_P256K1 for SIGN_VERIFY, retained', () => {
    template.resourceCountIs('AWS::KMS::Key', 1)
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ KeySpec: 'ECC_SECG_P256K1', KeyUsage: 'SIGN_VERIFY' }) })
  })

  it('Secrets Manager: a generated webhook secret and an RPC URL secret to fill in; an existing RPC secret can be used instead', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2)
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ GenerateStringKey: 'secret', PasswordLength: 48 }) })
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: 'https://rpc-url-not-set.invalid' })
    const t = synth({ rpcSecretName: 'prod/rpc-url' }).template
    t.resourceCountIs('AWS::SecretsManager::Secret', 1)
    const env = Object.values(t.findResources('AWS::Lambda::Function')).map((f) => JSON.stringify((f as Resource).Properties.Environment.Variables.RPC_URL_SECRET_ARN))
    expect(env.every((e) => e.includes('secret:prod/rpc-url'))).toBe(true)
  })

  it('SQS dead-letter queues: one per function, SSE, SSL-only, 14 days', () => {
    template.resourceCountIs('AWS::SQS::Queue', 4)
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 }, 4)
    template.resourcePropertiesCountIs('AWS::SQS::QueuePolicy', { PolicyDocument: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) }) }, 4)
  })

  it('SNS: notifications and jobs topics, SSL-only; an e-mail subscription from the context', () => {
    template.resourceCountIs('AWS::SNS::Topic', 2)
    template.resourcePropertiesCountIs('AWS::SNS::TopicPolicy', { PolicyDocument: Match.objectLike({ Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) }) }, 2)
    synth({ notifyEmail: 'ops@example.org' }).template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.org' })
  })
})

describe('alarms', () => {
  it('errors per function, DLQ depth per queue, failed runs and stuck intents — all notify the topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 10)
    const topic = logicalId(stackRef.notifications)
    for (const [, a] of resources('AWS::CloudWatch::Alarm')) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: topic }])
      expect(a.Properties).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' })
    }
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Lambda', MetricName: 'Errors' }, 4)
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible' }, 4)
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'RestakeAutopilot', MetricName: 'FailedRuns', Statistic: 'Sum' })
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'RestakeAutopilot', MetricName: 'StuckIntents', Statistic: 'Maximum' })
  })

  it('metric filters: runStatus = failed on every function log group; stuckIntents from the watcher', () => {
    template.resourcePropertiesCountIs(
      'AWS::Logs::MetricFilter',
      { FilterPattern: '{ $.runStatus = "failed" }', MetricTransformations: [Match.objectLike({ MetricName: 'FailedRuns', MetricNamespace: 'RestakeAutopilot', MetricValue: '1' })] },
      4,
    )
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logicalId(stackRef.functions.watch.logs) },
      FilterPattern: '{ $.stuckIntents >= 0 }',
      MetricTransformations: [Match.objectLike({ MetricName: 'StuckIntents', MetricValue: '$.stuckIntents' })],
    })
  })
})

describe('parameters', () => {
  it('outputs the webhook URL and the secret / key ARNs', () => {
    for (const o of ['WebhookUrl', 'WebhookSecretArn', 'RpcUrlSecretArn', 'SignerKeyArn', 'NotificationsTopicArn', 'PolicyTableName', 'JobsTopicArn', 'RunsTableName', 'LocksTableName', 'EventsTableName'])
      template.hasOutput(o, Match.anyValue())
  })

  it('an invalid schedule, policy or protocol file fails the synth with the key and reason', () => {
    expect(() => synth({ scoreSchedule: 'every 5 minutes' })).toThrow(/restake-autopilot:scoreSchedule: must be an EventBridge Scheduler expression/)
    expect(() => synth({ policyFile: 'local/scenarios/default.json' })).toThrow(/Invalid policy local\/scenarios\/default\.json/)
    expect(() => synth({ protocolConfigFile: 'nope.json' })).toThrow(/Cannot read the protocol config/)
    expect(() => synth({ chainId: 'mainnet' })).toThrow(/restake-autopilot:chainId/)
  })
})

describe('the eigenlayer function: deployed only for a protocol config with EigenLayer positions', () => {
  it('absent by default: four functions, three schedules', () => {
    expect(stackRef.functions.eigenlayer).toBeUndefined()
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Handler: 'index.handler' }, 4)
  })

  it('with EigenLayer positions: its own schedule, the sagas table, the KMS key (it moves the staker Safes); reserved concurrency 1', () => {
    const s = synth({ protocolConfigFile: 'infra/examples/protocol.eigenlayer.example.json', eigenlayerSchedule: 'rate(20 minutes)' })
    const fn = s.stack.functions.eigenlayer!
    expect(fn).toBeDefined()
    const id = s.stack.getLogicalId(fn.node.defaultChild as never)
    const props = (s.template.findResources('AWS::Lambda::Function')[id] as Resource).Properties
    expect(Object.keys(props.Environment.Variables).sort()).toEqual(['AUTOPILOT_CONFIG', 'JOBS_TOPIC_ARN', 'LOG_LEVEL', 'NODE_OPTIONS', 'NOTIFY_TOPIC_ARN', 'POWERTOOLS_SERVICE_NAME', 'RPC_URL_SECRET_ARN', 'SIGNER_KMS_KEY_ID'])
    // The EigenLayer section travels in the stored protocol config, not the environment.
    expect(JSON.stringify(props.Environment.Variables.AUTOPILOT_CONFIG)).not.toContain('delegationManager')
    expect(props.ReservedConcurrentExecutions).toBe(1)
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(20 minutes)', Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] } }) })
    const roleId = s.stack.getLogicalId(fn.botRole.node.defaultChild as never)
    const stmts = Object.values(s.template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p as Resource).Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => (p as Resource).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
    const sagas = s.stack.getLogicalId(s.stack.tables.sagas.node.defaultChild as never)
    expect(actionsOf(stmts.filter((st) => JSON.stringify(st.Resource).includes(`"${sagas}"`)))).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan'])
    // The bot's one key signs every staker Safe's steps (through Roles): Sign and GetPublicKey, nothing else of KMS.
    expect(actionsOf(stmts).filter((a) => a.startsWith('kms:'))).toEqual(['kms:GetPublicKey', 'kms:Sign'])
    // The other functions keep their shape: the sagas table is the eigenlayer function's alone.
    for (const other of ['score', 'rebalance', 'webhook', 'watch'] as const) {
      const otherRole = s.stack.getLogicalId(s.stack.functions[other].botRole.node.defaultChild as never)
      const otherStmts = Object.values(s.template.findResources('AWS::IAM::Policy')).filter((p) => (p as Resource).Properties.Roles.some((r: { Ref: string }) => r.Ref === otherRole))
      expect(JSON.stringify(otherStmts).includes(`"${sagas}"`), `${other} touches sagas`).toBe(false)
    }
  })

  it("EigenLayer's triggers in AWS: a watcher tick every minute (like watch) with its grants, and the webhook's derisk-operator jobs (docs/eigenlayer.md, Triggers)", () => {
    const s = synth({ protocolConfigFile: 'infra/examples/protocol.eigenlayer.example.json', watchSchedule: 'rate(2 minutes)', watchConfirmations: '3' })
    const fn = s.stack.functions.eigenlayer!
    const id = s.stack.getLogicalId(fn.node.defaultChild as never)
    const props = (s.template.findResources('AWS::Lambda::Function')[id] as Resource).Properties
    expect(props.Environment.Variables.WATCH_CONFIRMATIONS).toBe('3')
    // Two schedules invoke it: the rebalance tick, and the watcher tick on the watch function's expression, whose input says "watch".
    const schedules = Object.values(s.template.findResources('AWS::Scheduler::Schedule')).filter((r) => JSON.stringify((r as Resource).Properties.Target.Arn) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))
    expect(schedules).toHaveLength(2)
    const watchTick = schedules.find((r) => (r as Resource).Properties.ScheduleExpression === 'rate(2 minutes)') as Resource
    expect(JSON.parse(watchTick.Properties.Target.Input as string)).toMatchObject({ trigger: 'schedule:eigenlayer-watch', task: 'watch' })
    expect(watchTick.Properties.Target.DeadLetterConfig).toBeDefined()
    // Grants for the watcher (events claimed, its cursor) beside the sagas.
    const roleId = s.stack.getLogicalId(fn.botRole.node.defaultChild as never)
    const stmts = Object.values(s.template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p as Resource).Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => (p as Resource).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
    const on = (table: 'events' | 'cursors') => actionsOf(stmts.filter((st) => refersTo(st.Resource, s.stack.getLogicalId(s.stack.tables[table].node.defaultChild as never))))
    expect(on('events')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
    expect(on('cursors')).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem'])
    // The jobs topic delivers derisk-operator jobs (only) to it, with its DLQ; rebalance keeps every job.
    const topic = s.stack.getLogicalId(s.stack.webhook.jobs.node.defaultChild as never)
    const subs = Object.values(s.template.findResources('AWS::SNS::Subscription'))
      .map((r) => (r as Resource).Properties)
      .filter((p) => JSON.stringify(p.TopicArn) === JSON.stringify({ Ref: topic }))
    const mine = subs.find((p) => JSON.stringify(p.Endpoint) === JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))!
    expect(mine).toMatchObject({ Protocol: 'lambda', FilterPolicyScope: 'MessageBody', FilterPolicy: { action: ['derisk-operator'] } })
    expect(mine.RedrivePolicy).toBeDefined()
    const worker = s.stack.getLogicalId(s.stack.functions.rebalance.node.defaultChild as never)
    expect(subs.find((p) => JSON.stringify(p.Endpoint) === JSON.stringify({ 'Fn::GetAtt': [worker, 'Arn'] }))?.FilterPolicy).toBeUndefined()
    expect(props.Environment.Variables.JOBS_TOPIC_ARN).toEqual({ Ref: topic })
  })
})
