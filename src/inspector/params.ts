/**
 * What Twilio's common webhook parameters mean, for the inspector's parameter table. From
 * Twilio's docs: "Twilio's request to your application" (messaging), "TwiML for Programmable
 * Voice: request parameters", <Gather>, <Record> and <Dial> action parameters, status callbacks.
 */
export const PARAM_MEANINGS: Readonly<Record<string, string>> = {
  AccountSid: 'the Twilio account the webhook belongs to',
  ApiVersion: 'the Twilio API version used',
  From: 'the sender: the caller or the number that sent the message',
  To: 'the recipient: the number that was called or messaged',
  Body: 'the text of the message (up to 1,600 characters)',
  MessageSid: 'the message: 34 characters, SM… or MM…',
  SmsSid: 'same as MessageSid (kept for older apps)',
  SmsMessageSid: 'same as MessageSid (kept for older apps)',
  MessagingServiceSid: 'the Messaging Service the message belongs to',
  NumMedia: 'how many media files (MMS) came with the message',
  NumSegments: 'how many SMS segments the message used',
  MediaUrl0: "the first media file (fetch it with the account's credentials if media auth is on)",
  MediaContentType0: 'the MIME type of the first media file',
  MessageStatus: "the message's status: queued, sent, delivered, undelivered, failed, received, read…",
  SmsStatus: "the message's status (older name of MessageStatus)",
  ErrorCode: "the Twilio error code of a failure (see the error's page)",
  ErrorMessage: 'what the failure was',
  CallSid: 'the call: 34 characters, CA…; every webhook of one call carries the same',
  ParentCallSid: 'the call that created this one (a <Dial>ed leg)',
  CallStatus: "the call's status: queued, ringing, in-progress, completed, busy, failed, no-answer, canceled",
  Direction: 'inbound, outbound-api (REST API) or outbound-dial (<Dial>)',
  CallerName: "the caller's name (CNAM lookup, when enabled)",
  ForwardedFrom: 'the number the call was forwarded from, when the carrier says',
  CallDuration: "the call's length in seconds (final status callbacks)",
  Duration: "the call's length in minutes, rounded up",
  Timestamp: 'when Twilio sent this status callback (RFC 2822)',
  CallbackSource: 'what produced the status callback (call-progress-events)',
  SequenceNumber: "the order of this status callback among the call's (0, 1, 2…)",
  Digits: 'the keys the caller pressed (<Gather input="dtmf">)',
  FinishedOnKey: 'the key that ended the <Gather> (finishOnKey)',
  SpeechResult: 'what the caller said (<Gather input="speech">), transcribed',
  Confidence: 'how sure the speech recognition is, 0.0 to 1.0',
  RecordingSid: 'the recording: RE…',
  RecordingUrl: 'where the recording is (add .mp3 or .wav)',
  RecordingStatus: 'in-progress, completed, absent or failed',
  RecordingDuration: "the recording's length in seconds",
  DialCallStatus: 'how the <Dial>ed leg ended: completed, answered, busy, no-answer, failed, canceled',
  DialCallSid: "the <Dial>ed leg's call SID",
  DialCallDuration: "the <Dial>ed leg's length in seconds",
  AnsweredBy: 'answering machine detection: human, machine_start, fax, unknown…',
  StirVerstat: "the caller ID's SHAKEN/STIR attestation",
  FromCity: "the sender's city, when known",
  FromState: "the sender's state or province, when known",
  FromZip: "the sender's postal code, when known",
  FromCountry: "the sender's country",
  ToCity: "the recipient's city, when known",
  ToState: "the recipient's state or province, when known",
  ToZip: "the recipient's postal code, when known",
  ToCountry: "the recipient's country",
  ProfileName: "the sender's WhatsApp profile name",
  WaId: "the sender's WhatsApp ID",
  Latitude: "a shared location's latitude (WhatsApp)",
  Longitude: "a shared location's longitude (WhatsApp)",
  OptOutType: 'STOP, START or HELP when the message was an opt-out keyword',
  Level: 'Debugger: ERROR or WARNING',
  Payload: "Debugger: the error's details as JSON",
  PayloadType: "Debugger: the Payload's content type",
  Sid: 'the Debugger alert',
};

/** Where a parameter's meaning comes from when it is numbered (MediaUrl3). */
export function paramMeaning(name: string): string | undefined {
  const direct = PARAM_MEANINGS[name];
  if (direct) return direct;
  const media = /^(MediaUrl|MediaContentType)(\d+)$/.exec(name);
  if (media)
    return media[1] === 'MediaUrl'
      ? `media file ${Number(media[2]) + 1} of the message`
      : `the MIME type of media file ${Number(media[2]) + 1}`;
  return undefined;
}
