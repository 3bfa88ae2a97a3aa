/** Our hand-written Safe / MultiSend / Roles ABIs (the bot's view and the local world's full copy) and enums match the official artifacts shipped on npm. */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { type Abi, type AbiFunction, toFunctionSelector } from 'viem'
import { Status, encodeKey } from 'zodiac-roles-sdk'
import { Roles__factory } from 'zodiac-roles-sdk/typechain'
import { describe, expect, it } from 'vitest'
import * as full from '../../local/world/abis/safe.js'
import { multiSendAbi, rolesModifierAbi, safeAbi } from '../../shared/chain/safe/abis.js'
import { ROLES_STATUS, roleKeyLabel, roleKeyOf } from '../../shared/chain/safe/execWithRole.js'

const require = createRequire(import.meta.url)
const artifact = (path: string) => (JSON.parse(readFileSync(require.resolve(`@safe-global/safe-contracts/build/artifacts/contracts/${path}`), 'utf8')) as { abi: Abi }).abi
/** `name(types)` of every function and error of an ABI. */
const signatures = (abi: Abi, type: 'function' | 'error') => new Set(abi.filter((x) => x.type === type).map((x) => toFunctionSelector(x as AbiFunction) + (type === 'error' ? `:${(x as { name: string }).name}` : '')))
const outputs = (abi: Abi, name: string) => (abi.find((x) => x.type === 'function' && x.name === name) as AbiFunction).outputs.map((o) => o.type)

describe('DAO-mode ABIs', () => {
  it.each([
    ['Roles v2 (zodiac-roles-sdk typechain)', rolesModifierAbi, Roles__factory.abi as unknown as Abi],
    ['Safe 1.4.1', safeAbi, artifact('Safe.sol/Safe.json')],
    ['MultiSendCallOnly 1.4.1', multiSendAbi, artifact('libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json')],
    ['full local Roles v2', full.rolesModifierAbi, Roles__factory.abi as unknown as Abi],
    ['full local Safe 1.4.1', full.safeAbi, artifact('Safe.sol/Safe.json')],
    ['full local MultiSendCallOnly 1.4.1', full.multiSendAbi, artifact('libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json')],
  ])('every function and error of our %s ABI exists in the official one, with the same outputs', (_name, ours, official) => {
    const fns = signatures(official, 'function')
    for (const f of (ours as Abi).filter((x): x is AbiFunction => x.type === 'function')) {
      expect(fns.has(toFunctionSelector(f)), f.name).toBe(true)
      expect(outputs(ours as Abi, f.name)).toEqual(outputs(official, f.name))
    }
    const errs = signatures(official, 'error')
    for (const e of (ours as Abi).filter((x) => x.type === 'error')) expect(errs.has(`${toFunctionSelector(e as never)}:${e.name}`), e.name).toBe(true)
  })

  it('execTransactionWithRole has the Roles v2 signature', () => {
    expect(toFunctionSelector('execTransactionWithRole(address,uint256,bytes,uint8,bytes32,bool)')).toBe(toFunctionSelector(rolesModifierAbi.find((x) => x.type === 'function' && x.name === 'execTransactionWithRole') as AbiFunction))
  })

  it('ROLES_STATUS is the SDK Status enum, in order', () => {
    expect(ROLES_STATUS.map((name, i) => [i, name])).toEqual(ROLES_STATUS.map((_n, i) => [i, Status[i]]))
    expect(Status[ROLES_STATUS.length]).toBeUndefined()
  })

  it('roleKeyOf equals the SDK encodeKey; the label reads it back', () => {
    expect(roleKeyOf('restake-autopilot')).toBe(encodeKey('restake-autopilot'))
    expect(roleKeyLabel(roleKeyOf('restake-autopilot'))).toBe('"restake-autopilot"')
    expect(roleKeyLabel(`0x${'ff'.repeat(32)}`)).toBe(`0x${'ff'.repeat(32)}`)
  })
})
