/**
 * Benchmarks: reading the default scenario's vault universe on a fresh local chain (HTTP round trips and wall time),
 * directly and through each provider profile of the provider-shaped proxy (requests, bytes, refusals, largest eth_call gas).
 */
import { privateKeyToAccount } from 'viem/accounts'
import { generatePrivateKey } from 'viem/accounts'
import { type AnvilNode, startAnvil } from '../../local/world/anvil.js'
import { connectLocal } from '../../local/world/chain.js'
import { ANVIL_DEPLOYER_KEY } from '../../local/world/index.js'
import { loadScenario } from '../../local/world/scenario.js'
import { seedScenario } from '../../local/world/seed.js'
import { deploySymbioticCore, installMulticall3 } from '../../local/world/symbiotic.js'
import { createReader } from '../../shared/chain/client.js'
import { type ReadSymbioticUniverseParameters, readSymbioticUniverse } from '../../shared/protocols/symbiotic/reader.js'
import { LOCAL_WORLD_LIMITS, type ProviderName, PROVIDER_PROFILES, providerProfile, startProviderProxy } from '../setup/providerProxy.js'

/** A fresh Anvil with Multicall3, the Symbiotic core and the default scenario; `run` gets the node and the reader's parameters. */
async function withSeededChain<T>(run: (anvil: AnvilNode, params: ReadSymbioticUniverseParameters) => Promise<T>): Promise<T> {
  const anvil = await startAnvil()
  try {
    const c = connectLocal(anvil.rpcUrl, anvil.chainId)
    const deployer = privateKeyToAccount(ANVIL_DEPLOYER_KEY)
    await installMulticall3(c, deployer)
    const core = await deploySymbioticCore(c, deployer)
    const seeded = await seedScenario(c, core, deployer, loadScenario('local/scenarios/default.json'), privateKeyToAccount(generatePrivateKey()))
    return await run(anvil, {
      operatorVaultOptInService: core.operatorVaultOptInService,
      operatorNetworkOptInService: core.operatorNetworkOptInService,
      vaults: seeded.vaults.map((v) => ({ address: v.address, stakerRewards: [v.stakerRewards] })),
      curator: seeded.curator.address,
    })
  } finally {
    await anvil.stop()
  }
}

/** Seeds the default scenario and reads it 10 times; reports round trips per read and median ms. */
export async function benchReadUniverse(): Promise<Record<string, unknown>> {
  return withSeededChain(async (anvil, params) => {
    let requests = 0
    const client = createReader({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, onRequest: () => requests++ })
    const times: number[] = []
    let universe: Awaited<ReturnType<typeof readSymbioticUniverse>> | undefined
    for (let i = 0; i < 10; i++) {
      const t = performance.now()
      universe = await readSymbioticUniverse(client, params)
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    return { operators: universe!.operators.length, services: universe!.services.length, roundTripsPerRead: requests / 10, medianMs: Number(times[5]!.toFixed(1)) }
  })
}

/**
 * One cold read (a new client: chain-id check included) of the default scenario through each provider profile, with
 * the profile's span/result caps scaled to the short local chain (`LOCAL_WORLD_LIMITS`, as the integration test), no periodic 429s: HTTP
 * requests, JSON-RPC items, bytes both ways, refusals survived, the largest eth_call gas, and wall time.
 */
export async function benchReadThroughProviders(): Promise<Record<string, unknown>> {
  return withSeededChain(async (anvil, params) => {
    const out: Record<string, unknown> = {}
    for (const name of Object.keys(PROVIDER_PROFILES) as ProviderName[]) {
      const proxy = await startProviderProxy({ target: anvil.rpcUrl, profile: providerProfile(name, { ...LOCAL_WORLD_LIMITS[name], http429Every: 0, item429Every: 0 }), measureCallGas: true })
      try {
        const t = performance.now()
        await readSymbioticUniverse(createReader({ rpcUrl: proxy.url, chainId: anvil.chainId, rpc: { batchSize: proxy.profile.maxBatch } }), params)
        const ms = performance.now() - t
        const s = proxy.stats()
        out[name] = { httpRequests: s.httpRequests, items: s.items, bytesIn: s.bytesIn, bytesOut: s.bytesOut, refused: s.refused, maxCallGas: Number(s.maxCallGas), ms: Number(ms.toFixed(1)) }
      } finally {
        await proxy.close()
      }
    }
    return out
  })
}
