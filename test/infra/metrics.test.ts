/** The run metrics: every function's log group feeds Runs, FailedRuns, CallsSent and GasUsed from its `run finished` lines. */
import { describe, expect, it } from 'vitest'
import { METRIC_NAMESPACE } from '../../infra/constructs/alarms.js'
import { runMetrics } from '../../shared/services/notify.js'
import { synth } from './synth.js'

describe('run metrics', () => {
  it('each function has one metric filter per run metric, reading the fields the run line carries', () => {
    const { template, stack } = synth()
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter')) as {
      Properties: { LogGroupName: unknown; FilterPattern: string; MetricTransformations: { MetricName: string; MetricNamespace: string; MetricValue: string }[] }
    }[]
    for (const name of ['score', 'rebalance', 'webhook', 'watch'] as const) {
      const logGroup = JSON.stringify({ Ref: stack.getLogicalId(stack.functions[name].logs.node.defaultChild as never) })
      const mine = filters.filter((f) => JSON.stringify(f.Properties.LogGroupName) === logGroup).map((f) => ({ pattern: f.Properties.FilterPattern, ...f.Properties.MetricTransformations[0]! }))
      const by = (metric: string) => mine.find((m) => m.MetricName === metric)
      expect(by('Runs')).toMatchObject({ MetricNamespace: METRIC_NAMESPACE, MetricValue: '1', pattern: '{ $.runStatus = "*" }' })
      expect(by('FailedRuns')).toMatchObject({ MetricValue: '1', pattern: '{ $.runStatus = "failed" }' })
      expect(by('CallsSent')).toMatchObject({ MetricValue: '$.callsSent', pattern: '{ $.callsSent > 0 }' })
      expect(by('GasUsed')).toMatchObject({ MetricValue: '$.gasUsed', pattern: '{ $.gasUsed > 0 }' })
    }
  })

  it('the run line counts the transactions a run sent and the gas they used', () => {
    expect(runMetrics({})).toEqual({ callsSent: 0, gasUsed: 0 })
    const actions = [{ txHash: '0x1', gasUsed: 52_000n }, { txHash: '0x2', gasUsed: 61_500n }, {}, { txHash: '0x3' }]
    expect(runMetrics({ actions })).toEqual({ callsSent: 3, gasUsed: 113_500 })
  })
})
