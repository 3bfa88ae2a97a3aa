/** `autopilot init` usage errors (exit 2, before any chain is asked) and the mainnet preset it defaults to on chain 1. */
import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { EXIT } from '../../local/cli/common.js'
import { MAINNET_PRESET } from '../../local/cli/init.js'
import { ProtocolConfigSchema } from '../../shared/config/config.js'
import { runCli } from '../setup/cli.js'

const VAULT = '0x5fbdb2315678afecb367f032d93f642f64180aa3'

describe('autopilot init', () => {
  it.each([
    [['--rpc', 'http://127.0.0.1:1'], 'give at least one --vault ADDR'],
    [['--rpc', 'http://127.0.0.1:1', '--vault', '0x1234'], '--vault 0x1234 is not an address'],
    [['--rpc', 'http://127.0.0.1:1', '--vault'], '--vault needs a value'],
    [['--vault', VAULT], 'missing --rpc'],
    [['--rpc', 'ws://127.0.0.1:1', '--vault', VAULT], 'is not an http(s) URL'],
    [['--rpc', 'http://127.0.0.1:1', '--vault', VAULT, '--signer', VAULT, '--safe', VAULT], 'give --signer or --safe, not both'],
    [['--rpc', 'http://127.0.0.1:1', '--vault', VAULT, '--signer', 'me'], '--signer me is not an address'],
  ])('%j is a usage error', async (args, message) => {
    const r = await runCli('init', ...args)
    expect(r.code).toBe(EXIT.usage)
    expect(r.err).toContain(message)
    expect(r.err).toContain('usage: autopilot init')
  })

  it('--help and the command list', async () => {
    expect((await runCli('init', '--help')).out).toContain('Symbiotic v2')
    expect((await runCli('help')).out).toContain('autopilot init --rpc URL --vault ADDR')
  })

  it('an RPC that does not answer is a failed check naming it', async () => {
    const r = await runCli('init', '--rpc', 'http://127.0.0.1:1', '--vault', VAULT)
    expect(r.code).toBe(EXIT.failed)
    expect(r.err).toContain('InvalidInputError: Invalid RPC endpoint http://127.0.0.1:1')
  })

  it('the mainnet preset is a valid protocol config with the Symbiotic core addresses and the rewards factory', async () => {
    const preset = ProtocolConfigSchema.parse(JSON.parse(await readFile(MAINNET_PRESET, 'utf8')))
    expect(preset.symbiotic).toEqual({
      operatorVaultOptInService: '0xb361894bc06cbba7ea8098bf0e32eb1906a5f891',
      operatorNetworkOptInService: '0x7133415b33b438843d581013f98a08704316633c',
      vaultFactory: '0xaeb6bdd95c502390db8f52c8909f703e9af6a346',
      stakerRewardsFactory: '0xfeb871581c2ab2e1eee6f7ddc7e6246cfa087a23',
      networkRegistry: '0xc773b1011461e7314cf05f97d95aa8e92c1fd8aa',
      operatorRegistry: '0xad817a6bc954f678451a71363f04150fdd81af9f',
      networkMiddlewareService: '0xd7dc9b366c027743d90761f71858bca83c6899ad',
    })
    expect(preset.fromBlock).toBe(21_580_035n)
  })
})
