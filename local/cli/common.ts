/**
 * What the console sub-commands share: exit codes, argument parsing with usage errors, reading files,
 * opening the run store (DynamoDB) from flags / a config file / AUTOPILOT_CONFIG, and JSON output.
 */
import { readFile } from 'node:fs/promises'
import * as z from 'zod'
import { textTable as fitTable, wrap } from '../../shared/domain/format.js'
import { RestakeError } from '../../shared/errors.js'
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import { createDocumentClient } from '../../shared/store/client.js'
import { composeStores } from '../../shared/services/compose.js'
import type { RunStorePort } from '../../shared/store/ports.js'
import { type TableName, tableNames } from '../../shared/store/tables.js'
import { LOCAL_AWS } from '../world/dynamo.js'
import type { CliIo } from './policy.js'

/** Output sinks of a command (the same type `policy` uses). */
export type { CliIo }

/** Exit codes scripts can rely on. */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** Its check failed, the thing asked for was not found, or the chain/store/backtest failed. */
  failed: 1,
  /** Bad usage: unknown or missing flag, wrong number of arguments, unreadable file. */
  usage: 2,
} as const

/** Bad command-line usage (exit 2). */
export class CliUsageError extends RestakeError {
  override name = 'CliUsageError' as const
  constructor(message: string) {
    super(message)
  }
}
/** {@link CliUsageError} with its literal name. */
export type CliUsageErrorType = CliUsageError & { name: 'CliUsageError' }

/** A run id that is not in the runs table (exit 1). */
export class RunNotFoundError extends RestakeError {
  override name = 'RunNotFoundError' as const
  constructor(p: { runId: string; table: string }) {
    super(`Run "${p.runId}" was not found.`, { details: `table ${p.table}` })
  }
}
/** {@link RunNotFoundError} with its literal name. */
export type RunNotFoundErrorType = RunNotFoundError & { name: 'RunNotFoundError' }

/** Kind of a flag: takes a value, or is a switch. */
export type FlagKind = 'string' | 'boolean'

/** Parsed arguments: flag values by name (without dashes) and positional arguments. */
export interface ParsedArgs {
  flags: Record<string, string | boolean | undefined>
  positionals: string[]
  /** `--help` / `-h` was given. */
  help: boolean
}

/**
 * Parses `--name value`, `--name=value` and `--switch`; throws {@link CliUsageError} on an unknown flag,
 * a missing value or a positional count outside `[min, max]`.
 */
export function parseArgs(args: readonly string[], spec: Record<string, FlagKind>, positionals: { min: number; max: number } = { min: 0, max: 0 }): ParsedArgs {
  const flags: ParsedArgs['flags'] = {}
  const pos: string[] = []
  let help = false
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '--help' || a === '-h') {
      help = true
      continue
    }
    if (!a.startsWith('--') || a === '--') {
      pos.push(a)
      continue
    }
    const eq = a.indexOf('=')
    const name = a.slice(2, eq === -1 ? undefined : eq)
    const kind = spec[name]
    if (!kind) throw new CliUsageError(`unknown option --${name}`)
    if (kind === 'boolean') {
      if (eq !== -1) throw new CliUsageError(`--${name} takes no value`)
      flags[name] = true
      continue
    }
    const value = eq !== -1 ? a.slice(eq + 1) : args[++i]
    if (value === undefined || value === '' || (eq === -1 && value.startsWith('--'))) throw new CliUsageError(`--${name} needs a value`)
    flags[name] = value
  }
  if (!help && pos.length < positionals.min) throw new CliUsageError(positionals.min === 1 && positionals.max === 1 ? 'missing argument' : `expected at least ${positionals.min} argument(s)`)
  if (!help && pos.length > positionals.max) throw new CliUsageError(`unexpected argument "${pos[positionals.max]}"`)
  return { flags, positionals: pos, help }
}

/** A string flag's value, or throws {@link CliUsageError} when it is required and missing. */
export function stringFlag(p: ParsedArgs, name: string, required: true): string
export function stringFlag(p: ParsedArgs, name: string, required?: false): string | undefined
export function stringFlag(p: ParsedArgs, name: string, required = false): string | undefined {
  const v = p.flags[name]
  if (typeof v === 'string') return v
  if (required) throw new CliUsageError(`missing --${name}`)
  return undefined
}

/** Reads a text file; an unreadable file is a usage error (exit 2). */
export async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    throw new CliUsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
}

/** A file's content that is not what it should be (exit 1). */
export class InvalidInputError extends RestakeError {
  override name = 'InvalidInputError' as const
  constructor(p: { what: string; path: string; reason: string }) {
    super(`Invalid ${p.what} ${p.path}.`, { details: p.reason })
  }
}
/** {@link InvalidInputError} with its literal name. */
export type InvalidInputErrorType = InvalidInputError & { name: 'InvalidInputError' }

/** Reads and parses a JSON file (unreadable → usage error; not JSON → {@link InvalidInputError}). */
export async function readJson(path: string, what: string): Promise<unknown> {
  const text = await readText(path, what)
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new InvalidInputError({ what, path, reason: `not valid JSON: ${(e as Error).message}` })
  }
}

/** JSON with bigint as decimal strings, 2-space indented, newline-terminated. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`
}

/** Flags every store-reading command accepts. */
export const STORE_FLAGS: Record<string, FlagKind> = { config: 'string', 'dynamo-endpoint': 'string', 'tables-prefix': 'string', region: 'string' }

/** Help text of the store flags. */
export const STORE_HELP = `Store (DynamoDB) — the first that applies:
  --dynamo-endpoint URL --tables-prefix P   DynamoDB Local (or any endpoint) and the tables' prefix (P-runs, …)
  --config FILE                             a bot config JSON: its "tables.runs" and "dynamoEndpoint"
  AUTOPILOT_CONFIG='{…}'                    the same config in the environment (as the Lambdas read it)
  --tables-prefix P alone                   AWS DynamoDB with your credentials (--region R or AWS_REGION)
  Flags override the config file field by field.`

/** An opened table and where it points. */
export interface OpenedTable {
  client: DynamoDBDocumentClient
  table: string
  endpoint: string | undefined
  close: () => void
}

/** An opened run store and where it points. */
export interface OpenedRunStore extends Omit<OpenedTable, 'client'> {
  runs: RunStorePort
}

/**
 * Opens table `name` as named by `--table` (that physical name), the store flags, the config file or
 * AUTOPILOT_CONFIG (see {@link STORE_HELP}).
 */
export async function openTable(p: ParsedArgs, name: TableName, env: Record<string, string | undefined> = process.env): Promise<OpenedTable> {
  const configPath = stringFlag(p, 'config')
  const prefix = stringFlag(p, 'tables-prefix')
  const explicit = typeof p.flags.table === 'string' ? p.flags.table : undefined
  const raw = configPath ? await readJson(configPath, 'config') : env.AUTOPILOT_CONFIG ? parseEnvConfig(env.AUTOPILOT_CONFIG) : undefined
  let fromConfig: { tables?: Partial<Record<TableName, string>>; dynamoEndpoint?: string } | undefined
  if (raw !== undefined) {
    // The config must name the table unless --table or --tables-prefix does.
    const schema = z.object({ tables: z.object({ [name]: z.string().min(3) }), dynamoEndpoint: z.string().url().optional() })
    const parsed = (prefix === undefined && explicit === undefined ? schema : schema.partial()).safeParse(raw)
    if (!parsed.success) throw new InvalidInputError({ what: 'config', path: configPath ?? 'AUTOPILOT_CONFIG', reason: parsed.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ') })
    fromConfig = parsed.data as typeof fromConfig
  }
  const table = explicit ?? (prefix !== undefined ? tableNames(prefix)[name] : fromConfig?.tables?.[name])
  if (!table) throw new CliUsageError(`no store given: use --dynamo-endpoint URL --tables-prefix P, --config FILE, ${name === 'policies' ? '--table NAME, ' : ''}or AUTOPILOT_CONFIG`)
  const endpoint = stringFlag(p, 'dynamo-endpoint') ?? fromConfig?.dynamoEndpoint
  const region = stringFlag(p, 'region') ?? env.AWS_REGION ?? (endpoint ? LOCAL_AWS.region : undefined)
  // An explicit endpoint is DynamoDB Local: it takes any credentials, so fixed dummy ones are used, never real ones.
  const client = createDocumentClient(endpoint ? { ...LOCAL_AWS, endpoint, ...(region ? { region } : {}) } : region ? { region } : {})
  return { client, table, endpoint, close: () => client.destroy() }
}

/** Opens the runs table named by the store flags, the config file or AUTOPILOT_CONFIG (see {@link STORE_HELP}). */
export async function openRunStore(p: ParsedArgs, env: Record<string, string | undefined> = process.env): Promise<OpenedRunStore> {
  const { client, ...rest } = await openTable(p, 'runs', env)
  return { ...rest, runs: composeStores({ dynamo: client, tables: { runs: rest.table } }).runs }
}

function parseEnvConfig(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (e) {
    throw new InvalidInputError({ what: 'config', path: 'AUTOPILOT_CONFIG', reason: `not valid JSON: ${(e as Error).message}` })
  }
}

/** Maps an error to an exit code and prints it: usage errors (2) with the command's help, everything else (1). */
export function fail(e: unknown, io: CliIo, usage: string): number {
  if (e instanceof CliUsageError) {
    io.stderr(`${e.shortMessage}\n\n${usage}`)
    return EXIT.usage
  }
  const err = e as Error & { shortMessage?: string; details?: string }
  io.stderr(`${err.name ?? 'Error'}: ${err.shortMessage ?? err.message}${err.details && err.shortMessage ? `\n  ${err.details}` : ''}`)
  return EXIT.failed
}

/** Columns the output should fit: `COLUMNS`, else the terminal's width, else 100 (never below 60). */
export function terminalWidth(env: Record<string, string | undefined> = process.env): number {
  const w = Number(env.COLUMNS) || process.stdout.columns || 100
  return Math.max(60, w)
}

/** An aligned text table fitted to the terminal; columns listed in `left` are left-aligned (the first always is), the rest right-aligned. */
export function textTable(header: string[], rows: string[][], left: number[] = [], width: number = terminalWidth()): string {
  return fitTable(header, rows, { left, width })
}

/** Word-wraps every line longer than `width` (continuation lines keep the line's indentation plus two spaces). */
export function fitLines(text: string, width: number = terminalWidth()): string {
  return text
    .split('\n')
    .flatMap((line) => {
      if (line.length <= width) return [line]
      const indent = /^ */.exec(line)![0].length
      const [first, ...rest] = wrap(line.slice(indent), width - indent - 2)
      return [`${' '.repeat(indent)}${first}`, ...rest.map((l) => `${' '.repeat(indent + 2)}${l}`)]
    })
    .join('\n')
}
