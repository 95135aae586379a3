/** Event Streams (events.twilio.com/v1). Owned by the Event Streams work (issue 6). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventsApi {}
