import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  formatSelection,
  nearestTypes,
  parseTypeSelection,
  parseTypeSelections,
} from '../../src/eventstreams/selection.js';
import {
  buildSink,
  describeDestination,
  publicConfiguration,
  sinkSecrets,
} from '../../src/eventstreams/sink-config.js';
import { typeJson } from '../../src/twilio/eventstreams.js';

describe('event type selections', () => {
  it('parses TYPE and TYPE@VERSION, comma-separated and repeated, without duplicates', () => {
    expect(parseTypeSelection('com.twilio.voice.insights.call-summary.complete')).toEqual({
      type: 'com.twilio.voice.insights.call-summary.complete',
    });
    expect(parseTypeSelections(['com.twilio.a.b@3,com.twilio.a.c', ' com.twilio.a.b@3 '])).toEqual([
      { type: 'com.twilio.a.b', schemaVersion: 3 },
      { type: 'com.twilio.a.c' },
    ]);
    expect(formatSelection({ type: 'com.twilio.a.b', schemaVersion: 2 })).toBe('com.twilio.a.b@2');
    expect(typeJson({ type: 'com.twilio.a.b', schemaVersion: 2 })).toEqual({
      type: 'com.twilio.a.b',
      schema_version: 2,
    });
  });

  it('refuses names that are not types, bad versions and conflicting versions', () => {
    for (const bad of [
      'delivered',
      'Com.Twilio.A',
      'com.twilio.a@0',
      'com.twilio.a@1.5',
      'com.twilio.a@',
      'com..twilio',
    ]) {
      expect(() => parseTypeSelection(bad), bad).toThrow(UsageError);
    }
    expect(() => parseTypeSelections(['com.twilio.a.b@1', 'com.twilio.a.b'])).toThrow(/twice/);
  });

  it('suggests only close names', () => {
    const known = [
      'com.twilio.messaging.message.delivered',
      'com.twilio.messaging.message.undelivered',
      'com.twilio.messaging.message.failed',
    ];
    expect(nearestTypes('com.twilio.messaging.message.delivred', known)).toEqual([
      'com.twilio.messaging.message.delivered',
    ]);
    expect(nearestTypes('com.twilio.voice.call.completed', known)).toEqual([]);
  });
});

describe('sink configurations', () => {
  it('builds each type with a default description free of personal data', () => {
    expect(buildSink({ type: 'webhook', destination: 'https://example.com/hooks/events?x=1' })).toEqual({
      sinkType: 'webhook',
      description: 'twhook webhook to example.com/hooks/events',
      configuration: { destination: 'https://example.com/hooks/events?x=1', method: 'POST', batch_events: false },
    });
    expect(
      buildSink({
        type: 'KINESIS',
        arn: 'arn:aws-us-gov:kinesis:us-gov-west-1:123456789012:stream/a.b-c',
        roleArn: 'arn:aws:iam::123456789012:role/service-role/twilio',
        externalId: 'ab',
      }),
    ).toMatchObject({ sinkType: 'kinesis', description: 'twhook kinesis to us-gov-west-1/a.b-c' });
    expect(buildSink({ type: 'segment', writeKey: 'abcdefgh12345678' }).configuration).toEqual({
      write_key: 'abcdefgh12345678',
    });
  });

  it('allows loopback http only for a local API', () => {
    expect(() => buildSink({ type: 'webhook', destination: 'http://127.0.0.1:3000/e' })).toThrow(/https/);
    expect(() => buildSink({ type: 'webhook', destination: 'https://localhost/e' })).toThrow(/cannot reach/);
    expect(
      buildSink({ type: 'webhook', destination: 'http://127.0.0.1:3000/e' }, { allowLocalDestinations: true })
        .configuration,
    ).toMatchObject({
      destination: 'http://127.0.0.1:3000/e',
    });
    expect(() =>
      buildSink({ type: 'webhook', destination: 'http://example.com/e' }, { allowLocalDestinations: true }),
    ).toThrow(/https/);
  });

  it('masks the write key and a destination password, and reports both as secrets', () => {
    const segment = { sinkType: 'segment' as const, configuration: { write_key: 'abcdefgh12345678' } };
    expect(describeDestination(segment)).toBe('Segment source (write key ••••••••)');
    expect(publicConfiguration(segment)).toEqual({ write_key: '••••••••' });
    const hook = {
      sinkType: 'webhook' as const,
      configuration: { destination: 'https://u:s3cr%40t@example.com/e', method: 'POST' },
    };
    expect(describeDestination(hook)).toBe('POST https://u:****@example.com/e');
    expect(sinkSecrets(hook)).toEqual(['s3cr%40t', 's3cr@t']);
    expect(sinkSecrets(segment)).toEqual(['abcdefgh12345678']);
    expect(() => buildSink({ type: 'segment', writeKey: 'has space in it' })).toThrow(
      /^--write-key does not look like/,
    );
  });
});
