/** Which curator roles each Symbiotic delegator type needs, and what MissingRoleError says when they are missing. */
import { describe, expect, it } from 'vitest'
import { MissingRoleError } from '../../shared/chain/errors.js'
import { missingCuratorRoles } from '../../shared/protocols/symbiotic/roles.js'

const none = { networkLimitSet: false, operatorNetworkSharesSet: false, operatorNetworkLimitSet: false }
const all = { networkLimitSet: true, operatorNetworkSharesSet: true, operatorNetworkLimitSet: true }

describe('missingCuratorRoles', () => {
  it('names every role the delegator type needs and the curator lacks', () => {
    expect(missingCuratorRoles('network-restake', none)).toEqual(['NETWORK_LIMIT_SET_ROLE', 'OPERATOR_NETWORK_SHARES_SET_ROLE'])
    expect(missingCuratorRoles('full-restake', none)).toEqual(['NETWORK_LIMIT_SET_ROLE', 'OPERATOR_NETWORK_LIMIT_SET_ROLE'])
    expect(missingCuratorRoles('operator-specific', none)).toEqual(['NETWORK_LIMIT_SET_ROLE'])
    expect(missingCuratorRoles('operator-network-specific', none)).toEqual([])
    expect(missingCuratorRoles('network-restake', { ...none, networkLimitSet: true })).toEqual(['OPERATOR_NETWORK_SHARES_SET_ROLE'])
    expect(missingCuratorRoles('full-restake', { ...none, operatorNetworkSharesSet: true })).toEqual(['NETWORK_LIMIT_SET_ROLE', 'OPERATOR_NETWORK_LIMIT_SET_ROLE'])
    for (const kind of ['network-restake', 'full-restake', 'operator-specific', 'operator-network-specific']) expect(missingCuratorRoles(kind, all)).toEqual([])
  })

  it('MissingRoleError lists them all, or the one role when only that is known', () => {
    const delegator = '0x00000000000000000000000000000000000000d1'
    const account = '0x00000000000000000000000000000000000000a1'
    const both = new MissingRoleError({ role: 'NETWORK_LIMIT_SET_ROLE', delegator, account, missing: missingCuratorRoles('network-restake', none) })
    expect(both.name).toBe('MissingRoleError')
    expect(both.shortMessage).toBe(`Signer ${account} lacks NETWORK_LIMIT_SET_ROLE and OPERATOR_NETWORK_SHARES_SET_ROLE on delegator ${delegator}; nothing was sent.`)
    expect(both.missing).toEqual(['NETWORK_LIMIT_SET_ROLE', 'OPERATOR_NETWORK_SHARES_SET_ROLE'])
    expect(new MissingRoleError({ role: 'OPERATOR_NETWORK_LIMIT_SET_ROLE', delegator, account }).missing).toEqual(['OPERATOR_NETWORK_LIMIT_SET_ROLE'])
  })
})
