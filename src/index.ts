/**
 * twhook's library API, for your own test suites:
 *
 *   import { signRequest, verifyRequest } from 'twhook';
 *   const { signature, url, body } = signRequest({ authToken, url: 'https://example.com/sms', params: { Body: 'Hi' } });
 *   const verdict = verifyRequest({ url, signature, body, authTokens: [authToken] });
 *
 * Only the signature module is loaded (the twilio SDK's webhooks file, not the whole SDK).
 */
export { signRequest, verifyRequest } from './webhooks/signature.js';
export { maskUrl, rebaseUrl } from './webhooks/url.js';
export type { ContentType, HeaderValues, SignRequestOptions, SignedRequest, Verdict, VerifyRequestOptions } from './webhooks/signature.js';
export { parseForm, encodeForm } from './webhooks/form.js';
export type { FormInput, FormParams } from './webhooks/form.js';
export { classify } from './webhooks/kinds.js';
export type { Classification, ClassifyInput, WebhookKind } from './webhooks/kinds.js';
export type { CaptureRecord, CaptureResponse, CaptureHeaders, CaptureItem } from './capture/format.js';
