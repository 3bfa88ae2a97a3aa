/**
 * `autopilot policy …`: validate a policy file, print or write its JSON Schema; push, diff, history and rollback
 * in the versioned policy store (./versions.ts).
 *
 *   autopilot policy validate FILE [--json]   exit 0 valid, 1 invalid, 2 usage error / unreadable file
 *   autopilot policy schema [--write] [--out PATH]
 *   autopilot policy push FILE | diff [FILE|N] | history | rollback N   (see versionsUsage)
 */
import { readFile, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { parsePolicy } from '../../shared/domain/policy.js'
import { policyJsonSchema } from '../../shared/domain/policyDocs.js'

/** Where the committed JSON Schema lives. */
export const POLICY_SCHEMA_PATH = fileURLToPath(new URL('../../shared/domain/policy.schema.json', import.meta.url))

/** Output sinks of a CLI command (injected so tests can capture them). */
export interface CliIo {
  stdout: (s: string) => void
  stderr: (s: string) => void
}

const USAGE = `usage:
  autopilot policy validate FILE [--json]   check a policy file; exit 0 valid, 1 invalid, 2 usage/unreadable
  autopilot policy schema [--write] [--out PATH]
                                            print the policy JSON Schema; --write saves it to
                                            shared/domain/policy.schema.json (or PATH)
  autopilot policy push FILE                validate, then make FILE the current version in the policy store
  autopilot policy diff [FILE|N]            FILE or version N against the current version
  autopilot policy history                  every version: when, who, push or rollback
  autopilot policy rollback N               a new version equal to version N
                                            (autopilot policy push --help: the store flags)
`

/** The JSON Schema text exactly as committed (2-space indent, trailing newline). */
export function policySchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`
}

/**
 * Runs `autopilot policy <sub> …`.
 * @param args arguments after `policy`
 * @param io where to print
 * @returns the process exit code
 */
export async function policyCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args
  switch (sub) {
    case 'validate':
      return validate(rest, io)
    case 'schema':
      return schema(rest, io)
    case 'help':
    case '--help':
    case '-h':
      io.stdout(USAGE)
      return 0
    default: {
      const code = sub === undefined ? undefined : await (await import('./versions.js')).versionsCommand('policy', sub, rest, io)
      if (code !== undefined) return code
      io.stderr(sub === undefined ? `missing subcommand\n${USAGE}` : `unknown subcommand "${sub}"\n${USAGE}`)
      return 2
    }
  }
}

async function validate(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json')
  const unknownFlags = args.filter((a) => a.startsWith('--') && a !== '--json')
  const files = args.filter((a) => !a.startsWith('--'))
  if (unknownFlags.length > 0 || files.length !== 1) {
    io.stderr(`${unknownFlags.length > 0 ? `unknown option ${unknownFlags[0]}\n` : 'validate takes exactly one FILE\n'}${USAGE}`)
    return 2
  }
  const file = files[0] as string
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    io.stderr(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`)
    return 2
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch (e) {
    const errors = [{ path: '$', message: `not valid JSON: ${(e as Error).message}` }]
    io.stdout(json ? `${JSON.stringify({ file, valid: false, errors }, null, 2)}\n` : formatErrors(file, errors))
    return 1
  }
  const r = parsePolicy(doc)
  if (!r.ok) {
    io.stdout(json ? `${JSON.stringify({ file, valid: false, errors: r.errors }, null, 2)}\n` : formatErrors(file, r.errors))
    return 1
  }
  if (json) {
    io.stdout(`${JSON.stringify({ file, valid: true, policy: r.policy }, null, 2)}\n`)
  } else {
    const p = r.policy
    const positions = p.positions.length === 0 ? 'all positions' : `${p.positions.length} position${p.positions.length === 1 ? '' : 's'}`
    io.stdout(
      `✓ ${file} is a valid policy: mode ${p.mode}, ${positions}, caps ${pct(p.caps.perOperator)}/operator ${pct(p.caps.perService)}/service, ` +
        `min ${p.minOperatorsPerService} operators/service, risk budget ${pct(p.riskBudget)}/yr, leverage ≤ ${p.leverageCap}×\n`,
    )
  }
  return 0
}

async function schema(args: string[], io: CliIo): Promise<number> {
  let write = false
  let out = POLICY_SCHEMA_PATH
  for (let i = 0; i < args.length; i++) {
    const a = args[i]
    if (a === '--write') write = true
    else if (a === '--out' && args[i + 1] !== undefined) {
      out = args[++i] as string
      write = true
    } else {
      io.stderr(`unknown argument ${a}\n${USAGE}`)
      return 2
    }
  }
  const text = policySchemaText()
  if (!write) {
    io.stdout(text)
    return 0
  }
  try {
    await writeFile(out, text, 'utf8')
  } catch (e) {
    io.stderr(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`)
    return 2
  }
  io.stdout(`wrote ${out}\n`)
  return 0
}

function formatErrors(file: string, errors: { path: string; message: string }[]): string {
  const head = `✗ ${file}: ${errors.length} problem${errors.length === 1 ? '' : 's'}\n`
  return head + errors.map((e) => `  ${e.path}: ${e.message}\n`).join('')
}

function pct(f: number): string {
  return `${Number((f * 100).toFixed(4))} %`
}
