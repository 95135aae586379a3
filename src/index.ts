/**
 * twhook's library API, for your own test suites:
 *
 *   import { signRequest, verifyRequest } from 'twhook';
 *   const { signature, url, body } = signRequest({ authToken, url: 'https://example.com/sms', params: { Body: 'Hi' } });
 *   const verdict = verifyRequest({ url, signature, body, authTokens: [authToken] });
 *
 *   import { simulateCall } from 'twhook';
 *   const { events, end } = await simulateCall({ app: 'http://localhost:3000/voice', inputs: [{ kind: 'press', digits: '1' }] });
 *
 * Only the signature module is loaded up front (the twilio SDK's webhooks file, not the whole
 * SDK); the simulator loads on its first call.
 */
import type { SimulateCallOptions, SimulateTextOptions, SimulationResult } from './simulate/api.js';
export { signRequest, verifyRequest } from './webhooks/signature.js';
export { maskUrl, rebaseUrl } from './webhooks/url.js';
export type {
  ContentType,
  HeaderValues,
  SignRequestOptions,
  SignedRequest,
  Verdict,
  VerifyRequestOptions,
} from './webhooks/signature.js';
export { parseForm, encodeForm } from './webhooks/form.js';
export type { FormInput, FormParams } from './webhooks/form.js';
export { classify } from './webhooks/kinds.js';
export type { Classification, ClassifyInput, WebhookKind } from './webhooks/kinds.js';
export type { CaptureRecord, CaptureResponse, CaptureHeaders, CaptureItem } from './capture/format.js';

/** Runs an inbound call through the app's TwiML, as Twilio would, and returns what happened. */
export async function simulateCall(options: SimulateCallOptions): Promise<SimulationResult> {
  return (await import('./simulate/voice.js')).simulateCall(options);
}

/** Sends the app a conversation of inbound messages, as Twilio would, and returns its replies. */
export async function simulateText(options: SimulateTextOptions): Promise<SimulationResult> {
  return (await import('./simulate/messaging.js')).simulateText(options);
}
export type {
  AppTarget,
  CallInput,
  CallInputSource,
  InputRequest,
  SimulateCallOptions,
  SimulateTextOptions,
  SimulationResult,
  TextInput,
  TextInputSource,
  WebhookTarget,
} from './simulate/api.js';
export type * from './simulate/events.js';
