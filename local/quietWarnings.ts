/** Keeps the local live view readable: drops the AWS SDK's one-off Node-version notice, prints every other warning. Import first. */
process.removeAllListeners('warning')
process.on('warning', (w) => {
  if (!`${w.name} ${w.message}`.includes('NodeVersionSupportWarning')) console.warn(`${w.name}: ${w.message}`)
})
