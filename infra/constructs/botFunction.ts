/**
 * BotFunction: a NodejsFunction with the autopilot's defaults fixed in one place — Node 22 on arm64, the
 * shared esbuild settings (ESM, minified, source maps, AWS SDK v3 external), an explicit log group with
 * retention, its own role with no managed policy (it may write to its own log group, nothing else until
 * granted), an SQS dead-letter queue for failed asynchronous invocations, and `bindTable` for
 * least-privilege table grants (named actions, named indexes; never `dynamodb:*`).
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib'
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb'
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam'
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda'
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs'
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs'
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs'
import type { Construct } from 'constructs'
import { type FunctionName, REPO_ROOT, cdkBundling, functionEntry } from '../bundling.js'

/** DynamoDB actions a function may be granted on a table (Query on the base table: the chain sync's partitions; on indexes: named ones). */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'ConditionCheckItem' | 'Scan' | 'Query'

/** Properties of a {@link BotFunction}. */
export interface BotFunctionProps {
  /** Folder under functions/. */
  name: FunctionName
  /** Environment variables (NODE_OPTIONS and LOG_LEVEL are added). */
  environment: Record<string, string>
  timeout: Duration
  /** Memory, MB (the LP and viem like CPU, which scales with memory). */
  memorySize: number
  logRetention: RetentionDays
  /** Reserved concurrency (1 = never two at once); undefined = unreserved. */
  reservedConcurrentExecutions?: number
}

/** A Lambda of the autopilot with its log group, role and dead-letter queue. */
export class BotFunction extends NodejsFunction {
  /** The function's log group (retention set, metric filters attach here). */
  readonly logs: LogGroup
  /** Failed asynchronous invocations (scheduler ticks, SNS jobs) land here after the retries. */
  readonly deadLetters: Queue
  /** The function's own role. */
  readonly botRole: Role

  constructor(scope: Construct, id: string, props: BotFunctionProps) {
    const logs = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN })
    const deadLetters = new Queue(scope, `${id}DeadLetters`, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    })
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description: `restake-autopilot ${props.name} function` })
    super(scope, id, {
      entry: functionEntry(props.name),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup: logs,
      bundling: cdkBundling(),
      environment: { NODE_OPTIONS: '--enable-source-maps', LOG_LEVEL: 'INFO', POWERTOOLS_SERVICE_NAME: props.name, ...props.environment },
      deadLetterQueue: deadLetters,
      // One attempt: every tick is idempotent and the next tick retries; failures go to the DLQ (alarmed).
      retryAttempts: 0,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      description: `restake-autopilot: ${props.name}`,
    })
    logs.grantWrite(role)
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose: the bundles are built for it (BUNDLE_SETTINGS.target node22) and tested on it; it is supported until 2027-04. Moving to a newer runtime is a reviewed change of BotFunction and BUNDLE_SETTINGS together, not a silent upgrade.',
    })
    this.logs = logs
    this.deadLetters = deadLetters
    this.botRole = role
  }

  /** Grants exactly `actions` on `table`, and Query on the named `indexes` only. */
  bindTable(table: ITableV2, actions: readonly TableAction[], indexes: readonly string[] = []): this {
    if (actions.length > 0) this.botRole.addToPrincipalPolicy(new PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources: [table.tableArn] }))
    if (indexes.length > 0) this.botRole.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: indexes.map((i) => `${table.tableArn}/index/${i}`) }))
    return this
  }
}
