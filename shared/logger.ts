/** One Powertools logger per service, and the wrapper that scopes Lambda context keys to one invocation. */
import { Logger } from '@aws-lambda-powertools/logger'

/** Creates the structured JSON logger of a function. */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, logLevel: (globalThis.process?.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO' })
}

/** The part of the Lambda context a handler uses. */
export interface LambdaInvocation {
  awsRequestId?: string
  /** Milliseconds left before the invocation times out. */
  getRemainingTimeInMillis?: () => number
}

/** Wraps a handler: adds the Lambda context to the logger for the invocation, then resets keys. */
export function withLambdaContext<E, R>(logger: Logger, fn: (event: E, context?: LambdaInvocation) => Promise<R>) {
  return async (event: E, context?: LambdaInvocation & { functionName?: string }): Promise<R> => {
    if (context) logger.addContext(context as never)
    try {
      return await fn(event, context)
    } finally {
      logger.resetKeys()
    }
  }
}
