/** Creating a subscription, shared by `subscriptions create` and `sinks create --subscribe`. */
import type { EventsApi, EventTypeSelection, Subscription } from '../twilio/eventstreams.js';
import { explainSubscriptionCreateFailure } from './explain.js';
import { plural, readTypes, type SubscriptionJson } from './present.js';

/** Default description: Twilio requires one and asks for no personal data in it. */
export function defaultSubscriptionDescription(types: EventTypeSelection[]): string {
  const first = types[0]!.type;
  return types.length === 1 ? `twhook: ${first}` : `twhook: ${first} and ${plural(types.length - 1, 'other type')}`;
}

/**
 * Creates a subscription and returns it with the schema versions Twilio settled on. Refusals come
 * back as sentences (inactive sink, limit, unknown type). Once it exists it is returned, even when
 * reading its types back fails (`typesError`): a script retrying on an error would make duplicates.
 */
export async function createSubscription(
  events: EventsApi,
  request: { sinkSid: string; types: EventTypeSelection[]; description?: string },
): Promise<SubscriptionJson> {
  let sub: Subscription;
  try {
    sub = await events.subscriptions.create({
      sinkSid: request.sinkSid,
      types: request.types,
      description: request.description ?? defaultSubscriptionDescription(request.types),
    });
  } catch (err) {
    throw await explainSubscriptionCreateFailure(err, events, request);
  }
  return readTypes(events, sub);
}
