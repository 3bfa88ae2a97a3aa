/** EventBridge Scheduler schedules: each invokes a function asynchronously with a small JSON payload (trigger, scheduled time, execution id); undeliverable ticks go to the function's dead-letter queue. */
import { Duration } from 'aws-cdk-lib'
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler'
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam'
import type { IFunction } from 'aws-cdk-lib/aws-lambda'
import { LambdaInvoke, type ScheduleTargetBaseProps } from 'aws-cdk-lib/aws-scheduler-targets'
import { Construct } from 'constructs'
import type { BotFunction } from './botFunction.js'

/** LambdaInvoke that grants the scheduler role `lambda:InvokeFunction` on the function's ARN only (not on `:*` versions and aliases, which we never invoke). */
export class ExactLambdaInvoke extends LambdaInvoke {
  private readonly target: IFunction
  constructor(fn: IFunction, props: ScheduleTargetBaseProps) {
    super(fn, props)
    this.target = fn
  }

  /** Adds the single invoke statement. */
  protected override addTargetActionToRole(role: IRole): void {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.target.functionArn] }))
  }
}

/** The payload every scheduled invocation receives (the handlers' zod schemas accept it), with `extra` fields (e.g. `task: 'watch'`). */
export function schedulePayload(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return { trigger: `schedule:${name}`, scheduledTime: ContextAttribute.scheduledTime, executionId: ContextAttribute.executionId, ...extra }
}

/** One schedule per (function, expression). */
export class BotSchedule extends Construct {
  readonly schedule: Schedule

  constructor(scope: Construct, id: string, props: { fn: BotFunction; name: string; expression: string; maxEventAge?: Duration; input?: Record<string, string> }) {
    super(scope, id)
    this.schedule = new Schedule(this, 'Schedule', {
      schedule: ScheduleExpression.expression(props.expression),
      description: `restake-autopilot ${props.name}: ${props.expression}`,
      target: new ExactLambdaInvoke(props.fn, {
        input: ScheduleTargetInput.fromObject(schedulePayload(props.name, props.input)),
        deadLetterQueue: props.fn.deadLetters,
        retryAttempts: 2,
        maxEventAge: props.maxEventAge ?? Duration.minutes(15),
      }),
    })
  }
}
