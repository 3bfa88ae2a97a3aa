/**
 * The webhook's front door: an HTTP API (API Gateway v2) with one route `POST /webhook` → the webhook
 * function (payload 2.0), stage throttling, JSON access logs; and the jobs topic that carries accepted
 * rebalance / derisk-operator requests to the worker (the rebalance function, which holds the signer)
 * asynchronously: a rebalance outlives the HTTP API's 30 s integration timeout, and the internet-facing
 * function never gets to sign.
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib'
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway'
import { HttpApi, HttpMethod, type HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2'
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations'
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs'
import { FilterOrPolicy, SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns'
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions'
import { Construct } from 'constructs'
import type { BotFunction } from './botFunction.js'

/** Properties of {@link WebhookApi}. */
export interface WebhookApiProps {
  /** The webhook function: answers requests, publishes jobs. */
  fn: BotFunction
  /** The function that runs the jobs (subscribed to the jobs topic). */
  worker: BotFunction
  logRetention: RetentionDays
  /** Steady-state requests per second the stage accepts (default 5). */
  rateLimit?: number
  /** Burst (default 10). */
  burstLimit?: number
}

/** HTTP API + route + stage for the webhook function, and the jobs topic from it to the worker. */
export class WebhookApi extends Construct {
  readonly api: HttpApi
  readonly stage: HttpStage
  readonly jobs: Topic
  /** `https://…/webhook` */
  readonly url: string

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id)
    this.api = new HttpApi(this, 'Api', { description: 'restake-autopilot signed webhook', createDefaultStage: false })
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN })
    this.stage = this.api.addStage('Stage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 5, burstLimit: props.burstLimit ?? 10 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            time: '$context.requestTime',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            length: '$context.responseLength',
            latency: '$context.integrationLatency',
            error: '$context.integrationErrorMessage',
          }),
        ),
      },
    })
    const routes = this.api.addRoutes({ path: '/webhook', methods: [HttpMethod.POST], integration: new HttpLambdaIntegration('Webhook', props.fn) })
    for (const route of routes)
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Every request is authenticated inside the function by an HMAC-SHA256 signature over timestamp + raw body (5-minute window, constant-time compare, replay ids in DynamoDB). API Gateway authorizers cannot see the body, and the senders (monitoring systems) hold a shared secret, not AWS credentials or JWTs.',
      })
    this.url = `${this.api.apiEndpoint}/webhook`

    this.jobs = new Topic(this, 'Jobs', { displayName: 'restake-autopilot webhook jobs', enforceSSL: true })
    // SNS → Lambda is asynchronous: failed deliveries after SNS retries go to the worker's dead-letter queue.
    this.jobs.addSubscription(new LambdaSubscription(props.worker, { deadLetterQueue: props.worker.deadLetters }))
    this.jobs.grantPublish(props.fn)
    props.fn.addEnvironment('JOBS_TOPIC_ARN', this.jobs.topicArn)
    // The worker accepts deliveries from this topic only.
    props.worker.addEnvironment('JOBS_TOPIC_ARN', this.jobs.topicArn)
  }

  /**
   * Also delivers the `derisk-operator` jobs to a protocol's own function (a filter on the message body: rebalance
   * jobs stay with the worker), which runs its protocol's part of each under its own claim (shared/services/deriskJob.ts).
   */
  addDeriskWorker(fn: BotFunction): void {
    const action = FilterOrPolicy.filter(SubscriptionFilter.stringFilter({ allowlist: ['derisk-operator'] }))
    this.jobs.addSubscription(new LambdaSubscription(fn, { deadLetterQueue: fn.deadLetters, filterPolicyWithMessageBody: { action } }))
    fn.addEnvironment('JOBS_TOPIC_ARN', this.jobs.topicArn)
  }
}
