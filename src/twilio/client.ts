import type { TwilioFactory } from '../ctx.js';
import type { TwilioPort } from './port.js';

// Placeholder until the SDK-backed port lands (issue 2).
export const createTwilioPort: TwilioFactory = async (): Promise<TwilioPort> => {
  throw new Error('the Twilio client is not built yet');
};
