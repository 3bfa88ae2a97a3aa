/**
 * Synth refuses settings that validate but cannot be meant for a deploy (issue 17 §3): the example files' placeholder
 * vault, and a policy position naming no vault of the protocol config.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONTEXT_PREFIX, StackParameterError, parametersFromContext } from '../../infra/params.js'
import { cdkJsonContext } from './synth.js'

/** parametersFromContext over cdk.json's context plus `overrides` (keys without the prefix). */
const params = (overrides: Record<string, unknown> = {}) => {
  const ctx: Record<string, unknown> = { ...cdkJsonContext(), ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`${CONTEXT_PREFIX}${k}`, v])) }
  return parametersFromContext((k) => ctx[k])
}

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ra-params-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('synth refuses obvious mistakes', () => {
  it('the example files as they are (npm run synth with cdk.json): the placeholder vault, by file and path', () => {
    expect(() => params()).toThrow(StackParameterError)
    expect(() => params()).toThrow('infra/examples/protocol.example.json $.vaults[0].address is the placeholder 0x1111111111111111111111111111111111111111 of the example files')
    expect(() => params()).toThrow('infra/examples/policy.example.json $.positions[0].vault is the placeholder')
    expect(() => params({ protocolConfigFile: 'infra/examples/protocol.eigenlayer.example.json' })).toThrow('$.eigenlayer.positions[0].stakers[0].address is the placeholder 0x2222222222222222222222222222222222222222')
    // Allowed explicitly (a look at the template; the infra tests do this).
    expect(params({ allowExampleAddresses: true }).policy.positions).toHaveLength(1)
  })

  it('a policy position that names no vault of the protocol config', async () => {
    const protocol = JSON.parse(await readFile('infra/examples/protocol.example.json', 'utf8')) as { vaults: { address: string }[] }
    protocol.vaults[0]!.address = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
    const policy = JSON.parse(await readFile('infra/examples/policy.example.json', 'utf8')) as { positions: { vault: string }[] }
    policy.positions[0]!.vault = '0xe7f1725e7734ce288f8367e1bb143e90bb3f0512'
    await writeFile(join(dir, 'protocol.json'), JSON.stringify(protocol))
    await writeFile(join(dir, 'policy.json'), JSON.stringify(policy))
    const files = { protocolConfigFile: join(dir, 'protocol.json'), policyFile: join(dir, 'policy.json') }
    expect(() => params(files)).toThrow(`$.positions names 0xe7f1725e7734ce288f8367e1bb143e90bb3f0512, not a vault or position of ${files.protocolConfigFile}`)
    policy.positions[0]!.vault = protocol.vaults[0]!.address
    await writeFile(join(dir, 'policy.json'), JSON.stringify(policy))
    expect(params(files).policy.positions[0]!.vault).toBe(protocol.vaults[0]!.address)
  })

  it('the mainnet preset: accepted once the curator names a vault (the placeholder refused until then); an extra vault that is also ours is refused', async () => {
    const mainnet = { protocolConfigFile: 'infra/examples/protocol.mainnet.json' }
    expect(() => params(mainnet)).toThrow('infra/examples/protocol.mainnet.json $.vaults[0].address is the placeholder 0x1111111111111111111111111111111111111111')
    const protocol = JSON.parse(await readFile(mainnet.protocolConfigFile, 'utf8')) as { vaults: { address: string }[]; extraVaults: string[]; fromBlock: string; eigenlayer: unknown }
    const policy = JSON.parse(await readFile('infra/examples/policy.example.json', 'utf8')) as { positions: { vault: string }[] }
    protocol.vaults[0]!.address = '0x5fbdb2315678afecb367f032d93f642f64180aa3'
    policy.positions[0]!.vault = protocol.vaults[0]!.address
    await writeFile(join(dir, 'mainnet.json'), JSON.stringify(protocol))
    await writeFile(join(dir, 'mainnet-policy.json'), JSON.stringify(policy))
    const files = { protocolConfigFile: join(dir, 'mainnet.json'), policyFile: join(dir, 'mainnet-policy.json') }
    // The EigenLayer section's placeholder staker Safes and Roles modifiers are refused by name until replaced (or the section deleted).
    expect(() => params(files)).toThrow('$.eigenlayer.positions[0].stakers[0].roles.rolesModifier is the placeholder 0x3333333333333333333333333333333333333333')
    const el = protocol.eigenlayer as { positions: { stakers: { address: string; roles: { rolesModifier: string } }[] }[] }
    el.positions[0]!.stakers.forEach((st, j) => {
      st.address = `0x5fbdb2315678afecb367f032d93f642f64180ab${j}`
      st.roles.rolesModifier = `0x5fbdb2315678afecb367f032d93f642f64180ac${j}`
    })
    await writeFile(join(dir, 'mainnet.json'), JSON.stringify(protocol))
    const ok = params(files).protocol as { symbiotic: Record<string, string>; fromBlock: string; eigenlayer: { delegationManager: string; fromBlock: number } }
    expect(ok.eigenlayer.delegationManager).toBe('0x39053d51b77dc0d36036fc1fcc8cb819df8ef37a')
    expect(ok.eigenlayer.fromBlock).toBe(17445564)
    expect(ok.symbiotic.vaultFactory).toBe('0xaeb6bdd95c502390db8f52c8909f703e9af6a346')
    expect(ok.symbiotic.stakerRewardsFactory).toBe('0xfeb871581c2ab2e1eee6f7ddc7e6246cfa087a23')
    expect(ok.fromBlock).toBe('21580035')
    protocol.extraVaults = [protocol.vaults[0]!.address]
    await writeFile(join(dir, 'mainnet.json'), JSON.stringify(protocol))
    expect(() => params(files)).toThrow('$.extraVaults[0] 0x5fbdb2315678afecb367f032d93f642f64180aa3 is also in $.vaults')
  })
})
