/** The Symbiotic reader on the real core: three round trips plus the chain sync's, reward rates and slashes derived from chain events. */
import { describe, expect, it } from 'vitest'
import { readFileSync } from 'node:fs'
import { createReader } from '../../shared/chain/client.js'
import { memoryChainSync } from '../../shared/chain/sync/index.js'
import { readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'
import { symbioticEvents } from '../../shared/protocols/symbiotic/source.js'
import { ScenarioSchema } from '../../local/world/scenario.js'
import { world } from '../setup/worldHandle.js'

const w = world()
const scenario = ScenarioSchema.parse(JSON.parse(readFileSync('local/scenarios/default.json', 'utf8')))

describe('readSymbioticUniverse', () => {
  it('reads the whole vault universe in at most 5 HTTP round trips once its logs are synced (3 for state, ≤ 2 for the sync)', async () => {
    let requests = 0
    const client = createReader({ rpcUrl: w.config.rpcUrl, chainId: w.config.chainId, onRequest: () => requests++ })
    const events = symbioticEvents(client, memoryChainSync(), { chainId: w.config.chainId, fromBlock: w.config.fromBlock })
    const params = { ...w.config.symbiotic, vaults: w.config.vaults, curator: w.seeded.curator.address, labels: w.config.labels, events }
    const first = await readSymbioticUniverse(client, params)
    requests = 0
    const u = await readSymbioticUniverse(client, params)
    expect(requests).toBeLessThanOrEqual(5)
    expect(u).toEqual(first)
    expect(u.positions).toHaveLength(1)
    expect(u.operators).toHaveLength(scenario.operators.length)
    expect(u.services).toHaveLength(scenario.networks.length)
    expect(u.positions[0]!.symbiotic?.roles).toEqual({ networkLimitSet: true, operatorNetworkSharesSet: true, operatorNetworkLimitSet: false })
  })

  it('derives each network reward rate from DistributeRewards events and slash history from Slash events', async () => {
    const client = createReader({ rpcUrl: w.config.rpcUrl, chainId: w.config.chainId })
    const u = await readSymbioticUniverse(client, { ...w.config.symbiotic, vaults: w.config.vaults, curator: w.seeded.curator.address, labels: w.config.labels })
    for (const net of scenario.networks) {
      const service = u.services.find((s) => s.label === `${net.label}/0`)!
      expect(service.rewardRatePerYear).toBeCloseTo(net.subnetworks[0]!.rewardRatePerYear, 4)
      const expectedSlashes = scenario.history.slashes.filter((s) => s.network === net.label)
      expect(service.slashes).toHaveLength(expectedSlashes.length)
      for (const s of service.slashes) {
        const scen = expectedSlashes.find((e) => w.seeded.operators.find((o) => o.label === e.operator)!.address.toLowerCase() === s.operator)!
        expect(scen).toBeDefined()
        expect(Number(s.amount) / Number(s.stakeAtCapture)).toBeCloseTo(expectedSlashes.find((e) => Math.abs(Number(s.amount) / Number(s.stakeAtCapture) - e.fraction) < 1e-6)?.fraction ?? -1, 6)
      }
    }
  })
})
