/** The `autopilot` CLI: dispatches sub-commands. Exit codes: 0 ok, 1 the command's check failed, 2 usage error. */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Address, Hex } from 'viem'
import { createReader } from '../../shared/chain/client.js'
import { roleKeyOf } from '../../shared/chain/safe/execWithRole.js'
import { proposalFiles, proposeBatch } from '../../shared/chain/safe/propose.js'
import { permissionsFromPolicy, readManagedDelegators } from '../../shared/chain/safe/rolesPermissions.js'
import { stakerSetupCalls } from '../../shared/protocols/eigenlayer/stakerRoles.js'
import { stakerRolePermissions } from './stakerRoles.js'
import { parseConfig } from '../../shared/config/config.js'
import { loadPolicyOrThrow } from '../../shared/domain/policy.js'
import { encodeJson } from '../../shared/store/client.js'
import { policyCommand } from './policy.js'

const HELP = `autopilot — restake-autopilot command line

Usage:
  autopilot policy validate FILE [--json]   check a policy; every error with its JSON path
  autopilot policy schema [--write]         print (or write) the policy JSON Schema
  autopilot policy push FILE | diff [FILE|N] | history | rollback N  [--json] [store flags] [--table NAME]
                                            the versioned policy store the functions read every run: push
                                            validates first; every version records who and when
  autopilot config push FILE | diff [FILE|N] | history | rollback N   the same for the protocol config
  autopilot dao permissions --policy FILE --config FILE [--member ADDR]… [--roles-modifier ADDR] [--role-key HEX] [--json] [--out DIR]
                                            print the Zodiac Roles scope generated from the policy for the DAO to
                                            review (reads the vaults from the chain); --out writes the apply batch
                                            (Safe Transaction Builder JSON + MultiSend) for the Safe's signers
  autopilot init --rpc URL --vault ADDR [--vault ADDR]… [--signer ADDR | --safe ADDR] [--preset FILE] [--out FILE] [--json]
                                            read your vaults and write a protocol config (core addresses from the
                                            mainnet preset or --preset); says which curator roles are missing
  autopilot plan --policy FILE --config FILE [--rpc URL] [--dry-run] [--json]
                                            read a live chain, print scores and the plan with reasons; sends nothing
  autopilot whatif --policy FILE --config FILE [--rpc URL] (--slash OP --fraction F | --deny-service S |
                  --deny-operator OP | --edited-policy FILE) [--json]
                                            plan today and under a hypothetical change: risk figures and moves
  autopilot runs [--kind K] [--limit N] [--json] [store flags]
                                            the newest recorded runs (rebalance, score, watch)
  autopilot runs yield --config FILE [--period day|week|month]
                                            realised yield and losses per period (chain time), beside the planned yield
  autopilot explain RUN [--json] [store flags]
                                            one run in full: decision, scores, plan, calls with reasons and tx hashes
  autopilot console (--stack NAME | --tables LIST) [--region R] [--config FILE --policy FILE] [--port N]
                                            the dashboard on 127.0.0.1 against the deployed tables, with your
                                            AWS credentials; pause / resume / de-risk with a confirmation step
  autopilot backtest --scenario FILE --policy FILE [--baseline even|hold] [--html OUT] [--json]
                                            replay a scenario timeline: the autopilot vs a static baseline, read from chain
  autopilot COMMAND --help                  help of one command (store flags: see autopilot runs --help)
  autopilot help                            this text

Exit codes: 0 ok · 1 invalid input / check failed · 2 usage error`

/** Runs the CLI with `args`; returns the exit code. */
export async function main(args: string[], io = { stdout: (s: string) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`), stderr: (s: string) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`) }): Promise<number> {
  const [command, ...rest] = args
  switch (command) {
    case 'policy':
      return policyCommand(rest, io)
    case 'config': {
      const { versionsCommand, versionsUsage } = await import('./versions.js')
      const code = rest[0] === undefined ? undefined : await versionsCommand('config', rest[0], rest.slice(1), io)
      if (code !== undefined) return code
      if (rest[0] === 'help' || rest[0] === '--help' || rest[0] === '-h') {
        io.stdout(versionsUsage('config'))
        return 0
      }
      io.stderr(`${rest[0] === undefined ? 'missing subcommand' : `unknown subcommand "${rest[0]}"`}\n${versionsUsage('config')}`)
      return 2
    }
    case 'dao':
      return daoCommand(rest, io)
    case 'init':
      return (await import('./init.js')).initCommand(rest, io)
    case 'plan':
      return (await import('./plan.js')).planCommand(rest, io)
    case 'whatif':
      return (await import('./whatif.js')).whatifCommand(rest, io)
    case 'runs':
      return (await import('./runs.js')).runsCommand(rest, io)
    case 'explain':
      return (await import('./explain.js')).explainCommand(rest, io)
    case 'console':
      return (await import('./console.js')).consoleCommand(rest, io)
    case 'backtest':
      return (await import('./backtest.js')).backtestCommand(rest, io)
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

/** `autopilot dao permissions …`: the role's scope from the policy, read against the chain the config points at. */
async function daoCommand(args: string[], io: { stdout: (s: string) => void; stderr: (s: string) => void }): Promise<number> {
  const [sub, ...rest] = args
  const flag = (name: string) => rest.flatMap((a, i) => (a === name && rest[i + 1] !== undefined ? [rest[i + 1]!] : []))
  const [policyPath] = flag('--policy')
  const [configPath] = flag('--config')
  if (sub !== 'permissions' || !policyPath || !configPath) {
    io.stderr('usage: autopilot dao permissions --policy FILE --config FILE [--member ADDR]… [--roles-modifier ADDR] [--role-key HEX] [--json] [--out DIR]')
    return 2
  }
  try {
    const policy = loadPolicyOrThrow(JSON.parse(await readFile(policyPath, 'utf8')))
    const config = parseConfig(JSON.parse(await readFile(configPath, 'utf8')))
    const rolesModifier = (flag('--roles-modifier')[0] ?? config.dao?.rolesModifier) as Address | undefined
    const roleKey = (flag('--role-key')[0] ?? config.dao?.roleKey ?? roleKeyOf('restake-autopilot')) as Hex
    const client = createReader({ rpcUrl: config.rpcUrl, rpcUrls: config.rpcUrls, chainId: config.chainId, rpc: config.rpc })
    const members = flag('--member') as Address[]
    const [out] = flag('--out')
    // EigenLayer staker Safes (config stakers with `roles`): their roles and the setup batch each Safe's owners sign.
    const stakers = await stakerRolePermissions(client, config, policy, members)
    if (!rolesModifier && stakers.length === 0) {
      io.stderr('no Roles modifier: give --roles-modifier, a "dao" section, or EigenLayer stakers with "roles" in the config')
      return 2
    }
    if (!rest.includes('--json')) for (const sp of stakers) io.stdout(sp.listing)
    for (const sp of stakers) {
      if (!out) continue
      const batch = proposeBatch(stakerSetupCalls(sp), {
        safe: sp.safe,
        chainId: config.chainId,
        createdAt: Date.now(),
        multiSendCallOnly: config.dao?.multiSendCallOnly,
        name: 'restake-autopilot: set up an EigenLayer staker Safe',
        summary: `Enable Roles ${sp.rolesModifier} on staker Safe ${sp.safe} and scope role ${sp.roleKey}`,
      })
      const name = `setup-staker-${sp.safe}`
      await mkdir(out, { recursive: true })
      for (const f of proposalFiles(name, batch)) await writeFile(join(out, f.name), f.content)
      io.stderr(`wrote the staker Safe's setup batch to ${out}/${name}.{safe-tx-builder.json,multisend.json,md}`)
    }
    const stakerJson = stakers.map((sp) => ({ ...sp, calls: stakerSetupCalls(sp).map((c) => ({ to: c.address, functionName: c.functionName, args: c.args, description: c.description })) }))
    if (!rolesModifier) {
      if (rest.includes('--json')) io.stdout(encodeJson({ stakers: stakerJson }))
      return 0
    }
    const { delegators, blockNumber } = await readManagedDelegators(client, {
      ...config.symbiotic,
      vaults: config.vaults,
      curator: config.dao?.safe ?? '0x0000000000000000000000000000000000000000',
      labels: config.labels,
      fromBlock: config.fromBlock,
    })
    const perms = permissionsFromPolicy(policy, delegators, { roleKey, rolesModifier, members, labels: config.labels, fallbackSource: `read at block ${blockNumber}` })
    if (rest.includes('--json')) io.stdout(encodeJson({ ...perms, calls: perms.calls.map((c) => ({ to: c.address, functionName: c.functionName, args: c.args, description: c.description })), stakers: stakerJson }))
    else io.stdout(perms.listing)
    if (out) {
      const batch = proposeBatch(perms.calls, {
        safe: config.dao?.safe,
        chainId: config.chainId,
        createdAt: Date.now(),
        multiSendCallOnly: config.dao?.multiSendCallOnly,
        name: 'restake-autopilot: apply the Roles scope',
        explanations: perms.calls.map((c) => ({ description: c.description })),
        summary: `Scope role ${roleKey} on ${rolesModifier} from the policy (block ${blockNumber})`,
      })
      await mkdir(out, { recursive: true })
      for (const f of proposalFiles('apply-roles-scope', batch)) await writeFile(join(out, f.name), f.content)
      io.stderr(`wrote the apply batch to ${out}/apply-roles-scope.{safe-tx-builder.json,multisend.json,md}`)
    }
    return 0
  } catch (e) {
    io.stderr(`${(e as Error).name}: ${(e as Error).message}`)
    return 1
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2))
}
