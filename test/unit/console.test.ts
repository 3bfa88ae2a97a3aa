import { describe, expect, it } from 'vitest'
import { StackOutputsError, parseTablesFlag, targetsFromStackOutputs } from '../../local/cli/console.js'
import { CliUsageError } from '../../local/cli/common.js'
import { controlSummary } from '../../local/dashboard/server.js'
import { buildDashboardState, failedRuns, whatIfChangeFromQuery } from '../../local/dashboard/view.js'
import type { RunRecord } from '../../shared/store/ports.js'
import { TABLES, tableOutputKey } from '../../shared/store/tables.js'

const name = (t: string) => `AutopilotStack-Tables${t}Table0A1B2C3D-1XYZ`

describe('Function: targetsFromStackOutputs', () => {
  it("reads every table's physical name and the topics from the stack's outputs", () => {
    const outputs = [
      ...TABLES.map((t) => ({ OutputKey: tableOutputKey(t.name), OutputValue: name(t.name) })),
      { OutputKey: 'JobsTopicArn', OutputValue: 'arn:aws:sns:eu-west-1:1:jobs' },
      { OutputKey: 'NotificationsTopicArn', OutputValue: 'arn:aws:sns:eu-west-1:1:notify' },
      { OutputKey: 'WebhookUrl', OutputValue: 'https://x' },
    ]
    const t = targetsFromStackOutputs('AutopilotStack', outputs)
    expect(t.tables.runs).toBe(name('runs'))
    expect(t.tables.events).toBe(name('events'))
    expect(Object.keys(t.tables).sort()).toEqual(TABLES.map((x) => x.name).sort())
    expect(t.jobsTopicArn).toBe('arn:aws:sns:eu-west-1:1:jobs')
    expect(t.notificationsTopicArn).toBe('arn:aws:sns:eu-west-1:1:notify')
  })

  it('names the outputs a stack deployed before them lacks', () => {
    const e = (() => {
      try {
        targetsFromStackOutputs('Old', [{ OutputKey: 'RunsTableName', OutputValue: 'r' }])
      } catch (x) {
        return x as StackOutputsError
      }
    })()
    expect(e).toBeInstanceOf(StackOutputsError)
    expect(e!.name).toBe('StackOutputsError')
    expect(e!.message).toContain('LocksTableName, EventsTableName')
  })
})

describe('Function: parseTablesFlag', () => {
  it('takes NAME=TABLE pairs or a prefix', () => {
    expect(parseTablesFlag('runs=a,locks=b,events=c')).toEqual({ runs: 'a', locks: 'b', events: 'c' })
    expect(parseTablesFlag('ra-prod').runs).toBe('ra-prod-runs')
  })
  it('refuses an unknown table, a malformed pair or a list without runs', () => {
    expect(() => parseTablesFlag('runz=a')).toThrow(CliUsageError)
    expect(() => parseTablesFlag('runs=a,locks')).toThrow(/"locks" is not NAME=TABLE/)
    expect(() => parseTablesFlag('locks=b')).toThrow(/must name the runs table/)
  })
})

describe('Function: controlSummary', () => {
  it('says what the order will do before it is confirmed', () => {
    const label = (k: string) => (k === '0xabc' ? 'op-atlas' : k)
    expect(controlSummary({ action: 'pause', reason: 'incident' }, false, label)).toMatch(/^Pause rebalancing: .*send nothing until resumed.*Reason recorded: “incident”/)
    expect(controlSummary({ action: 'pause' }, true, label)).toContain('(already paused)')
    expect(controlSummary({ action: 'derisk-operator', operator: '0xabc' }, true, label)).toMatch(/De-risk operator op-atlas .*paused, so they are planned and recorded, not sent/)
  })
})

describe('Function: whatIfChangeFromQuery', () => {
  const q = (o: Record<string, string>) => (k: string) => o[k]
  it('reads a slash, a denied service or operator from the page query', () => {
    expect(whatIfChangeFromQuery(q({ kind: 'slash', operator: '0xAB', fraction: '0.2' }))).toEqual({ kind: 'slash', operator: '0xab', fraction: 0.2 })
    expect(whatIfChangeFromQuery(q({ kind: 'denyService', service: '0x5e' }))).toEqual({ kind: 'denyService', service: '0x5e' })
    expect(whatIfChangeFromQuery(q({ kind: 'denyOperator', operator: '0x01' }))).toEqual({ kind: 'denyOperator', operator: '0x01' })
  })
  it('says what is wrong with a bad query', () => {
    expect(whatIfChangeFromQuery(q({ kind: 'slash', operator: '0xab', fraction: '2' }))).toEqual({ error: 'fraction must be in (0, 1]' })
    expect(whatIfChangeFromQuery(q({ kind: 'slash', operator: 'op-atlas', fraction: '0.2' }))).toEqual({ error: 'operator must be an address' })
    expect(whatIfChangeFromQuery(q({ kind: 'policy' }))).toMatchObject({ error: expect.stringContaining('POSTed') })
  })
})

describe('Function: failedRuns (the red banner)', () => {
  const run = (runId: string, startedAt: number, status: 'succeeded' | 'failed', extra: Partial<RunRecord> = {}): RunRecord => ({ runId, kind: 'rebalance', trigger: 'schedule', startedAt, status, ...extra })

  it('shows the latest rebalance run of each protocol when it failed, with its named error; a later success clears it', () => {
    const unknown = { name: 'UnknownPositionError', message: 'Policy position 0xdead names no vault the bot reads: fix policy.positions.\n  known: 0x1' }
    const runs = [
      run('r3', 3_000, 'failed', { error: unknown }),
      run('r2', 2_000, 'succeeded'),
      run('e2', 2_500, 'succeeded', { protocol: 'eigenlayer' }),
      run('e1', 1_000, 'failed', { protocol: 'eigenlayer', error: { name: 'Error', message: 'old' } }),
    ].sort((a, b) => b.startedAt - a.startedAt)
    expect(failedRuns(runs)).toEqual([{ runId: 'r3', protocol: 'symbiotic', startedAt: new Date(3_000).toISOString(), error: 'UnknownPositionError: Policy position 0xdead names no vault the bot reads: fix policy.positions.' }])
    expect(buildDashboardState({ runs }).failedRuns.map((f) => f.runId)).toEqual(['r3'])
    expect(failedRuns([run('r4', 4_000, 'succeeded'), ...runs])).toEqual([])
  })
})
