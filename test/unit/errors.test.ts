import { BaseError, HttpRequestError } from 'viem'
import { describe, expect, it } from 'vitest'
import { RestakeError, walkCause } from '../../shared/errors.js'
import { isTransientRpcError } from '../../shared/execution/retry.js'

class LeafError extends RestakeError {
  override name = 'LeafError' as const
}

describe('RestakeError', () => {
  it('renders metaMessages between the short message and the details, like viem', () => {
    const e = new RestakeError('Saga s1 failed.', { metaMessages: ['Staker: 0xabc', 'Nonce: 7'], details: 'tx 0x01' })
    expect(e.message).toBe('Saga s1 failed.\n\nStaker: 0xabc\nNonce: 7\n\nDetails: tx 0x01')
    expect(e.shortMessage).toBe('Saga s1 failed.')
    expect(e.metaMessages).toEqual(['Staker: 0xabc', 'Nonce: 7'])
  })

  it('keeps the message of errors without metaMessages unchanged', () => {
    expect(new RestakeError('Short.').message).toBe('Short.')
    expect(new RestakeError('Short.', { details: 'why' }).message).toBe('Short.\n\nDetails: why')
    expect(new RestakeError('Short.', { metaMessages: [] }).message).toBe('Short.')
  })

  it('walk() without a predicate returns the deepest cause', () => {
    const root = new Error('socket hang up')
    const mid = new BaseError('HTTP request failed.', { cause: root })
    const top = new RestakeError('Reading the vaults failed.', { cause: mid })
    expect(top.walk()).toBe(root)
    expect(new RestakeError('alone').walk()).toBeInstanceOf(RestakeError)
  })

  it('walk(fn) returns the first match, starting with itself, typed by the guard, or null', () => {
    const leaf = new LeafError('leaf')
    const top = new RestakeError('top', { cause: new RestakeError('mid', { cause: leaf }) })
    const found = top.walk((x): x is LeafError => x instanceof LeafError)
    expect(found).toBe(leaf)
    expect(found?.name).toBe('LeafError')
    expect(top.walk((x) => x instanceof RestakeError)).toBe(top)
    expect(top.walk((x) => x instanceof HttpRequestError)).toBeNull()
  })

  it('walkCause stops on a cause cycle instead of looping', () => {
    const a: Error = new Error('a')
    const b = new Error('b', { cause: a })
    Object.assign(a, { cause: b })
    expect(walkCause(b)).toBe(a)
    expect(walkCause(b, (x) => (x as Error).message === 'zzz')).toBeNull()
  })

  it('a transient transport error is found under any wrapper, a node answer is not', () => {
    const transient = new HttpRequestError({ url: 'http://127.0.0.1:1', status: 503 })
    expect(isTransientRpcError(new RestakeError('Reading failed.', { cause: new Error('wrapped', { cause: transient }) }))).toBe(true)
    expect(isTransientRpcError(new RestakeError('Reverted.', { cause: new Error('execution reverted') }))).toBe(false)
  })
})
