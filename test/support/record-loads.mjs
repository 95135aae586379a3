// Preload for `node --import`: records the URL of every module the ESM loader resolves into the
// file named by TWHOOK_LOAD_LOG, so a test can prove what a command line loads.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function resolve(specifier, context, next) {
        const result = await next(specifier, context);
        if (process.env.TWHOOK_LOAD_LOG) appendFileSync(process.env.TWHOOK_LOAD_LOG, result.url + '\\n');
        return result;
      }
    `),
);
