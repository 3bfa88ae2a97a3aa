/** Chain sync (docs/sync.md): sources, the reorg-safe incremental sync, and what readers read back. */
export * from './errors.js'
export * from './read.js'
export * from './source.js'
export * from './syncSource.js'
export * from './synced.js'
