import { describe, it } from 'vitest';
import { defineTable, TABLE_FILES } from './harness.js';

defineTable(TABLE_FILES['dev-faults.test.ts']!, { describe, it });
