/** propose mode's encodings (Transaction Builder batch, MultiSendCallOnly) and the role wrapper, without a chain. */
import { decodeFunctionData, encodeErrorResult, encodeFunctionData, getAddress } from 'viem'
import { describe, expect, it } from 'vitest'
import { fullRestakeDelegatorAbi, networkRestakeDelegatorAbi } from '../../shared/protocols/symbiotic/abis.js'
import type { PlannedCall } from '../../shared/execution/types.js'
import { MULTI_SEND_CALL_ONLY_141, rolesModifierAbi } from '../../shared/chain/safe/abis.js'
import { ProposalDecodeError, UnproposableCallError } from '../../shared/chain/safe/errors.js'
import { decodeRolesRevert, roleKeyOf, wrapWithRole } from '../../shared/chain/safe/execWithRole.js'
import { batchChecksum, decodeMultiSend, decodeProposal, encodeMultiSend, proposalFiles, proposeBatch } from '../../shared/chain/safe/propose.js'
import { permissionsFromPolicy } from '../../shared/chain/safe/rolesPermissions.js'
import { loadPolicyOrThrow } from '../../shared/domain/index.js'
import { addr, svc } from './fixtures.js'

const safe = getAddress(addr(5))
const calls: PlannedCall[] = [
  { address: addr(1), abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [svc(2), 0n], description: 'setNetworkLimit(net-2): 4000 → 0' },
  { address: addr(1), abi: networkRestakeDelegatorAbi, functionName: 'setOperatorNetworkShares', args: [svc(3), addr(7), 1234567890123456789012n], description: 'setOperatorNetworkShares(net-3 for op-7): 0 → 1234.56…' },
  { address: addr(4), abi: fullRestakeDelegatorAbi, functionName: 'setOperatorNetworkLimit', args: [svc(3), addr(7), 5n], description: 'setOperatorNetworkLimit(net-3 for op-7): 9 → 5' },
]
const explanations = calls.map((c, i) => ({ description: c.description, reasons: [`reason ${i}a`, `reason ${i}b`] }))
const propose = () => proposeBatch(calls, { safe, chainId: 1, createdAt: 1_750_000_000_000, explanations })
const norm = (xs: readonly unknown[]) => xs.map((x) => (typeof x === 'string' ? x.toLowerCase() : x))

describe('proposeBatch / decodeProposal', () => {
  it('writes a Transaction Builder batch whose every transaction carries method, values and calldata', () => {
    const { batch, transactionBuilderJson } = propose()
    expect(JSON.parse(transactionBuilderJson)).toEqual(batch)
    expect(batch).toMatchObject({ version: '1.0', chainId: '1', createdAt: 1_750_000_000_000, meta: { createdFromSafeAddress: safe, createdFromOwnerAddress: '', txBuilderVersion: '1.16.5' } })
    expect(batch.transactions[1]).toEqual({
      to: getAddress(addr(1)),
      value: '0',
      data: encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setOperatorNetworkShares', args: [svc(3), addr(7), 1234567890123456789012n] }),
      contractMethod: {
        name: 'setOperatorNetworkShares',
        payable: false,
        inputs: [
          { internalType: 'bytes32', name: 'subnetwork', type: 'bytes32' },
          { internalType: 'address', name: 'operator', type: 'address' },
          { internalType: 'uint256', name: 'shares', type: 'uint256' },
        ],
      },
      contractInputsValues: { subnetwork: svc(3), operator: addr(7), shares: '1234567890123456789012' },
    })
    for (const e of explanations) {
      expect(batch.meta.description).toContain(e.description)
      for (const r of e.reasons) expect(batch.meta.description).toContain(r)
    }
  })

  it('decodes both encodings back to exactly the planned calls', () => {
    const p = propose()
    const decoded = decodeProposal(p.transactionBuilderJson, { multiSend: p.multiSend })
    expect(decoded.safe).toBe(safe)
    expect(decoded.chainId).toBe(1)
    expect(decoded.calls.map((d) => [d.address.toLowerCase(), d.value, d.functionName, norm(d.args!)])).toEqual(calls.map((c) => [c.address.toLowerCase(), 0n, c.functionName, norm(c.args)]))
    expect(p.multiSend).toMatchObject({ to: MULTI_SEND_CALL_ONLY_141, operation: 1, value: 0n })
    expect(decodeMultiSend(p.multiSend.data).map((t) => [t.operation, t.to, t.value])).toEqual(p.batch.transactions.map((t) => [0, t.to, 0n]))
  })

  it('refuses a file edited after it was written (checksum), a method/data mismatch, and a MultiSend that differs', () => {
    const p = propose()
    const edited = JSON.parse(p.transactionBuilderJson)
    edited.transactions[0].contractInputsValues.amount = '1'
    expect(() => decodeProposal(edited)).toThrowError(ProposalDecodeError)
    expect(() => decodeProposal(edited)).toThrowError(/checksum/)
    // Consistent checksum but the values say something else than the calldata.
    edited.meta.checksum = batchChecksum(edited)
    expect(() => decodeProposal(edited)).toThrowError(/data differs from setNetworkLimit/)
    const other = proposeBatch(calls.slice(0, 2), { safe, chainId: 1, createdAt: 0 })
    expect(() => decodeProposal(p.batch, { multiSend: other.multiSend })).toThrowError(/MultiSend holds 2 transactions, the batch 3/)
    expect(() => decodeProposal(p.batch, { multiSend: { ...p.multiSend, operation: 0 } })).toThrowError(/DELEGATECALL/)
    expect(() => decodeProposal('{')).toThrowError(/not JSON/)
  })

  it('the checksum ignores meta.name and covers everything else', () => {
    const { batch } = propose()
    expect(batchChecksum({ ...batch, meta: { ...batch.meta, name: 'renamed' } })).toBe(batch.meta.checksum)
    expect(batchChecksum({ ...batch, createdAt: batch.createdAt + 1 })).not.toBe(batch.meta.checksum)
  })

  it('puts calls with tuple arguments as raw data, decodable with the given ABIs', () => {
    const perms = permissionsFromPolicy(loadPolicyOrThrow({ version: 1 }), [{ address: addr(1), kind: 'network-restake', vault: addr(0xa), subnetworks: [svc(2)] }], { roleKey: roleKeyOf('r'), rolesModifier: addr(9), members: [addr(8)] })
    const p = proposeBatch(perms.calls, { safe, chainId: 1, createdAt: 0 })
    expect(p.batch.transactions.map((t) => t.contractMethod?.name ?? null)).toEqual(['scopeTarget', null, null, null])
    const decoded = decodeProposal(p.batch, { multiSend: p.multiSend, abis: [rolesModifierAbi] })
    expect(decoded.calls.map((d) => d.functionName)).toEqual(['scopeTarget', 'scopeFunction', 'scopeFunction', 'assignRoles'])
    expect(decoded.calls[1]!.args).toEqual(perms.calls[1]!.args)
  })

  it('refuses a call whose function is not in its ABI', () => {
    expect(() => proposeBatch([{ ...calls[0]!, functionName: 'transfer' }], { chainId: 1, createdAt: 0 })).toThrowError(UnproposableCallError)
  })

  it('names the files after the run id', () => {
    expect(proposalFiles('rebalance-2026-01-02T03:04:05.678Z-ab', propose()).map((f) => f.name)).toEqual([
      'rebalance-2026-01-02T03-04-05.678Z-ab.safe-tx-builder.json',
      'rebalance-2026-01-02T03-04-05.678Z-ab.multisend.json',
      'rebalance-2026-01-02T03-04-05.678Z-ab.md',
    ])
  })

  it('MultiSend packs and unpacks arbitrary calldata lengths (including empty)', () => {
    const txs = [
      { to: getAddress(addr(1)), value: 0n, data: '0x' as const },
      { to: getAddress(addr(2)), value: 7n, data: '0x0102030405' as const },
    ]
    expect(decodeMultiSend(encodeMultiSend(txs))).toEqual(txs.map((t) => ({ ...t, operation: 0 })))
  })
})

describe('wrapWithRole', () => {
  it('targets execTransactionWithRole(to, 0, data, CALL, roleKey, shouldRevert=true) on the modifier', () => {
    const roleKey = roleKeyOf('restake-autopilot')
    const wrapped = wrapWithRole(calls[0]!, { rolesModifier: addr(9), roleKey, shouldRevert: true })
    expect(wrapped.address).toBe(addr(9))
    expect(wrapped.inner).toBe(calls[0])
    const data = encodeFunctionData({ abi: wrapped.abi, functionName: wrapped.functionName, args: wrapped.args } as never)
    const outer = decodeFunctionData({ abi: rolesModifierAbi, data })
    expect(outer.functionName).toBe('execTransactionWithRole')
    expect(outer.args).toEqual([getAddress(addr(1)), 0n, encodeFunctionData({ abi: networkRestakeDelegatorAbi, functionName: 'setNetworkLimit', args: [svc(2), 0n] }), 0, roleKey, true])
    expect(wrapped.description).toContain(calls[0]!.description)
  })

  it("decodes the modifier's refusals by name", () => {
    expect(decodeRolesRevert(encodeErrorResult({ abi: rolesModifierAbi, errorName: 'ConditionViolation', args: [2, `0x${'00'.repeat(32)}`] }))).toMatchObject({
      name: 'ConditionViolation',
      status: 'TargetAddressNotAllowed',
      summary: 'ConditionViolation(TargetAddressNotAllowed)',
    })
    expect(decodeRolesRevert(encodeErrorResult({ abi: rolesModifierAbi, errorName: 'ModuleTransactionFailed' }))?.summary).toBe('ModuleTransactionFailed()')
    expect(decodeRolesRevert('0x08c379a0')).toBeUndefined()
  })
})
