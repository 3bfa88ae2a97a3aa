/** Benchmark: reading the default scenario's vault universe on a fresh local chain (HTTP round trips and wall time). */
import { privateKeyToAccount } from 'viem/accounts'
import { generatePrivateKey } from 'viem/accounts'
import { startAnvil } from '../../local/world/anvil.js'
import { connectLocal } from '../../local/world/chain.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { loadScenario } from '../../local/world/scenario.js'
import { seedScenario } from '../../local/world/seed.js'
import { deploySymbioticCore, installMulticall3 } from '../../local/world/symbiotic.js'
import { createReader } from '../../shared/chain/client.js'
import { type ReadSymbioticUniverseReturnType, readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'

/** Seeds the default scenario and reads it 10 times; reports round trips per read and median ms. */
export async function benchReadUniverse(): Promise<Record<string, unknown>> {
  const anvil = await startAnvil()
  try {
    const c = connectLocal(anvil.rpcUrl, anvil.chainId)
    const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
    await installMulticall3(c, deployer)
    const core = await deploySymbioticCore(c, deployer)
    const seeded = await seedScenario(c, core, deployer, loadScenario('local/scenarios/default.json'), privateKeyToAccount(generatePrivateKey()))
    let requests = 0
    const client = createReader({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, onRequest: () => requests++ })
    const params = { operatorVaultOptInService: core.operatorVaultOptInService, operatorNetworkOptInService: core.operatorNetworkOptInService, vaults: seeded.vaults.map((v) => ({ address: v.address, stakerRewards: [v.stakerRewards] })), curator: seeded.curator.address }
    const times: number[] = []
    let universe: ReadSymbioticUniverseReturnType | undefined
    for (let i = 0; i < 10; i++) {
      const t = performance.now()
      universe = await readSymbioticUniverse(client, params)
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    return { operators: universe!.operators.length, services: universe!.services.length, roundTripsPerRead: requests / 10, medianMs: Number(times[5]!.toFixed(1)) }
  } finally {
    await anvil.stop()
  }
}
