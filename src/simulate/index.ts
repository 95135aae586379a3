/** The simulator: play Twilio's part in a call or an SMS conversation with the app. */
export { simulateCall, inputSource, APPLICATION_ERROR_MESSAGE, LOOP_ERROR_CODE } from './voice.js';
export { simulateText, textSource } from './messaging.js';
export { describeAnswer, type Channel } from './describe.js';
export { conversationJarPath, forgetConversation, CONVERSATION_TTL_MS } from './cookies.js';
export { DEFAULT_FROM, DEFAULT_TO, DEFAULT_ACCOUNT_SID } from './params.js';
export type * from './api.js';
export type * from './events.js';
