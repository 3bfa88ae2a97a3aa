/**
 * `autopilot console`: the curator's dashboard served on 127.0.0.1 against the DEPLOYED tables, read and written with
 * the curator's own AWS credentials (no public endpoint). Table names come from the stack's outputs (CloudFormation
 * DescribeStacks) or from `--tables`; the chain is read when a config and a policy are given. Pause, resume and
 * de-risk go through the same events claim, pause flag and notifications as the signed webhook.
 */
import { userInfo } from 'node:os'
import { createReader } from '../../shared/chain/client.js'
import type { Config } from '../../shared/config/config.js'
import { parsePolicy } from '../../shared/domain/index.js'
import { RestakeError } from '../../shared/errors.js'
import { createLogger } from '../../shared/logger.js'
import { type CreateNotifierParameters, createNotifier, formatNotification } from '../../shared/services/notify.js'
import { type JobDispatcher, WebhookConfigError, snsJobDispatcher } from '../../shared/services/webhookJob.js'
import { composeStores } from '../../shared/services/compose.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { TABLES, type TableName, type TableNames, tableNames, tableOutputKey } from '../../shared/store/tables.js'
import { type Dashboard, type YieldReader, createLiveReader, createYieldReader, startDashboard } from '../dashboard/index.js'
import type { LiveState } from '../dashboard/live.js'
import { LOCAL_AWS } from '../world/dynamo.js'
import { type CliIo, CliUsageError, EXIT, InvalidInputError, fail, parseArgs, readJson, stringFlag } from './common.js'
import { PlanConfigSchema } from './plan.js'

/** Help text of `autopilot console`. */
export const CONSOLE_USAGE = `usage: autopilot console (--stack NAME | --tables LIST) [--region R] [--config FILE --policy FILE [--rpc URL]]
                         [--jobs-topic ARN] [--port N] [--as NAME] [--read-only] [--dynamo-endpoint URL]

Serves the curator's dashboard on http://127.0.0.1:PORT/ against the deployed tables, with your own AWS
credentials (the usual chain: AWS_PROFILE, SSO, environment). Nothing is exposed beyond this machine.

  --stack NAME          the deployed stack: its outputs name the tables, the jobs topic and the notifications topic
  --tables LIST         the tables instead: runs=NAME,locks=NAME,events=NAME (others optional), or a prefix P (P-runs, …)
  --region R            AWS region (default AWS_REGION)
  --config FILE         the bot config (vaults, labels, rpcUrl) for the live chain read; without it only runs are shown
  --policy FILE         the policy the deployment runs (risk limits, bands, what-if); needed with --config
  --rpc URL             JSON-RPC endpoint (default: the config's rpcUrl)
  --jobs-topic ARN      where de-risk orders go (default: the stack's JobsTopicArn output)
  --as NAME             who you are in the audit trail (default: your OS user name)
  --read-only           no pause / resume / de-risk buttons
  --port N              port on 127.0.0.1 (default 8787; 0 = any free port)
  --dynamo-endpoint URL DynamoDB Local (or any endpoint) with fixed dummy credentials (tests, the local world)

Exit codes: 0 stopped with Ctrl-C · 1 the stack, tables or inputs are wrong · 2 usage`

/** The stack's outputs do not name the tables the console needs. */
export class StackOutputsError extends RestakeError {
  override name = 'StackOutputsError' as const
  constructor(p: { stack: string; missing: string[] }) {
    super(`Stack "${p.stack}" has no output for ${p.missing.join(', ')}.`, { details: 'Deploy the current version of the stack (it outputs every table name), or give --tables runs=NAME,locks=NAME,events=NAME.' })
  }
}
/** {@link StackOutputsError} with its literal name. */
export type StackOutputsErrorType = StackOutputsError & { name: 'StackOutputsError' }

/** What the console needs of a deployment, resolved from the stack's outputs or from flags. */
export interface ConsoleTargets {
  tables: Partial<TableNames> & Pick<TableNames, 'runs'>
  jobsTopicArn?: string
  notificationsTopicArn?: string
}

/**
 * Reads the table names and topics from a stack's outputs (`RunsTableName`, …, `JobsTopicArn`, `NotificationsTopicArn`).
 * @throws {StackOutputsError} when runs, locks or events is missing
 */
export function targetsFromStackOutputs(stack: string, outputs: readonly { OutputKey?: string; OutputValue?: string }[]): ConsoleTargets {
  const byKey = new Map(outputs.filter((o) => o.OutputKey && o.OutputValue).map((o) => [o.OutputKey!, o.OutputValue!]))
  const tables = Object.fromEntries(TABLES.flatMap((t) => (byKey.has(tableOutputKey(t.name)) ? [[t.name, byKey.get(tableOutputKey(t.name))!]] : []))) as Partial<TableNames>
  const missing = (['runs', 'locks', 'events'] as const).filter((t) => !tables[t]).map(tableOutputKey)
  if (missing.length) throw new StackOutputsError({ stack, missing })
  return {
    tables: tables as ConsoleTargets['tables'],
    ...(byKey.get('JobsTopicArn') ? { jobsTopicArn: byKey.get('JobsTopicArn')! } : {}),
    ...(byKey.get('NotificationsTopicArn') ? { notificationsTopicArn: byKey.get('NotificationsTopicArn')! } : {}),
  }
}

/** Parses `--tables`: `runs=NAME,locks=NAME,…` or a prefix. */
export function parseTablesFlag(value: string): ConsoleTargets['tables'] {
  if (!value.includes('=')) return tableNames(value)
  const known = new Set<string>(TABLES.map((t) => t.name))
  const out: Partial<TableNames> = {}
  for (const part of value.split(',')) {
    const [k, v, ...rest] = part.split('=').map((x) => x.trim())
    if (!k || !v || rest.length) throw new CliUsageError(`--tables: "${part}" is not NAME=TABLE`)
    if (!known.has(k)) throw new CliUsageError(`--tables: unknown table "${k}" (known: ${[...known].join(', ')})`)
    out[k as TableName] = v
  }
  if (!out.runs) throw new CliUsageError('--tables must name the runs table (runs=NAME)')
  return out as ConsoleTargets['tables']
}

/** Options of {@link consoleCommand} beyond the arguments (tests stop the console with `signal`). */
export interface ConsoleCommandOptions {
  /** Stops the console (default: SIGINT / SIGTERM). */
  signal?: AbortSignal
  /** Called once the page is served. */
  onListening?: (dashboard: Dashboard) => void
  env?: Record<string, string | undefined>
}

/**
 * Runs `autopilot console …` until stopped.
 * @returns the exit code
 */
export async function consoleCommand(args: string[], io: CliIo, opts: ConsoleCommandOptions = {}): Promise<number> {
  const env = opts.env ?? process.env
  let dashboard: Dashboard | undefined
  const clients: { destroy: () => void }[] = []
  try {
    const p = parseArgs(args, {
      stack: 'string',
      tables: 'string',
      region: 'string',
      config: 'string',
      policy: 'string',
      rpc: 'string',
      'jobs-topic': 'string',
      as: 'string',
      'read-only': 'boolean',
      port: 'string',
      'dynamo-endpoint': 'string',
    })
    if (p.help) {
      io.stdout(CONSOLE_USAGE)
      return EXIT.ok
    }
    const stack = stringFlag(p, 'stack')
    const tablesFlag = stringFlag(p, 'tables')
    if ((stack === undefined) === (tablesFlag === undefined)) throw new CliUsageError('give exactly one of --stack NAME or --tables LIST')
    const port = Number(stringFlag(p, 'port') ?? 8787)
    if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliUsageError(`--port ${stringFlag(p, 'port')} is not a port number`)
    const endpoint = stringFlag(p, 'dynamo-endpoint')
    const region = stringFlag(p, 'region') ?? env.AWS_REGION ?? (endpoint ? LOCAL_AWS.region : undefined)
    if (!region) throw new CliUsageError('no region: give --region R or set AWS_REGION')
    const configPath = stringFlag(p, 'config')
    const policyPath = stringFlag(p, 'policy')
    if ((configPath === undefined) !== (policyPath === undefined)) throw new CliUsageError('--config and --policy go together (the live read needs both)')

    let targets: ConsoleTargets
    if (stack !== undefined) {
      const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation')
      const cfn = new CloudFormationClient({ region })
      clients.push(cfn)
      const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }))
      targets = targetsFromStackOutputs(stack, out.Stacks?.[0]?.Outputs ?? [])
    } else targets = { tables: parseTablesFlag(tablesFlag!) }
    const jobsTopicArn = stringFlag(p, 'jobs-topic') ?? targets.jobsTopicArn

    // An explicit endpoint is DynamoDB Local: fixed dummy credentials, never real ones. Otherwise the curator's own.
    const doc = createDocumentClient(endpoint ? { ...LOCAL_AWS, region, endpoint } : { region })
    clients.push(doc)
    const { runs } = composeStores({ dynamo: doc, tables: { runs: targets.tables.runs } })

    let readLive: () => Promise<LiveState> = () => Promise.reject(new InvalidInputError({ what: 'chain read', path: '(none)', reason: 'give --config FILE --policy FILE (and --rpc URL) to read the chain' }))
    let readYield: YieldReader | undefined
    let policyNotifications: Pick<CreateNotifierParameters, 'webhookUrls' | 'targets'> = {}
    if (configPath && policyPath) {
      const [policyDoc, configDoc] = await Promise.all([readJson(policyPath, 'policy'), readJson(configPath, 'config')])
      const parsedPolicy = parsePolicy(policyDoc)
      if (!parsedPolicy.ok) throw new InvalidInputError({ what: 'policy', path: policyPath, reason: parsedPolicy.errors.map((e) => `${e.path}: ${e.message}`).join('; ') })
      const parsedConfig = PlanConfigSchema.safeParse(configDoc)
      if (!parsedConfig.success) throw new InvalidInputError({ what: 'config', path: configPath, reason: parsedConfig.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ') })
      const rpcUrl = stringFlag(p, 'rpc') ?? parsedConfig.data.rpcUrl
      if (!rpcUrl) throw new CliUsageError('no RPC: give --rpc URL or "rpcUrl" in the config')
      const chainId = parsedConfig.data.chainId ?? (await createReader({ rpcUrl, chainId: 1, timeoutMs: 10_000 }).getChainId())
      const config = { ...parsedConfig.data, rpcUrl, chainId, tables: { ...tableNames('unused'), ...targets.tables } } as Config
      const client = createReader({ rpcUrl, chainId })
      readLive = createLiveReader({ config, client, policy: parsedPolicy.policy })
      readYield = createYieldReader({ config, client })
      policyNotifications = { webhookUrls: parsedPolicy.policy.notifications.webhookUrls, targets: parsedPolicy.policy.notifications.targets }
    }

    const readOnly = p.flags['read-only'] === true || !targets.tables.locks || !targets.tables.events
    const who = stringFlag(p, 'as') ?? userInfo().username
    const logger = createLogger('console')
    const dispatch: JobDispatcher = jobsTopicArn
      ? snsJobDispatcher({ topicArn: jobsTopicArn })
      : async () => {
          throw new WebhookConfigError('no jobs topic for de-risk orders (give --stack or --jobs-topic ARN)')
        }
    const controls = readOnly
      ? undefined
      : {
          who,
          dispatch,
          ctx: {
            ...composeStores({ dynamo: doc, tables: { events: targets.tables.events!, locks: targets.tables.locks! } }),
            clock: () => Date.now(),
            logger,
            notify: createNotifier({ ...policyNotifications, ...(targets.notificationsTopicArn ? { snsTopicArn: targets.notificationsTopicArn } : {}), console: (n) => io.stdout(formatNotification(n)), logger }),
          },
        }
    dashboard = await startDashboard({ runs, readLive, port, ...(controls ? { controls } : {}), ...(readYield ? { readYield } : {}) })
    io.stdout(
      [
        `console: ${dashboard.url}  (127.0.0.1 only; Ctrl-C stops it)`,
        `  runs ${targets.tables.runs}${stack ? ` from stack ${stack}` : ''} in ${endpoint ?? `AWS ${region}`}`,
        `  controls: ${controls ? `pause / resume / de-risk as ${who} (events ${targets.tables.events}, pause flag in ${targets.tables.locks}; de-risk ${jobsTopicArn ? `via ${jobsTopicArn}` : 'unavailable: no jobs topic'})` : 'off (read-only)'}`,
        `  chain: ${configPath ? `read with ${configPath} under ${policyPath}` : 'not read (give --config and --policy)'}`,
      ].join('\n'),
    )
    opts.onListening?.(dashboard)
    await stopped(opts.signal)
    return EXIT.ok
  } catch (e) {
    return fail(e, io, CONSOLE_USAGE)
  } finally {
    await dashboard?.stop()
    for (const c of clients) c.destroy()
  }
}

function stopped(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal) {
      if (signal.aborted) resolve()
      else signal.addEventListener('abort', () => resolve(), { once: true })
      return
    }
    const done = () => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      resolve()
    }
    process.on('SIGINT', done)
    process.on('SIGTERM', done)
  })
}
