/** vitest globalSetup: starts one local world (Anvil + Symbiotic + DynamoDB Local) per test run and stops it afterwards. */
import type { TestProject } from 'vitest/node'
import { startWorld, type World } from '../../local/world/index.js'
import { encodeJson } from '../../shared/store/client.js'

let world: World | undefined

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  world = await startWorld({ scenarioPath: 'local/scenarios/default.json', tablePrefix: 'ra-test' })
  project.provide(
    'world',
    encodeJson({
      config: world.config,
      curatorKey: world.curatorKey,
      eigenlayerStakerKeys: world.eigenlayerStakerKeys,
      seeded: {
        ...world.seeded,
        curator: { address: world.seeded.curator.address },
        networks: world.seeded.networks.map((n) => ({ label: n.label, address: n.address, middleware: n.middleware.address, subnetworks: n.subnetworks })),
        operators: world.seeded.operators.map((o) => ({ label: o.label, address: o.address })),
        vaults: world.seeded.vaults.map((v) => ({ ...v, depositors: [] })),
      },
      core: world.core,
    }),
  )
  return async () => {
    await world?.stop()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    world: string
  }
}
