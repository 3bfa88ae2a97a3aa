/**
 * English messages for zod/mini. zod/mini configures no locale, so without this every default message is a
 * bare "Invalid input" (classic `zod` installs English by itself). Every module that defines zod/mini schemas
 * imports this one for its side effect — `import '../zodLocale.js'` — so the locale is set before anything
 * can parse, in every Lambda bundle, test and CLI.
 *
 * `en` comes from `zod/locales`, not `z.locales.en()`: reading `z.locales` off the namespace makes esbuild keep
 * the whole locales namespace (~260 KB, every language) in the bundle.
 */
import * as z from 'zod/mini'
import { en } from 'zod/locales'

z.config(en())
