/** DynamoDB adapter: table definitions, runs, intents; conditional writes only. */
export * from './client.js'
export * from './errors.js'
export * from './intents.js'
export * from './locks.js'
export * from './runs.js'
export * from './tables.js'
