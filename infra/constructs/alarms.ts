/**
 * CloudWatch alarms, all notifying the notifications topic:
 * - per function: Errors ≥ 1 in 5 minutes (a handler threw: failed watch tick, init failure, bad event);
 * - per dead-letter queue: ApproximateNumberOfMessagesVisible ≥ 1;
 * - FailedRuns ≥ 1 in 5 minutes: a metric filter on every function's log group counts the `run finished`
 *   lines with `"runStatus": "failed"` (the run notifier, shared/services/notify.ts, logs one per run) — score, rebalance, watch and
 *   webhook runs alike, including runs that failed without the handler throwing;
 * - StuckIntents ≥ 1: a metric filter takes `stuckIntents` from the watcher's `watch tick` line (intents
 *   signed or broadcast longer than the threshold and still not mined).
 * Metrics without an alarm, from the same `run finished` lines: Runs (one per run), CallsSent (`callsSent`,
 * transactions the run sent) and GasUsed (`gasUsed`, gas units they used), summed over every function.
 * Metric filters (not embedded metrics) keep the functions free of metric code: the log line is the contract.
 */
import { Duration } from 'aws-cdk-lib'
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch'
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions'
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs'
import type { ITopic } from 'aws-cdk-lib/aws-sns'
import { Construct } from 'constructs'
import type { BotFunction } from './botFunction.js'

/** Namespace of the custom metrics. */
export const METRIC_NAMESPACE = 'RestakeAutopilot'

/** Metrics from the `run finished` line of every function (shared/services/notify.ts): name, filter, value. */
export const RUN_METRICS = [
  ['FailedRuns', FilterPattern.stringValue('$.runStatus', '=', 'failed'), '1'],
  ['Runs', FilterPattern.exists('$.runStatus'), '1'],
  ['CallsSent', FilterPattern.numberValue('$.callsSent', '>', 0), '$.callsSent'],
  ['GasUsed', FilterPattern.numberValue('$.gasUsed', '>', 0), '$.gasUsed'],
] as const

/** The alarms of the stack. */
export class BotAlarms extends Construct {
  readonly alarms: Alarm[] = []

  constructor(scope: Construct, id: string, props: { functions: BotFunction[]; watch: BotFunction; topic: ITopic }) {
    super(scope, id)
    const action = new SnsAction(props.topic)
    const add = (alarm: Alarm) => {
      alarm.addAlarmAction(action)
      this.alarms.push(alarm)
    }
    for (const fn of props.functions) {
      const name = fn.node.id
      add(
        new Alarm(this, `${name}Errors`, {
          alarmDescription: `restake-autopilot ${name}: the handler threw (see its log group)`,
          metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      )
      add(
        new Alarm(this, `${name}DeadLetters`, {
          alarmDescription: `restake-autopilot ${name}: failed asynchronous invocations are waiting in the dead-letter queue`,
          metric: fn.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }),
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      )
      for (const [metricName, filterPattern, metricValue] of RUN_METRICS)
        new MetricFilter(this, `${name}${metricName}Filter`, { logGroup: fn.logs, filterPattern, metricNamespace: METRIC_NAMESPACE, metricName, metricValue, defaultValue: 0 })
    }
    new MetricFilter(this, 'StuckIntentsFilter', {
      logGroup: props.watch.logs,
      filterPattern: FilterPattern.numberValue('$.stuckIntents', '>=', 0),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'StuckIntents',
      metricValue: '$.stuckIntents',
    })
    add(
      new Alarm(this, 'FailedRuns', {
        alarmDescription: 'restake-autopilot: a score/rebalance/watch run was recorded as failed (runs table: status = failed)',
        metric: new Metric({ namespace: METRIC_NAMESPACE, metricName: 'FailedRuns', period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    )
    add(
      new Alarm(this, 'StuckIntents', {
        alarmDescription: 'restake-autopilot: a signed transaction has not been mined within the threshold (intents table, status signed/broadcast)',
        metric: new Metric({ namespace: METRIC_NAMESPACE, metricName: 'StuckIntents', period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    )
  }
}
