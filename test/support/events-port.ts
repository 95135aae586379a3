import type { TwilioFactory } from '../../src/ctx.js';
import { createEventsApi } from '../../src/twilio/events.js';
import type { TwilioPort } from '../../src/twilio/port.js';

/**
 * A TwilioPort whose Event Streams part is the real SDK-backed one, sending every request to
 * `baseUrl` (the emulator) instead of events.twilio.com. Used until the foundation client
 * (src/twilio/client.ts) covers it; the other parts of the port are not needed here.
 */
export function eventsPortFactory(baseUrl: string): TwilioFactory {
  return async ({ credentials }) => {
    const { default: twilio } = await import('twilio');
    const { default: RequestClient } = await import('twilio/lib/base/RequestClient.js');
    class Rewriting extends RequestClient {
      override request<T>(opts: { uri: string }) {
        const uri = opts.uri.replace(/^https:\/\/[a-z0-9.-]+\.twilio\.com/, baseUrl);
        return super.request<T>({ ...opts, uri } as never);
      }
    }
    const sid = credentials.accountSid!.value;
    const client = twilio(sid, credentials.authTokens[0]!.value, { httpClient: new Rewriting() });
    const unused = () => Promise.reject(new Error('not part of the events test port'));
    return {
      accountSid: sid,
      fetchAccount: unused,
      numbers: { list: unused, fetch: unused, update: unused },
      messaging: { listServices: unused, listServicePhoneNumbers: unused },
      events: createEventsApi(client),
    } as TwilioPort;
  };
}
