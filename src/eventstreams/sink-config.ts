/**
 * Sink configurations checked before any call to Twilio: the webhook destination, the AWS ARNs
 * of a Kinesis sink, a Segment write key. Also how a sink is shown: its destination in one line
 * and its configuration with the write key masked (Twilio returns it on every fetch).
 */
import { UsageError } from '../errors.js';
import type { NewSink, Sink, SinkType } from '../twilio/eventstreams.js';
import { maskSecret } from '../redact.js';
import { isLoopbackHost } from '../commands/shared/webhook-url.js';

export const SINK_TYPES = ['webhook', 'kinesis', 'segment'] as const;
export type CreatableSinkType = (typeof SINK_TYPES)[number];

export interface SinkOptions {
  type?: string;
  destination?: string;
  method?: string;
  batch?: boolean;
  arn?: string;
  roleArn?: string;
  externalId?: string;
  writeKey?: string;
  description?: string;
}

export interface SinkCheckOptions {
  /**
   * Allows http:// and loopback destinations: only for twhook's own emulator on loopback, which
   * can deliver there (see apiIsLocal). Twilio itself can never reach them.
   */
  allowLocalDestinations?: boolean;
}

const PARTITION = '(aws|aws-cn|aws-us-gov)';
const REGION = '[a-z]{2}(-gov)?-[a-z]+-\\d';
export const KINESIS_STREAM_ARN = new RegExp(
  `^arn:${PARTITION}:kinesis:${REGION}:\\d{12}:stream/[A-Za-z0-9_.-]{1,128}$`,
);
export const IAM_ROLE_ARN = new RegExp(`^arn:${PARTITION}:iam::\\d{12}:role/([\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$`);
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const WRITE_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** Which options belong to which sink type: an option of another type is a usage error. */
const TYPE_OPTIONS: Record<CreatableSinkType, (keyof SinkOptions)[]> = {
  webhook: ['destination', 'method', 'batch'],
  kinesis: ['arn', 'roleArn', 'externalId'],
  segment: ['writeKey'],
};
const FLAG: Record<string, string> = {
  destination: '--destination',
  method: '--method',
  batch: '--batch',
  arn: '--arn',
  roleArn: '--role-arn',
  externalId: '--external-id',
  writeKey: '--write-key',
};

export function checkSinkType(type: string | undefined): CreatableSinkType {
  if (!type) throw new UsageError('pass --type webhook, --type kinesis or --type segment');
  const t = type.toLowerCase();
  if (!(SINK_TYPES as readonly string[]).includes(t)) {
    throw new UsageError(`--type ${type} is not a sink type twhook creates: use webhook, kinesis or segment`);
  }
  return t as CreatableSinkType;
}

export function checkDestination(value: string | undefined, options: SinkCheckOptions = {}): string {
  if (!value) throw new UsageError('a webhook sink needs --destination https://…');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--destination ${value} is not a URL: use https://your.host/path`);
  }
  const local = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(options.allowLocalDestinations && url.protocol === 'http:' && local)) {
    throw new UsageError(
      `--destination must be an https:// URL (got ${url.protocol.replace(':', '')}): Event Streams deliveries carry your account's data`,
    );
  }
  if (local && !options.allowLocalDestinations) {
    throw new UsageError(
      `--destination ${url.host} is this machine: Twilio cannot reach it. Use \`twhook dev --events TYPE\` for a tunnel, or a public URL`,
    );
  }
  return url.toString();
}

export function checkMethod(value: string | undefined): 'POST' | 'GET' {
  const method = (value ?? 'POST').toUpperCase();
  if (method !== 'POST' && method !== 'GET')
    throw new UsageError(`--method ${value} is not supported: use POST or GET`);
  return method;
}

export function checkKinesisArn(value: string | undefined): string {
  if (!value) throw new UsageError('a Kinesis sink needs --arn arn:aws:kinesis:REGION:ACCOUNT_ID:stream/NAME');
  if (!KINESIS_STREAM_ARN.test(value)) {
    throw new UsageError(
      `--arn ${value} is not a Kinesis stream ARN: expected arn:aws:kinesis:us-east-1:123456789012:stream/NAME`,
    );
  }
  return value;
}

export function checkRoleArn(value: string | undefined): string {
  if (!value)
    throw new UsageError('a Kinesis sink needs --role-arn arn:aws:iam::ACCOUNT_ID:role/NAME (the role Twilio assumes)');
  if (!IAM_ROLE_ARN.test(value)) {
    throw new UsageError(`--role-arn ${value} is not an IAM role ARN: expected arn:aws:iam::123456789012:role/NAME`);
  }
  return value;
}

export function checkExternalId(value: string | undefined): string {
  if (!value)
    throw new UsageError("a Kinesis sink needs --external-id ID (the external ID in the role's trust policy)");
  if (!EXTERNAL_ID.test(value)) {
    throw new UsageError('--external-id must be 2 to 1224 characters of letters, digits and + = , . @ : / - _');
  }
  return value;
}

/** Never repeats the key in its message: it is a secret. */
export function checkWriteKey(value: string | undefined): string {
  if (!value) throw new UsageError('a Segment sink needs --write-key KEY (the write key of a Segment source)');
  if (!WRITE_KEY.test(value))
    throw new UsageError('--write-key does not look like a Segment write key (8 to 128 letters and digits)');
  return value;
}

/** Builds the sink to create from command options; every shape is checked here, before any call. */
export function buildSink(options: SinkOptions, check: SinkCheckOptions = {}): NewSink {
  const type = checkSinkType(options.type);
  for (const [other, keys] of Object.entries(TYPE_OPTIONS)) {
    if (other === type) continue;
    for (const key of keys) {
      if (options[key] !== undefined && options[key] !== false) {
        throw new UsageError(`${FLAG[key]} applies to --type ${other}, not --type ${type}`);
      }
    }
  }
  if (options.description !== undefined && !options.description.trim()) {
    throw new UsageError('--description must not be empty');
  }
  switch (type) {
    case 'webhook': {
      const destination = checkDestination(options.destination, check);
      const method = checkMethod(options.method);
      return {
        sinkType: 'webhook',
        description: options.description ?? defaultDescription('webhook', destination),
        configuration: { destination, method, batch_events: !!options.batch },
      };
    }
    case 'kinesis': {
      const arn = checkKinesisArn(options.arn);
      const roleArn = checkRoleArn(options.roleArn);
      const externalId = checkExternalId(options.externalId);
      return {
        sinkType: 'kinesis',
        description: options.description ?? defaultDescription('kinesis', arn),
        configuration: { arn, role_arn: roleArn, external_id: externalId },
      };
    }
    case 'segment': {
      const writeKey = checkWriteKey(options.writeKey);
      return {
        sinkType: 'segment',
        description: options.description ?? defaultDescription('segment', ''),
        configuration: { write_key: writeKey },
      };
    }
  }
}

/** Twilio requires a description and asks for no PII in it: name the kind and target only. */
export function defaultDescription(type: CreatableSinkType, target: string): string {
  if (type === 'webhook') {
    const url = new URL(target);
    return `twhook webhook to ${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  }
  if (type === 'kinesis')
    return `twhook kinesis to ${target.split(':').slice(3, 4).join('')}/${target.split('/').pop()}`;
  return 'twhook segment source';
}

/** One line saying where a sink delivers, with nothing secret in it. */
export function describeDestination(sink: Pick<Sink, 'sinkType' | 'configuration'>): string {
  const c = sink.configuration;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (sink.sinkType) {
    case 'webhook':
      return `${text(c.method) || 'POST'} ${withoutPassword(text(c.destination))}${c.batch_events ? ' (batched)' : ''}`;
    case 'kinesis': {
      const arn = text(c.arn);
      const [, , , region, , resource] = arn.split(':');
      return resource ? `${resource.replace(/^stream\//, 'stream ')} (${region})` : arn;
    }
    case 'segment':
      return `Segment source (write key ${maskSecret(text(c.write_key))})`;
    default:
      return sink.sinkType;
  }
}

/** The configuration as twhook prints it (tables, --json): the Segment write key masked. */
export function publicConfiguration(sink: Pick<Sink, 'sinkType' | 'configuration'>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...sink.configuration };
  if ('write_key' in out) out.write_key = maskSecret(String(out.write_key ?? ''));
  if (typeof out.destination === 'string') out.destination = withoutPassword(out.destination);
  return out;
}

/** The secrets a sink's configuration holds, for the output redactor. */
export function sinkSecrets(sink: { configuration: object }): string[] {
  const c = sink.configuration as Record<string, unknown>;
  const secrets: string[] = [];
  if (typeof c.write_key === 'string') secrets.push(c.write_key);
  if (typeof c.destination === 'string') {
    try {
      const password = new URL(c.destination).password;
      if (password) secrets.push(password, decodeURIComponent(password));
    } catch {
      /* not a URL: nothing to hide */
    }
  }
  return secrets;
}

function withoutPassword(destination: string): string {
  try {
    const url = new URL(destination);
    if (!url.password) return destination;
    url.password = '****';
    return url.toString();
  } catch {
    return destination;
  }
}

export function sinkTypeLabel(type: SinkType): string {
  return type === 'kinesis' ? 'Kinesis' : type === 'segment' ? 'Segment' : type;
}
