import { stat } from 'node:fs/promises';
import { unreadableReason } from '../../errors.js';

/** Why a capture file given on the command line cannot be read, or undefined when it can. */
export async function unreadableCapture(path: string): Promise<string | undefined> {
  return stat(path).then(
    (s) => (s.isDirectory() ? 'it is a folder (give the capture files in it)' : undefined),
    (err: unknown) => unreadableReason(err),
  );
}
