/**
 * Stake of vaults we only read (config `extraVaults`) on the services our vaults secure, per (service, operator), for
 * the security figures (σ_{N(s)}, docs/risk.md): a service's security is then not judged from our vaults alone.
 * The vaults are validated like ours (validateVault.ts); their operators are those that opted into them (`OptIn`
 * logs of the operator→vault opt-in service); their stakes are read with `delegator.stake(subnetwork, operator)` at
 * the universe's block in one multicall. Nothing here is planned or sent to.
 */
import { type AbiEvent, type Address, type Log, type PublicClient, parseEventLogs } from 'viem'
import type { ExternalStake, Universe } from '../../domain/types.js'
import { networkRestakeDelegatorAbi } from './abis.js'
import type { LogQuery } from '../../chain/sync/index.js'
import { SYMBIOTIC_EVENTS } from './source.js'
import { validateVaults } from './validateVault.js'

/** Parameters of {@link readExternalStake}. */
export interface ReadExternalStakeParameters {
  /** The vaults read for the security figures only. */
  vaults: readonly Address[]
  /** The core's operator→vault opt-in service (its `OptIn` logs name each vault's operators). */
  operatorVaultOptInService: Address
  /** The universe our vaults were read into: its services and block. */
  universe: Pick<Universe, 'services' | 'positions' | 'blockNumber'>
  /** First block to scan for opt-ins (the core's deployment block). */
  fromBlock?: bigint | undefined
  /** The core's VaultFactory (a vault it did not create is refused). */
  vaultFactory?: Address | undefined
  /** Where the `OptIn` logs come from: the chain sync's store of the Symbiotic source the reader used (docs/sync.md). */
  events: LogQuery
}

/** Return type of {@link readExternalStake}: positive stakes, sorted by (service, operator). */
export type ReadExternalStakeReturnType = ExternalStake[]

const lower = (a: string) => a.toLowerCase() as Address

/**
 * Reads the extra vaults' stake on our universe's Symbiotic services.
 * @example universe.externalStake = await readExternalStake(client, { vaults: config.extraVaults, operatorVaultOptInService, universe })
 * @throws {InvalidVaultError} an extra vault that is not a supported Symbiotic vault (validateVault.ts)
 */
export async function readExternalStake(client: PublicClient, p: ReadExternalStakeParameters): Promise<ReadExternalStakeReturnType> {
  const ours = new Set(p.universe.positions.map((x) => x.id.toLowerCase()))
  const vaults = [...new Set(p.vaults.map(lower))].filter((v) => !ours.has(v))
  const services = p.universe.services.filter((s) => s.protocol === 'symbiotic').map((s) => s.id)
  if (vaults.length === 0 || services.length === 0) return []
  const blockNumber = p.universe.blockNumber
  const fromBlock = p.fromBlock ?? 0n
  const event = SYMBIOTIC_EVENTS.OptIn
  const [structure, logs] = await Promise.all([
    validateVaults(client, { vaults, vaultFactory: p.vaultFactory, blockNumber }),
    p.events({ address: [p.operatorVaultOptInService], event, toBlock: blockNumber }).then((ls) => ls.filter((l) => l.blockNumber >= fromBlock && l.blockNumber <= blockNumber)),
  ])
  const optIns = parseEventLogs({ abi: [event] as AbiEvent[], logs: logs as Log[], strict: true }) as unknown as { args: { who: Address; where: Address } }[]
  const calls = structure.flatMap((v) => {
    const operators = [...new Set(optIns.filter((l) => lower(l.args.where) === v.address).map((l) => lower(l.args.who)))].sort()
    return services.flatMap((sn) => operators.map((op) => ({ service: sn, operator: op, call: { address: v.delegator, abi: networkRestakeDelegatorAbi, functionName: 'stake', args: [sn, op] } })))
  })
  if (calls.length === 0) return []
  const out = (await client.multicall({ contracts: calls.map((c) => c.call) as never, allowFailure: false, blockNumber, batchSize: 200_000 })) as bigint[]
  const sum = new Map<string, bigint>()
  calls.forEach((c, i) => {
    const k = `${c.service}|${c.operator}`
    sum.set(k, (sum.get(k) ?? 0n) + out[i]!)
  })
  return [...sum.entries()]
    .filter(([, stake]) => stake > 0n)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, stake]) => {
      const [service, operator] = k.split('|') as [ExternalStake['service'], Address]
      return { service, operator, stake }
    })
}

/** The config fields {@link withExternalStake} reads. */
export interface ExternalStakeConfig {
  symbiotic: { operatorVaultOptInService: Address; vaultFactory?: Address | undefined }
  extraVaults?: readonly Address[] | undefined
  fromBlock?: bigint | undefined
}

/**
 * `universe` with `externalStake` read from the config's `extraVaults` (unchanged when there are none): the reader's hook.
 * @throws {InvalidVaultError} an extra vault that is not a supported Symbiotic vault
 */
export async function withExternalStake<U extends Pick<Universe, 'services' | 'positions' | 'blockNumber' | 'externalStake'>>(client: PublicClient, universe: U, config: ExternalStakeConfig, events: LogQuery): Promise<U> {
  if (!config.extraVaults?.length) return universe
  const externalStake = await readExternalStake(client, { ...config.symbiotic, vaults: config.extraVaults, universe, fromBlock: config.fromBlock, events })
  return { ...universe, externalStake }
}
