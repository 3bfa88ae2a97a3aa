/**
 * `autopilot init`: from "I curate vault 0x…" to a protocol config. Reads each vault (refusing what is not a supported
 * Symbiotic v1 vault, shared/protocols/symbiotic/validateVault.ts): version, delegator and slasher type, epoch,
 * collateral (symbol, decimals), active stake, and the DefaultStakerRewards contracts that pay it (the rewards
 * factory's entities whose `VAULT()` is the vault); checks which curator roles the signer or Safe holds; and writes a
 * protocol config that passes the config schema, with the chain's core addresses from a preset
 * (infra/examples/protocol.mainnet.json on chain 1, `--preset FILE` elsewhere). Read-only: nothing is signed or sent.
 */
import { writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type Address, erc20Abi } from 'viem'
import * as abis from '../world/abis/symbiotic.js'
import { createReader } from '../../shared/chain/client.js'
import { redactRpcUrl as redact } from '../../shared/chain/rpc/transport.js'
import { ProtocolConfigSchema } from '../../shared/config/config.js'
import { units } from '../../shared/domain/format.js'
import { CURATOR_ROLE_FLAGS, DELEGATOR_KINDS, NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_LIMIT_SET_ROLE, OPERATOR_NETWORK_SHARES_SET_ROLE, missingCuratorRoles } from '../../shared/protocols/symbiotic/roles.js'
import { type ValidatedVault, validateVaults } from '../../shared/protocols/symbiotic/validateVault.js'
import { type CliIo, CliUsageError, EXIT, InvalidInputError, fail, fitLines, parseArgs, readJson, stringFlag, toJson } from './common.js'

/** The mainnet preset (chain 1): Symbiotic core addresses and the deployment block. */
export const MAINNET_PRESET = fileURLToPath(new URL('../../infra/examples/protocol.mainnet.json', import.meta.url))

/** Help text of `autopilot init`. */
export const INIT_USAGE = `usage: autopilot init --rpc URL --vault 0x… [--vault 0x…]… [--signer 0x… | --safe 0x…] [--preset FILE] [--out FILE] [--json]

Reads each vault from the chain and writes a protocol config for it (what \`autopilot config push\` stores and
\`npm run synth\` validates): the chain's Symbiotic core addresses and first block from the preset, the vaults with
the DefaultStakerRewards contracts that pay them, and labels. Prints per vault its version, delegator and slasher
type, epoch, collateral and active stake, and which curator roles the signer (or the Safe, in DAO mode) holds and
which it lacks. A vault that does not exist, is not a Symbiotic vault, or has an unsupported version (Symbiotic v2
vaults, version 3) is refused by name and nothing is written. Read-only: nothing is signed or sent.

  --rpc URL          JSON-RPC endpoint of the chain the vaults are on
  --vault ADDR       a vault you curate (repeat for several)
  --signer ADDR      the address that will send the curator calls (the KMS key's address, docs/deploy.md)
  --safe ADDR        or the Safe that holds the curator roles (DAO mode, docs/dao.md)
  --preset FILE      core addresses for this chain: a protocol config whose "symbiotic" (with "stakerRewardsFactory"),
                     "fromBlock" and "confirmations" are used (default on chain 1: infra/examples/protocol.mainnet.json)
  --out FILE         write the config there (default: print it)
  --json             machine-readable output: { chainId, blockNumber, vaults, config }

Exit codes: 0 config written (missing roles are reported, not fatal) · 1 a vault refused, chain unreadable, bad preset · 2 usage`

const ZERO = '0x0000000000000000000000000000000000000000'
const ROLES = [
  ['networkLimitSet', NETWORK_LIMIT_SET_ROLE],
  ['operatorNetworkSharesSet', OPERATOR_NETWORK_SHARES_SET_ROLE],
  ['operatorNetworkLimitSet', OPERATOR_NETWORK_LIMIT_SET_ROLE],
] as const
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/

/** What `init` found about one vault. */
export interface InitVault extends ValidatedVault {
  delegatorKind: string
  slasherKind: 'none' | 'instant' | 'veto'
  vetoDurationSeconds?: number
  symbol: string
  decimals: number
  activeStake: bigint
  stakerRewards: Address[]
  /** Role name → held, for the checked address (absent without --signer/--safe). */
  roles?: Record<string, boolean>
  missingRoles?: string[]
}

/**
 * Runs `autopilot init …`.
 * @returns the exit code
 */
export async function initCommand(args: string[], io: CliIo): Promise<number> {
  try {
    // --vault repeats; the common parser keeps one value per flag, so the vaults are taken out first.
    const vaultArgs: string[] = []
    const rest: string[] = []
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!
      if (a === '--vault') {
        const v = args[++i]
        if (v === undefined || v.startsWith('--')) throw new CliUsageError('--vault needs a value')
        vaultArgs.push(v)
      } else if (a.startsWith('--vault=')) vaultArgs.push(a.slice('--vault='.length))
      else rest.push(a)
    }
    const p = parseArgs(rest, { rpc: 'string', signer: 'string', safe: 'string', preset: 'string', out: 'string', json: 'boolean' })
    if (p.help) {
      io.stdout(INIT_USAGE)
      return EXIT.ok
    }
    const rpcUrl = stringFlag(p, 'rpc', true)
    if (!/^https?:\/\//.test(rpcUrl)) throw new CliUsageError(`--rpc ${rpcUrl} is not an http(s) URL`)
    if (vaultArgs.length === 0) throw new CliUsageError('give at least one --vault ADDR')
    for (const v of vaultArgs) if (!ADDRESS_RE.test(v)) throw new CliUsageError(`--vault ${v} is not an address`)
    const signer = stringFlag(p, 'signer')
    const safe = stringFlag(p, 'safe')
    if (signer && safe) throw new CliUsageError('give --signer or --safe, not both')
    const who = (signer ?? safe) as Address | undefined
    if (who !== undefined && !ADDRESS_RE.test(who)) throw new CliUsageError(`--${signer ? 'signer' : 'safe'} ${who} is not an address`)
    const vaults = [...new Set(vaultArgs.map((v) => v.toLowerCase() as Address))]

    const probe = createReader({ rpcUrl, chainId: 1, timeoutMs: 10_000 })
    const chainId = await probe.getChainId().catch((cause: unknown) => {
      throw new InvalidInputError({ what: 'RPC endpoint', path: redact(rpcUrl), reason: `no answer to eth_chainId: ${(cause as Error).message.split('\n')[0]}` })
    })
    const presetPath = stringFlag(p, 'preset') ?? (chainId === 1 ? MAINNET_PRESET : undefined)
    if (!presetPath) throw new CliUsageError(`no preset for chain ${chainId}: give --preset FILE (a protocol config with the chain's Symbiotic core addresses, like infra/examples/protocol.mainnet.json)`)
    const preset = await readPreset(presetPath)
    const client = createReader({ rpcUrl, chainId })

    const blockNumber = await client.getBlockNumber()
    const found = await readVaults(client, { vaults, who, blockNumber, vaultFactory: preset.symbiotic.vaultFactory, stakerRewardsFactory: preset.symbiotic.stakerRewardsFactory })
    const labels: Record<string, string> = {}
    for (const v of found) {
      labels[v.collateral] = v.symbol
      labels[v.address] = `vault/${v.symbol}-${v.address.slice(2, 6)}`
    }
    const doc = {
      symbiotic: preset.symbiotic,
      vaults: found.map((v) => ({ address: v.address, stakerRewards: v.stakerRewards })),
      labels,
      fromBlock: preset.fromBlock.toString(),
      rewardLookbackDays: preset.rewardLookbackDays,
      confirmations: preset.confirmations,
    }
    const checked = ProtocolConfigSchema.safeParse(doc)
    if (!checked.success) throw new InvalidInputError({ what: 'generated config', path: presetPath, reason: checked.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ') })
    const out = stringFlag(p, 'out')
    if (out) await writeFile(out, toJson(doc))
    if (p.flags.json) {
      io.stdout(toJson({ chainId, blockNumber, checked: who ? { address: who, as: safe ? 'safe' : 'signer' } : null, vaults: found, config: doc, written: out ?? null }))
      return EXIT.ok
    }
    io.stdout(fitLines(describe({ chainId, blockNumber, rpcUrl, found, who, safe: safe !== undefined, presetPath })))
    io.stdout(out ? `\nWrote ${out}. Next: docs/deploy.md (point protocolConfigFile at it, or \`autopilot config push ${out}\`).\n` : `\nConfig (write it with --out FILE):\n${toJson(doc)}`)
    return EXIT.ok
  } catch (e) {
    return fail(e, io, INIT_USAGE)
  }
}

/** The preset's parts init copies: core addresses (a rewards factory is required), first block, confirmations. */
async function readPreset(path: string) {
  const raw = (await readJson(path, 'preset')) as Record<string, unknown>
  const parsed = ProtocolConfigSchema.safeParse(raw)
  if (!parsed.success) throw new InvalidInputError({ what: 'preset', path, reason: parsed.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ') })
  const { symbiotic, fromBlock, rewardLookbackDays, confirmations } = parsed.data
  if (!symbiotic.stakerRewardsFactory) throw new InvalidInputError({ what: 'preset', path, reason: '$.symbiotic.stakerRewardsFactory is missing: init finds the vaults’ DefaultStakerRewards among its entities' })
  return { symbiotic: { ...symbiotic, stakerRewardsFactory: symbiotic.stakerRewardsFactory }, fromBlock, rewardLookbackDays, confirmations }
}

/** Parameters of {@link readVaults}. */
export interface ReadVaultsParameters {
  vaults: readonly Address[]
  /** Whose curator roles to read. */
  who?: Address | undefined
  blockNumber: bigint
  vaultFactory?: Address | undefined
  stakerRewardsFactory: Address
}

/**
 * Validates and reads each vault, its delegator and slasher types, collateral, staker rewards and the curator roles of `who`.
 * @throws {InvalidVaultError} a vault that is not a supported Symbiotic vault
 */
export async function readVaults(client: ReturnType<typeof createReader>, p: ReadVaultsParameters): Promise<InitVault[]> {
  const { blockNumber } = p
  const multicall = (contracts: readonly unknown[]) => client.multicall({ contracts: contracts as never, allowFailure: true, blockNumber, batchSize: 200_000 }) as Promise<{ status: string; result?: unknown }[]>
  const [validated, [total]] = await Promise.all([
    validateVaults(client, { vaults: p.vaults, vaultFactory: p.vaultFactory, blockNumber }),
    multicall([{ address: p.stakerRewardsFactory, abi: abis.defaultStakerRewardsFactoryAbi, functionName: 'totalEntities' }]),
  ])
  if (total?.status !== 'success') throw new InvalidInputError({ what: 'preset', path: p.stakerRewardsFactory, reason: 'the stakerRewardsFactory does not answer totalEntities()' })
  const per = 6 + (p.who ? ROLES.length : 0)
  const details = await multicall(
    validated.flatMap((v) => [
      { address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'TYPE' },
      { address: v.slasher === ZERO ? v.delegator : v.slasher, abi: abis.slasherAbi, functionName: 'TYPE' },
      { address: v.slasher === ZERO ? v.delegator : v.slasher, abi: abis.vetoSlasherAbi, functionName: 'vetoDuration' },
      { address: v.collateral, abi: erc20Abi, functionName: 'symbol' },
      { address: v.collateral, abi: erc20Abi, functionName: 'decimals' },
      { address: v.address, abi: abis.vaultAbi, functionName: 'activeStake' },
      ...(p.who ? ROLES.map(([, role]) => ({ address: v.delegator, abi: abis.networkRestakeDelegatorAbi, functionName: 'hasRole', args: [role, p.who] })) : []),
    ]),
  )
  // The rewards factory's entities, then each one's vault: the DefaultStakerRewards that pay our vaults.
  const n = Number(total.result)
  const entities = (await multicall(Array.from({ length: n }, (_, i) => ({ address: p.stakerRewardsFactory, abi: abis.defaultStakerRewardsFactoryAbi, functionName: 'entity', args: [BigInt(i)] })))).map(
    (r) => String(r.result).toLowerCase() as Address,
  )
  const vaultOf = await multicall(entities.map((address) => ({ address, abi: abis.defaultStakerRewardsAbi, functionName: 'VAULT' })))
  return validated.map((v, i) => {
    const r = details.slice(i * per, i * per + per)
    const ok = (k: number) => r[k]?.status === 'success'
    const kind = DELEGATOR_KINDS[Number(r[0]?.result)] ?? `type ${String(r[0]?.result)}`
    const slasherKind = v.slasher === ZERO ? ('none' as const) : Number(r[1]?.result) === 1 ? ('veto' as const) : ('instant' as const)
    const roles = p.who ? Object.fromEntries(ROLES.map(([flag], k) => [flag, r[6 + k]?.result === true])) : undefined
    const found: InitVault = {
      ...v,
      delegatorKind: kind,
      slasherKind,
      ...(slasherKind === 'veto' && ok(2) ? { vetoDurationSeconds: Number(r[2]!.result) } : {}),
      symbol: ok(3) ? String(r[3]!.result) : v.collateral.slice(0, 10),
      decimals: ok(4) ? Number(r[4]!.result) : 18,
      activeStake: ok(5) ? (r[5]!.result as bigint) : 0n,
      stakerRewards: entities.filter((_, k) => String(vaultOf[k]?.result).toLowerCase() === v.address),
    }
    if (roles) {
      const held = roles as Record<keyof typeof CURATOR_ROLE_FLAGS, boolean>
      found.roles = Object.fromEntries(ROLES.map(([flag]) => [CURATOR_ROLE_FLAGS[flag], held[flag]]))
      found.missingRoles = missingCuratorRoles(kind, held)
    }
    return found
  })
}

/** Seconds as days (or hours below a day). */
function duration(s: number): string {
  return s >= 86_400 ? `${+(s / 86_400).toFixed(2)} d` : `${+(s / 3_600).toFixed(2)} h`
}

/** The human summary: one block per vault, then the roles. */
function describe(p: { chainId: number; blockNumber: bigint; rpcUrl: string; found: InitVault[]; who?: Address | undefined; safe: boolean; presetPath: string }): string {
  const lines = [`Read chain ${p.chainId} at block ${p.blockNumber} from ${redact(p.rpcUrl)}; core addresses from ${p.presetPath}.`]
  for (const v of p.found) {
    lines.push(
      '',
      `Vault ${v.address} (version ${v.version}${v.version === 2 ? ', tokenized' : ''})`,
      `  collateral: ${v.symbol} (${v.collateral}, ${v.decimals} decimals)`,
      `  active stake: ${units(v.activeStake, v.decimals)} ${v.symbol}`,
      `  delegator: ${v.delegatorKind} (${v.delegator})`,
      `  slasher: ${v.slasherKind === 'none' ? 'none: nothing can be slashed' : `${v.slasherKind}${v.vetoDurationSeconds !== undefined ? `, veto window ${duration(v.vetoDurationSeconds)}` : ''} (${v.slasher})`}`,
      `  epoch: ${duration(v.epochDuration)}`,
      `  staker rewards: ${v.stakerRewards.length ? v.stakerRewards.join(', ') : 'none found among the DefaultStakerRewards factory’s entities (reward rates read as 0)'}`,
    )
    if (v.delegatorKind === 'operator-network-specific') lines.push('  note: an operator-network-specific delegator has nothing a curator can set: the bot can only read it')
    if (p.who && v.roles) {
      const held = Object.entries(v.roles)
        .filter(([, h]) => h)
        .map(([n]) => n)
      lines.push(`  ${p.safe ? 'Safe' : 'signer'} ${p.who} holds ${held.length ? held.join(', ') : 'no curator role'}`)
      lines.push(
        v.missingRoles?.length
          ? `  MISSING: ${v.missingRoles.join(', ')} on ${v.delegator}: the vault admin grants ${v.missingRoles.length > 1 ? 'them' : 'it'} (grantRole), docs/deploy.md`
          : '  roles: every role this delegator needs is held',
      )
    }
  }
  if (!p.who) lines.push('', 'No --signer or --safe given: the curator roles were not checked.')
  if (p.safe) lines.push('', 'DAO mode: add "dao": { "safe", "rolesModifier", "roleKey" } to the config (docs/dao.md).')
  return lines.join('\n')
}
