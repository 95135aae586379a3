/**
 * The terminal transcript of a simulated call or conversation: what the caller hears and does,
 * what the texter reads, with the requests to the app dimmed between. One line per event, drawn as
 * the events come (a prompt for a <Gather> appears after what the caller heard). Colour comes
 * from the chalk instance given (ctx.out.c: off for NO_COLOR and when stdout is not a terminal).
 */
import type { ChalkInstance } from 'chalk';
import type { SimEvent } from '../simulate/events.js';

function clock(t: number): string {
  const s = Math.max(0, Math.floor(t));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function short(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

const quote = (text: string) => `"${text.replace(/\s+/g, ' ').trim()}"`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The transcript line of one event (without its newline); undefined for none. */
export function transcriptLine(event: SimEvent, c: ChalkInstance): string {
  const line = eventLine(event, c);
  if (event.leg !== 'callee') return line;
  // The called party's leg (a <Number url> whisper): marked, so it is not taken for the caller's.
  const at = c.dim(clock(event.t).padStart(5));
  return line.startsWith(`${at} `)
    ? `${at} ${c.magenta('callee›')} ${line.slice(at.length + 1)}`
    : `${line} ${c.magenta('(callee)')}`;
}

function eventLine(event: SimEvent, c: ChalkInstance): string {
  const at = c.dim(clock(event.t).padStart(5));
  const label = (name: string) => name.padEnd(9);
  switch (event.type) {
    case 'request': {
      const answer = event.status
        ? `${event.status}${event.contentType ? ` ${event.contentType.split(';')[0]}` : ''}`
        : 'no answer';
      const retry = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
      // A 401 to a request sent without the URL's credentials is the challenge Twilio answers.
      const challenge = event.status === 401 && !event.auth && event.url.includes(':***@');
      const auth = event.auth
        ? ` (${event.auth} auth)`
        : challenge
          ? ' (challenge: sent again with the credentials)'
          : '';
      const line = `      → ${event.method} ${short(event.url)}  ${answer}  ${Math.round(event.ms)} ms${retry}${auth}`;
      return challenge || (event.status >= 200 && event.status < 400) ? c.dim(line) : c.red(line);
    }
    case 'say': {
      const loop = event.loop !== 1 ? c.dim(` ×${event.loop || '∞'}`) : '';
      const voice =
        event.voice || event.language ? c.dim(` (${[event.voice, event.language].filter(Boolean).join(', ')})`) : '';
      return `${at} ${label('say')}${c.bold(quote(event.text))}${loop}${voice}`;
    }
    case 'play': {
      const loop = event.loop !== 1 ? c.dim(` ×${event.loop || '∞'}`) : '';
      return `${at} ${label('play')}${event.digits ? `tones ${event.digits}` : (event.url ?? '')}${loop}`;
    }
    case 'pause':
      return `${at} ${c.dim(`${label('pause')}${event.length} s`)}`;
    case 'gather': {
      const parts = [
        event.input,
        event.numDigits !== undefined ? plural(event.numDigits, 'digit') : '',
        `${event.timeout} s`,
      ].filter(Boolean);
      const result =
        event.result === null
          ? c.yellow('no input (timed out)')
          : 'digits' in event.result
            ? `pressed ${c.bold(event.result.digits || '(nothing)')}`
            : `said ${c.bold(quote(event.result.speech))}`;
      return `${at} ${label('gather')}${c.dim(`(${parts.join(', ')})`)} → ${result}`;
    }
    case 'record': {
      const digits = event.result.digits ? `, ended with ${event.result.digits}` : '';
      return `${at} ${label('record')}${event.result.duration} s recorded${digits}`;
    }
    case 'dial': {
      const outcome = event.outcome === 'completed' ? c.green(event.outcome) : c.yellow(event.outcome);
      const recorded = event.recording ? c.dim(`, recorded ${event.recording.duration} s`) : '';
      return `${at} ${label('dial')}${event.to.join(', ')} → ${outcome}${event.duration ? ` (${event.duration} s)` : ''}${recorded}`;
    }
    case 'enqueue': {
      const waited = event.queueTime !== undefined ? ` after ${event.queueTime} s` : '';
      const talk = event.duration ? ` (${event.duration} s)` : '';
      return `${at} ${label('enqueue')}${event.queue} → ${event.result}${waited}${talk}`;
    }
    case 'redirect':
      return `${at} ${c.dim(`${label('redirect')}${event.method} ${short(event.url)}`)}`;
    case 'hangup':
      return `${at} hangup`;
    case 'reject':
      return `${at} ${label('reject')}${event.reason}`;
    case 'inbound': {
      const media = event.media.length ? c.dim(` [${plural(event.media.length, 'attachment')}]`) : '';
      return `${at} ${c.cyan(label('you'))}${event.body}${media}`;
    }
    case 'message': {
      const media = event.media.length ? c.dim(` [${event.media.join(', ')}]`) : '';
      return `${at} ${c.green(label('app'))}${c.bold(event.body)}${media}`;
    }
    case 'callback': {
      const line = `      ↳ ${event.kind} callback ${short(event.url)} ${event.params.CallStatus ?? event.params.MessageStatus ?? event.params.RecordingStatus ?? ''}  ${event.status || 'no answer'}`;
      return event.status >= 200 && event.status < 400 ? c.dim(line) : c.red(line);
    }
    case 'unsupported':
      return `${at} ${c.yellow(`${label(event.verb)}not simulated: the call goes on as Twilio would`)}`;
    case 'error':
      return `${at} ${c.red(`${label('error')}${event.code} ${event.message}`)}${event.url ? c.dim(` (${short(event.url)})`) : ''}`;
    case 'end': {
      const how = event.status === 'completed' ? c.green(event.status) : c.yellow(event.status);
      return `${at} ${label('end')}${how} after ${event.duration} s, ${plural(event.requests, 'request')} (${event.reason})`;
    }
  }
}

/** Prints events as they come, through `print`. */
export function transcriptRenderer(print: (line: string) => void, c: ChalkInstance): (event: SimEvent) => void {
  return (event) => print(transcriptLine(event, c));
}
