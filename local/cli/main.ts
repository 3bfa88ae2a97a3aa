/** The `autopilot` CLI: dispatches sub-commands. Exit codes: 0 ok, 1 the command's check failed, 2 usage error. */
import { fileURLToPath } from 'node:url'
import { policyCommand } from './policy.js'

const HELP = `autopilot — restake-autopilot command line

Usage:
  autopilot policy validate FILE [--json]   check a policy; every error with its JSON path
  autopilot policy schema [--write]         print (or write) the policy JSON Schema
  autopilot help                            this text

Exit codes: 0 ok · 1 invalid input / check failed · 2 usage error`

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[], io = { stdout: (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`), stderr: (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`) }): Promise<number> {
  const [command, ...rest] = args
  switch (command) {
    case 'policy':
      return policyCommand(rest, io)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.stdout(HELP)
      return command === undefined ? 2 : 0
    default:
      io.stderr(`unknown command "${command}"\n\n${HELP}`)
      return 2
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2))
}
