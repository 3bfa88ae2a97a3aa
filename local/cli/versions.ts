/**
 * `autopilot policy push|diff|history|rollback` and `autopilot config push|diff|history|rollback`: the versioned
 * policy store (shared/store/policies.ts) in DynamoDB Local or a deployed stack's table, with the curator's own
 * credentials. A push validates first (every error with its JSON path; nothing is written when one is found).
 */
import { execFile } from 'node:child_process'
import { basename } from 'node:path'
import { promisify } from 'node:util'
import microdiff from 'microdiff'
import { ProtocolConfigSchema } from '../../shared/config/config.js'
import { jsonPath, parsePolicy } from '../../shared/domain/policy.js'
import { RestakeError } from '../../shared/errors.js'
import { StaleWriteError } from '../../shared/store/errors.js'
import { composeStores } from '../../shared/services/compose.js'
import type { DocumentKind, PushReturnType, StoredVersion } from '../../shared/store/policies.js'
import { type CliIo, CliUsageError, EXIT, type FlagKind, type ParsedArgs, STORE_FLAGS, STORE_HELP, fail, openTable, parseArgs, readText, stringFlag, textTable, toJson } from './common.js'

/** Help text of the versioned-store sub-commands of `kind`. */
export function versionsUsage(kind: DocumentKind): string {
  return `usage:
  autopilot ${kind} push FILE [--author NAME] [--note TEXT] [--json] [store flags]
      validate FILE, then write it as the next version and make it current (the functions use it from their next run)
  autopilot ${kind} diff [FILE|N] [--json] [store flags]
      what FILE (or version N) changes against the current version; no argument: the current version against the one before
  autopilot ${kind} history [--limit N] [--json] [store flags]
      every version, newest first: when, who, push or rollback, content hash
  autopilot ${kind} rollback N [--author NAME] [--json] [store flags]
      write a new version equal to version N (recorded as a rollback of N) and make it current

  --author NAME   recorded as the writer (default: git user.name <user.email>, else your AWS caller ARN, else $USER)
  --table NAME    the policy table of a deployed stack (CloudFormation output PolicyTableName); AWS credentials
                  and --region / AWS_REGION as for the AWS CLI

${STORE_HELP.replace('"tables.runs"', '"tables.policies"')}

Exit codes: 0 done (also: nothing to change) · 1 invalid document, unknown version, lost a concurrent push, store error · 2 usage`
}

/** One difference between two documents. */
export interface DocumentChange {
  op: 'add' | 'remove' | 'change'
  path: string
  from?: unknown
  to?: unknown
}

/** The differences from `a` to `b`, by JSON path (arrays element by element). */
export function documentChanges(a: unknown, b: unknown): DocumentChange[] {
  return microdiff(a as Record<string, unknown>, b as Record<string, unknown>).map((d) =>
    d.type === 'CREATE' ? { op: 'add', path: jsonPath(d.path), to: d.value } : d.type === 'REMOVE' ? { op: 'remove', path: jsonPath(d.path), from: d.oldValue } : { op: 'change', path: jsonPath(d.path), from: d.oldValue, to: d.value },
  )
}

/** Lines a person reads: `~ $.caps.perOperator: 0.2 → 0.25`, `+ $.operators.deny[2]: "0x…"`, `- …`. */
export function formatChanges(changes: readonly DocumentChange[]): string {
  if (changes.length === 0) return '  (no changes)'
  const show = (v: unknown) => {
    const s = JSON.stringify(v)
    return s.length > 80 ? `${s.slice(0, 79)}…` : s
  }
  return changes.map((c) => (c.op === 'add' ? `  + ${c.path}: ${show(c.to)}` : c.op === 'remove' ? `  - ${c.path}: ${show(c.from)}` : `  ~ ${c.path}: ${show(c.from)} → ${show(c.to)}`)).join('\n')
}

/** A document that fails validation: every problem with its JSON path (exit 1, nothing written). */
export class InvalidDocumentError extends RestakeError {
  override name = 'InvalidDocumentError' as const
  readonly issues: { path: string; message: string }[]
  constructor(p: { kind: DocumentKind; source: string; issues: { path: string; message: string }[] }) {
    super(`${p.source} is not a valid ${p.kind} (${p.issues.length} problem${p.issues.length === 1 ? '' : 's'}); nothing was written.`, { details: p.issues.map((i) => `${i.path}: ${i.message}`).join('\n  ') })
    this.issues = p.issues
  }
}

/** Validates a policy (policy schema) or protocol config (ProtocolConfigSchema); the issues, empty when valid. */
export function documentIssues(kind: DocumentKind, doc: unknown): { path: string; message: string }[] {
  if (kind === 'policy') {
    const r = parsePolicy(doc)
    return r.ok ? [] : r.errors
  }
  const r = ProtocolConfigSchema.safeParse(doc)
  return r.success ? [] : r.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message }))
}

async function readDocument(kind: DocumentKind, file: string): Promise<unknown> {
  const text = await readText(file, kind)
  let doc: unknown
  try {
    doc = JSON.parse(text) as unknown
  } catch (e) {
    throw new InvalidDocumentError({ kind, source: file, issues: [{ path: '$', message: `not valid JSON: ${(e as Error).message}` }] })
  }
  const issues = documentIssues(kind, doc)
  if (issues.length > 0) throw new InvalidDocumentError({ kind, source: file, issues })
  return doc
}

/** The writer recorded on a version: --author, git user, the AWS caller (deployed table), $USER. */
async function authorOf(p: ParsedArgs, remote: boolean, env: Record<string, string | undefined>): Promise<string> {
  const given = stringFlag(p, 'author')
  if (given) return given
  const git = async (key: string) => (await promisify(execFile)('git', ['config', key], { timeout: 3_000 }).catch(() => ({ stdout: '' }))).stdout.trim()
  const [name, email] = await Promise.all([git('user.name'), git('user.email')])
  if (name || email) return name && email ? `${name} <${email}>` : name || email
  if (remote) {
    try {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts')
      const sts = new STSClient({ ...(stringFlag(p, 'region') ? { region: stringFlag(p, 'region') } : {}) })
      const arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn
      sts.destroy()
      if (arn) return arn
    } catch {
      // No identity to be had: fall through to the login name.
    }
  }
  return env.USER ?? env.USERNAME ?? 'unknown'
}

function versionNumber(text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new CliUsageError(`a version is a whole number ≥ 1, not "${text}"`)
  return n
}

const short = (hash: string) => hash.slice(0, 12)
/** Keeps the history table within 100 columns (`--json` has the full text). */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19)
const versionJson = (v: StoredVersion) => ({
  version: v.version,
  createdAt: new Date(v.createdAt).toISOString(),
  author: v.author,
  action: v.action,
  ...(v.rollbackOf !== undefined ? { rollbackOf: v.rollbackOf } : {}),
  hash: v.hash,
  ...(v.note ? { note: v.note } : {}),
})

/**
 * Runs `autopilot <kind> push|diff|history|rollback …`.
 * @returns the exit code, or undefined when `sub` is not one of these (the caller handles it)
 */
export async function versionsCommand(kind: DocumentKind, sub: string, args: string[], io: CliIo, env: Record<string, string | undefined> = process.env): Promise<number | undefined> {
  if (!['push', 'diff', 'history', 'rollback'].includes(sub)) return undefined
  const usage = versionsUsage(kind)
  try {
    const spec: Record<string, FlagKind> = {
      ...STORE_FLAGS,
      table: 'string',
      json: 'boolean',
      ...(sub === 'push' || sub === 'rollback' ? { author: 'string' } : {}),
      ...(sub === 'push' ? { note: 'string' } : {}),
      ...(sub === 'history' ? { limit: 'string' } : {}),
    }
    const positionals = sub === 'push' || sub === 'rollback' ? { min: 1, max: 1 } : sub === 'diff' ? { min: 0, max: 1 } : { min: 0, max: 0 }
    const p = parseArgs(args, spec, positionals)
    if (p.help) {
      io.stdout(usage)
      return EXIT.ok
    }
    const arg = p.positionals[0]
    // Validate what can be validated before touching the store.
    const file = sub === 'push' || (sub === 'diff' && arg !== undefined && !/^\d+$/.test(arg)) ? arg : undefined
    const doc = file !== undefined ? await readDocument(kind, file) : undefined
    const limitText = stringFlag(p, 'limit') ?? '20'
    const limit = Number(limitText)
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new CliUsageError(`--limit must be an integer from 1 to 500, not "${limitText}"`)
    const target = sub === 'rollback' || (sub === 'diff' && arg !== undefined && file === undefined) ? versionNumber(arg!) : undefined
    const opened = await openTable(p, 'policies', env)
    const store = composeStores({ dynamo: opened.client, tables: { policies: opened.table } }).policies
    try {
      const json = p.flags.json === true
      if (sub === 'history') {
        const [versions, current] = await Promise.all([store.history(kind, limit), store.currentVersion(kind)])
        if (json) io.stdout(toJson({ kind, table: opened.table, current: current ?? null, versions: versions.map(versionJson) }))
        else if (versions.length === 0) io.stdout(`no ${kind} versions in ${opened.table}: push one with autopilot ${kind} push FILE\n`)
        else
          io.stdout(
            `${kind} versions in ${opened.table} (newest first; * = current, what the functions use):\n${textTable(
              ['version', 'written (UTC)', 'by', 'how', 'sha256', 'note'],
              versions.map((v) => [`${v.version === current ? '*' : ' '}${v.version}`, when(v.createdAt), clip(v.author, 24), v.action === 'rollback' ? `rollback ${v.rollbackOf}` : 'push', short(v.hash), clip(basename(v.note ?? ''), 18)]),
              [1, 2, 3, 4, 5],
            )}\n`,
          )
        return EXIT.ok
      }
      if (sub === 'diff') {
        const current = await store.requireCurrent(kind)
        const [fromV, to] =
          doc !== undefined
            ? [current, { label: file!, doc }]
            : target !== undefined
              ? [current, { label: `version ${target}`, doc: JSON.parse((await store.require(kind, target)).document) as unknown }]
              : current.version > 1
                ? [await store.require(kind, current.version - 1), { label: `version ${current.version} (current)`, doc: JSON.parse(current.document) as unknown }]
                : [current, { label: `version ${current.version} (current)`, doc: JSON.parse(current.document) as unknown }]
        const changes = documentChanges(JSON.parse(fromV.document), to.doc)
        const fromLabel = `version ${fromV.version}${fromV.version === current.version ? ' (current)' : ''}`
        if (json) io.stdout(toJson({ kind, table: opened.table, from: fromLabel, to: to.label, changes }))
        else io.stdout(`${kind} ${fromLabel} → ${to.label}: ${changes.length} change${changes.length === 1 ? '' : 's'}\n${formatChanges(changes)}\n`)
        return EXIT.ok
      }
      const author = await authorOf(p, opened.endpoint === undefined, env)
      const now = Date.now()
      const before = await store.current(kind)
      let out: PushReturnType
      if (sub === 'rollback') {
        const old = await store.require(kind, target!)
        const issues = documentIssues(kind, JSON.parse(old.document))
        if (issues.length > 0) throw new InvalidDocumentError({ kind, source: `version ${target}`, issues })
        out = await store.rollback({ kind, to: target!, author, now })
      } else {
        out = await store.push({ kind, document: doc, author, now, note: stringFlag(p, 'note') ?? file })
      }
      const changes = before ? documentChanges(JSON.parse(before.document), JSON.parse(out.version.document)) : []
      if (json) io.stdout(toJson({ kind, table: opened.table, written: out.written, previous: before?.version ?? null, ...versionJson(out.version), changes }))
      else if (!out.written) io.stdout(`${kind} unchanged: version ${out.version.version} (current) already has this content (sha256 ${short(out.version.hash)}); nothing written\n`)
      else
        io.stdout(
          `✓ ${kind} version ${out.version.version} is current${sub === 'rollback' ? ` (a rollback to version ${target})` : ''}; the functions use it from their next run\n` +
            `  written by ${out.version.author}, sha256 ${short(out.version.hash)}\n` +
            (before ? `changes from version ${before.version}:\n${formatChanges(changes)}\n` : ''),
        )
      return EXIT.ok
    } finally {
      opened.close()
    }
  } catch (e) {
    if (e instanceof StaleWriteError) {
      io.stderr(`StaleWriteError: another ${kind} push became current first; nothing was written. Look at it (autopilot ${kind} diff FILE) and push again.`)
      return EXIT.failed
    }
    if (e instanceof InvalidDocumentError && args.includes('--json')) {
      io.stdout(toJson({ kind, valid: false, written: false, errors: e.issues }))
      return EXIT.failed
    }
    return fail(e, io, usage)
  }
}

/** {@link InvalidDocumentError} with its literal name. */
export type InvalidDocumentErrorType = InvalidDocumentError & { name: 'InvalidDocumentError' }
