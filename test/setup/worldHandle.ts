/** What a test sees of the shared local world: its config, addresses, and helpers for isolation (chain snapshots, fresh tables). */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { randomUUID } from 'node:crypto'
import type { Address, Hex } from 'viem'
import { inject } from 'vitest'
import { connectLocal, type LocalChain } from '../../local/world/chain.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import type { SeededSubnetwork } from '../../local/world/seed.js'
import type { SymbioticCore } from '../../local/world/symbiotic.js'
import { createTables } from '../../local/world/tables.js'
import type { Config } from '../../shared/config/config.js'
import { decodeJson } from '../../shared/store/client.js'
import { tableNames } from '../../shared/store/tables.js'

/** The world as provided by the globalSetup. */
export interface WorldHandle {
  config: Config
  curatorKey: Hex
  /** Our EigenLayer stakers' local keys by lower-case address (what EIGENLAYER_STAKER_KEYS carries). */
  eigenlayerStakerKeys: Record<string, Hex>
  core: SymbioticCore
  seeded: {
    token: Address
    curator: { address: Address }
    labels: Record<string, string>
    networks: { label: string; address: Address; middleware: Address; subnetworks: SeededSubnetwork[] }[]
    operators: { label: string; address: Address }[]
    vaults: { label: string; address: Address; delegator: Address; slasher: Address; stakerRewards: Address }[]
  }
}

/** Reads the shared world. */
export function world(): WorldHandle {
  return decodeJson<WorldHandle>(inject('world'))
}

/** Clients for the shared Anvil. */
export function chain(w: WorldHandle): LocalChain {
  return connectLocal(w.config.rpcUrl, w.config.chainId)
}

/** Creates a fresh set of tables (unique prefix) so tests never see each other's records; returns a config using them. */
export async function withFreshTables(w: WorldHandle): Promise<Config> {
  const tables = tableNames(`ra-t-${randomUUID().slice(0, 8)}`)
  const ddb = new DynamoDBClient({ ...LOCAL_AWS, endpoint: w.config.dynamoEndpoint })
  await createTables(ddb, tables)
  ddb.destroy()
  return { ...w.config, tables }
}

/** Takes an Anvil snapshot; the returned function reverts to it (so each test starts from the seeded chain). */
export async function snapshot(c: LocalChain): Promise<() => Promise<void>> {
  const id = await c.test.snapshot()
  return async () => {
    await c.test.revert({ id })
  }
}
