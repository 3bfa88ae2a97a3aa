// zod (4.x) as the Lambda bundles see it: the classic API exactly as `import { z } from 'zod'` gives it,
// minus the 40+ bundled locales (`z.locales`; English messages stay configured). esbuild cannot
// tree-shake the `z` namespace object, so without this alias every bundle carries ~250 KB of translations.
// Wired by BUNDLE_SETTINGS.alias (infra/bundling.ts); test/infra/bundling.test.ts checks that the export
// list matches the installed zod minus `locales`.
import * as z from './zodClassic.mjs'
export * from './zodClassic.mjs'
export { z, z as default }
