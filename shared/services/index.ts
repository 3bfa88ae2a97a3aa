/** Use cases composed from domain, chain, store and config: what the Lambda handlers and the local runner call. */
export * from './context.js'
export * from './readUniverse.js'
export * from './runRebalance.js'
export * from './runScore.js'
