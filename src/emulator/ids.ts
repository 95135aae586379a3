/** Random SIDs and hex strings, shaped as Twilio's (two letters and 32 hex digits). */
import { randomBytes } from 'node:crypto';

export const randomHex = (bytes: number) => randomBytes(bytes).toString('hex');
/** A random SID with Twilio's shape: two letters and 32 hex digits. */
export const randomSid = (prefix: string) => prefix + randomHex(16);
