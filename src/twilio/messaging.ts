/** Messaging Services (messaging.twilio.com/v1). Owned by the configure work (issue 4). */
export interface MessagingService {
  sid: string;
  friendlyName: string;
  inboundRequestUrl: string | null;
  /** When false, the service's inbound settings replace the SMS URL of its numbers. */
  useInboundWebhookOnNumber: boolean;
}

export interface MessagingApi {
  listServices(): Promise<MessagingService[]>;
  /** The phone numbers (PN SIDs and E.164) in a service's sender pool. */
  listServicePhoneNumbers(serviceSid: string): Promise<{ sid: string; phoneNumber: string }[]>;
}

/** Built by src/twilio/client.ts from the SDK client. */
export function createMessagingApi(_client: import('twilio').Twilio): MessagingApi {
  const pending = () => Promise.reject(new Error('Messaging Services support is not built yet'));
  return { listServices: pending, listServicePhoneNumbers: pending };
}
