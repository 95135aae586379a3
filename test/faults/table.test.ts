import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FAULT_NAMES, ROWS, TABLE_FILES } from './harness.js';

describe('the faults table', () => {
  it('has rows for every command of the issue, each run by one test file, against every fault', () => {
    const commands = new Set(ROWS.map((r) => r.command));
    expect([...commands].sort()).toEqual(['configure', 'dev', 'dev --events', 'sinks create']);
    const assigned = Object.values(TABLE_FILES).flat();
    expect([...assigned].sort()).toEqual([...commands].sort());
    for (const file of Object.keys(TABLE_FILES)) expect(existsSync(new URL(`./${file}`, import.meta.url))).toBe(true);
    expect(FAULT_NAMES).toEqual(['500', '429+Retry-After', 'dropped connection', 'stall > timeout']);
    // Steps the issue names, by command.
    const steps = (c: string) => ROWS.filter((r) => r.command === c).map((r) => r.step);
    expect(steps('configure')).toEqual(expect.arrayContaining(['update 1st number', 'update 2nd number']));
    expect(steps('dev')).toEqual(
      expect.arrayContaining([
        'resolve (list) 1st number',
        'update 1st number',
        'update 2nd number',
        'restore: put back 1st number',
      ]),
    );
    expect(steps('dev --events')).toEqual(
      expect.arrayContaining(['clean-up: subscription delete', 'clean-up: sink delete']),
    );
    expect(steps('sinks create')).toEqual(expect.arrayContaining(['sink create', 'subscription create']));
    expect(new Set(ROWS.map((r) => `${r.command}|${r.step}`)).size).toBe(ROWS.length);
  });
});
