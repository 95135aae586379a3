import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Creates twhook's folder in a project (.twhook/) with a .gitignore that ignores all of it:
 * captures hold phone numbers and message bodies, which have no place in the project's history.
 * An existing .gitignore there is the user's and is left alone.
 */
export function prepareProjectFolder(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(
      join(dir, '.gitignore'),
      '# Written by twhook: captures hold phone numbers and message bodies.\n*\n',
      { flag: 'wx', mode: 0o600 },
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
