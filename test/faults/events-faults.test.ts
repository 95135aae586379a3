import { describe, it } from 'vitest';
import { defineTable } from './harness.js';

defineTable(['dev --events', 'sinks create'], { describe, it });
