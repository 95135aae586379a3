/** Event Streams (events.twilio.com/v1). Owned by the Event Streams work (issue 6). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventsApi {}

/** Built by src/twilio/client.ts from the SDK client. */
export function createEventsApi(_client: import('twilio').Twilio): EventsApi {
  return {};
}
