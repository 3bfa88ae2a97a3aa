/**
 * The Symbiotic reader through the chain sync: the universe read from the `chainLogs` store equals the direct read
 * (eth_getLogs from fromBlock to the head) on the seeded world; a source that lacks a contract, or lags, is refused by name.
 */
import { type Address, zeroAddress } from 'viem'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createReader } from '../../shared/chain/client.js'
import { type ReadSymbioticUniverseParameters, SYMBIOTIC_EVENTS, readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'
import { defineSource, storedLogs, syncSource } from '../../shared/chain/sync/index.js'
import { LOCAL_AWS } from '../../local/world/dynamo.js'
import { ChainLogStore } from '../../shared/store/chainLogs.js'
import { createDocumentClient } from '../../shared/store/client.js'
import { chain, snapshot, withFreshTables, world } from '../setup/worldHandle.js'

const w = world()
const c = chain(w)
const client = createReader({ rpcUrl: w.config.rpcUrl, chainId: w.config.chainId })
const confirmations = w.config.confirmations
let store: ChainLogStore
let restore: () => Promise<void>

// The reader's contracts: each vault's delegator and slasher, its staker rewards, and the operator→vault opt-in service.
const params: ReadSymbioticUniverseParameters = { ...w.config.symbiotic, vaults: w.config.vaults, curator: w.seeded.curator.address, labels: w.config.labels, fromBlock: w.config.fromBlock }
const addresses: Address[] = [...w.seeded.vaults.flatMap((v) => [v.delegator, v.slasher].filter((a) => a !== zeroAddress)), ...w.config.vaults.flatMap((v) => v.stakerRewards), w.config.symbiotic.operatorVaultOptInService]
const source = (name: string, only: Address[] = addresses) => defineSource({ name, chainId: w.config.chainId, addresses: only, events: Object.values(SYMBIOTIC_EVENTS), fromBlock: w.config.fromBlock })

beforeAll(async () => {
  const config = await withFreshTables(w)
  store = new ChainLogStore({ client: createDocumentClient({ ...LOCAL_AWS, endpoint: config.dynamoEndpoint }), tableName: config.tables.chainLogs })
  restore = await snapshot(c)
  // The sync stops `confirmations` blocks behind the head: mine them empty so both reads see the same events.
  await c.test.mine({ blocks: confirmations })
})

afterAll(async () => {
  await restore()
})

describe('readSymbioticUniverse with events from the chain sync', () => {
  it('equals the direct read (slashes, reward rates, limits, opt-ins)', async () => {
    const s = source('symbiotic')
    const sync = await syncSource({ client, store }, s, { confirmations, chunkBlocks: 500 })
    expect(sync.complete).toBe(true)
    expect(sync.stored).toBeGreaterThan(0)
    const direct = await readSymbioticUniverse(client, params)
    const viaSync = await readSymbioticUniverse(client, { ...params, events: async () => storedLogs(store, s, { maxLagBlocks: BigInt(confirmations) }) })
    expect(viaSync).toEqual(direct)
    // Not vacuous: the seeded history has slashes and rewards, and the universe has every operator and service.
    expect(direct.services.some((x) => x.slashes.length > 0)).toBe(true)
    expect(direct.services.some((x) => x.rewardRatePerYear > 0)).toBe(true)
    expect(direct.operators.length).toBeGreaterThan(0)
  })

  it('a source without a vault’s slasher, or one that has not synced, is refused by name', async () => {
    const slasher = w.seeded.vaults[0]!.slasher
    const partial = source(
      'symbiotic-no-slasher',
      addresses.filter((a) => a !== slasher),
    )
    await syncSource({ client, store }, partial, { confirmations, chunkBlocks: 500 })
    await expect(readSymbioticUniverse(client, { ...params, events: async () => storedLogs(store, partial, { maxLagBlocks: BigInt(confirmations) }) })).rejects.toMatchObject({
      name: 'SyncCoverageError',
      message: expect.stringContaining(`address ${slasher.toLowerCase()}`),
    })
    const never = source('symbiotic-never-synced')
    await expect(readSymbioticUniverse(client, { ...params, events: async () => storedLogs(store, never, { maxLagBlocks: BigInt(confirmations) }) })).rejects.toMatchObject({
      name: 'SyncBehindError',
      message: expect.stringMatching(/has synced nothing yet \(it starts at block \d+\); a read at block \d+ allows at most \d+ blocks of lag/),
    })
  })
})
